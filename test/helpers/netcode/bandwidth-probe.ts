/**
 * The bottleneck probe: a sender with 1 000 entities, 100 of them walking (5 m/s with corners), and a receiver that
 * joins late, over a 64 kbit/s link each way (8 000 B/s with the hub's bottleneck queue) and 20 ms of latency. Ten
 * walkers matter more to the receiver (the `priority` option gives them 10, the others 1). A chat event goes out
 * every 500 ms; at 10 s the sender spawns 1 000 more entities at once.
 *
 * Measured after the first 2 s: what the sender offers to the link (both channels, per 500 ms window), what the link
 * drops (all of it self-inflicted: the link loses nothing on its own), how stale the receiver's copy of each walker
 * is (now minus when the sender held that state), the events' latency, and how the spawn burst goes.
 */
import { addComponent, addEntity, createWorld } from 'bitecs'
import { createNetwork, type Network, type NetworkOptions } from '../../../src/ecs/index.js'
import { createMemoryNetwork, type LinkOptions } from '../../../src/transport/memory/index.js'
import { createRng } from '../../../src/transport/memory/rng.js'
import { Chat, createTestSchema, type TestSchema } from '../test-schema.js'
import { percentileOf } from './stats.js'
import { TICK_MS, Truth, Walk } from './walk.js'

export interface BandwidthProbeOptions {
  seed?: number
  /** Bytes per second of the bottleneck, each way. Default 8 000 (64 kbit/s). */
  bandwidth?: number
  link?: LinkOptions
  entities?: number
  walkers?: number
  /** Walkers with priority 10 (the rest have 1). */
  top?: number
  seconds?: number
  /** When the burst of `burst` spawns goes (s). */
  burstAt?: number
  burst?: number
  net?: Partial<NetworkOptions>
}

export interface BandwidthProbeResult {
  /** Largest rate offered to the link over a 500 ms window after 2 s, bits per second. */
  offeredMaxBps: number
  /** Mean offered rate after 2 s, bits per second. */
  offeredMeanBps: number
  /** Unreliable packets the link dropped ÷ sent, after 2 s (sender → receiver). */
  linkLoss: number
  /** The top walkers' staleness after 2 s (ms): p95 and max, outside the burst; and the max during the burst. */
  topStaleP95: number
  topStaleMax: number
  topStaleBurstMax: number
  /** Every walker's staleness after 2 s (ms), mean and p95. */
  allStaleMean: number
  allStaleP95: number
  /** Chat latency after 2 s (ms): max and mean. */
  eventLatencyMax: number
  eventLatencyMean: number
  /** Seconds from the burst until the receiver has every entity; -1 = not by the end. */
  burstSeconds: number
  /** Delta packets the receiver got per second during the burst (while it lasted). */
  burstDeltaPacketsPerSecond: number
  /** The receiver's own view of the path: its estimate of the sender link (net.peers of the sender), if any. */
  senderEstimate: Record<string, number>
}

interface Peer {
  s: TestSchema
  net: Network
}

export function bandwidthProbe(o: BandwidthProbeOptions = {}): BandwidthProbeResult {
  const seed = o.seed ?? 1
  const bandwidth = o.bandwidth ?? 8000
  const entities = o.entities ?? 1000
  const walkersN = o.walkers ?? 100
  const topN = o.top ?? 10
  const seconds = o.seconds ?? 20
  const burstAt = o.burstAt ?? 10
  const burstN = o.burst ?? 1000
  const hub = createMemoryNetwork({ seed, link: { latency: 20, bandwidth, ...o.link } })
  const capacity = entities + burstN + 64
  const rng = createRng(seed * 31 + 5)
  const top = new Set<number>()
  const mk = (id: string, net: Partial<NetworkOptions> = {}): Peer => {
    const s = createTestSchema(capacity)
    const world = createWorld()
    return { s, net: createNetwork(world, { schema: s.schema, transport: hub.join(id), maxEntities: capacity, ...net }) }
  }
  const a = mk('a', { priority: (eid: number) => (top.has(eid) ? 10 : 1), ...o.net } as Partial<NetworkOptions>)
  const aw = a.net.world
  const walkers: { eid: number; walk: Walk; truth: Truth }[] = []
  for (let i = 0; i < entities; i++) {
    const e = addEntity(aw)
    addComponent(aw, e, a.s.Transform)
    addComponent(aw, e, a.s.Velocity)
    a.s.Transform.x[e] = (rng() - 0.5) * 800
    a.s.Transform.z[e] = (rng() - 0.5) * 800
    a.s.Transform.yaw[e] = (rng() - 0.5) * 6
    if (i < walkersN) {
      const walk = new Walk(seed * 1000 + i, false, a.s.Transform.x[e], a.s.Transform.z[e])
      walkers.push({ eid: e, walk, truth: new Truth() })
      if (i < topN) top.add(e)
    }
    a.net.spawn(e)
  }
  const tick = (): void => {
    a.net.receive()
    a.net.flush()
  }
  for (let t = 0; t < 3; t++) {
    tick()
    hub.advance(TICK_MS)
  }
  const b = mk('b')
  const latencies: number[] = []
  b.net.on(Chat, (m) => latencies.push(hub.now - Number(m.text)))
  const joinedAt = hub.now
  const windows: number[] = []
  let windowStart = joinedAt
  let windowBytes = 0
  let lastBytes = 0
  const sentBytes = (): number => {
    const c = hub.counters('a', 'b')
    return c.reliable.sentBytes + c.unreliable.sentBytes
  }
  let loss0: { sent: number; dropped: number } | null = null
  const topStale: number[] = []
  const topStaleBurst: number[] = []
  const allStale: number[] = []
  let burstDone = -1
  let burstStart = -1
  let burstPackets0 = 0
  let burstPackets = 0
  const replicas = new Map<number, number>()
  const replicaOf = (e: number): number | undefined => {
    let r = replicas.get(e)
    if (r === undefined) {
      const id = a.net.netIdOf(e)
      r = id ? b.net.eidOf(id) : undefined
      if (r !== undefined) replicas.set(e, r)
    }
    return r
  }
  const ticks = Math.round((seconds * 1000) / TICK_MS)
  for (let t = 0; t < ticks; t++) {
    const elapsed = hub.now - joinedAt
    const measuring = elapsed >= 2000
    for (const w of walkers) {
      w.walk.step()
      a.s.Transform.x[w.eid] = w.walk.x
      a.s.Transform.z[w.eid] = w.walk.z
      a.s.Transform.yaw[w.eid] = w.walk.yaw
    }
    if (t > 0 && t % 15 === 0 && a.net.peers.length > 0) a.net.send(Chat, { text: String(hub.now) })
    if (burstStart < 0 && elapsed >= burstAt * 1000) {
      burstStart = hub.now
      burstPackets0 = b.net.stats.received.unreliable.packets
      for (let i = 0; i < burstN; i++) {
        const e = addEntity(aw)
        addComponent(aw, e, a.s.Transform)
        a.s.Transform.x[e] = (rng() - 0.5) * 800
        a.s.Transform.z[e] = (rng() - 0.5) * 800
        a.net.spawn(e)
      }
    }
    tick()
    for (const w of walkers) w.truth.record(hub.now, w.walk.x, w.walk.z)
    b.net.receive()
    b.net.flush()
    hub.advance(TICK_MS)
    const inBurst = burstStart >= 0 && burstDone < 0
    if (inBurst && b.net.stats.entities.remote >= entities + burstN) {
      burstDone = hub.now - burstStart
      burstPackets = b.net.stats.received.unreliable.packets - burstPackets0
    }
    if (measuring) {
      if (loss0 === null) {
        const c = hub.counters('a', 'b').unreliable
        loss0 = { sent: c.sent, dropped: c.dropped }
        windowStart = hub.now
        lastBytes = sentBytes()
        windowBytes = 0
      }
      const now = hub.now
      for (const w of walkers) {
        const r = replicaOf(w.eid)
        const stale = r === undefined ? now - joinedAt : w.truth.staleness(now, b.s.Transform.x[r], b.s.Transform.z[r])
        const capped = Math.min(stale, 10_000)
        allStale.push(capped)
        if (top.has(w.eid)) (inBurst ? topStaleBurst : topStale).push(capped)
      }
      const bytes = sentBytes()
      windowBytes += bytes - lastBytes
      lastBytes = bytes
      if (now - windowStart >= 500 - 1e-6) {
        windows.push((windowBytes * 8 * 1000) / (now - windowStart))
        windowStart = now
        windowBytes = 0
      }
    }
  }
  if (burstDone < 0 && burstStart >= 0) burstPackets = b.net.stats.received.unreliable.packets - burstPackets0
  const c = hub.counters('a', 'b').unreliable
  const sent = c.sent - (loss0?.sent ?? 0)
  const dropped = c.dropped - (loss0?.dropped ?? 0)
  const measuredSeconds = (hub.now - joinedAt - 2000) / 1000
  const estimate = (a.net.peers[0] ?? {}) as unknown as Record<string, unknown>
  const senderEstimate: Record<string, number> = {}
  for (const [k, v] of Object.entries(estimate)) if (typeof v === 'number') senderEstimate[k] = v
  hub.dispose()
  const burstWindow = burstDone >= 0 ? burstDone : hub.now - burstStart
  return {
    offeredMaxBps: Math.max(...windows),
    offeredMeanBps: windows.reduce((s, x) => s + x, 0) / Math.max(1, windows.length),
    linkLoss: sent ? dropped / sent : 0,
    topStaleP95: percentileOf(topStale, 0.95),
    topStaleMax: Math.max(...topStale),
    topStaleBurstMax: topStaleBurst.length ? Math.max(...topStaleBurst) : 0,
    allStaleMean: allStale.reduce((s, x) => s + x, 0) / Math.max(1, allStale.length),
    allStaleP95: percentileOf(allStale, 0.95),
    eventLatencyMax: latencies.length ? Math.max(...latencies.slice(4)) : Number.POSITIVE_INFINITY,
    eventLatencyMean: latencies.length > 4 ? latencies.slice(4).reduce((s, x) => s + x, 0) / (latencies.length - 4) : Number.POSITIVE_INFINITY,
    burstSeconds: burstDone >= 0 ? burstDone / 1000 : -1,
    burstDeltaPacketsPerSecond: burstWindow > 0 ? (burstPackets * 1000) / burstWindow : 0,
    senderEstimate: { ...senderEstimate, measuredSeconds },
  }
}
