/**
 * The interest probe: one peer owns `entities` entities spread over a 1 000 m map (10 % walking), and 8 viewers
 * stand in different places, each owning an avatar there. Measured once everything settled: the bytes the owner
 * sends each viewer per tick (both channels), how many of the owner's entities each viewer holds, and the owner's
 * `net.flush()` time (median over the measured ticks; it sends to all 8). `relevance` is what the owner's network
 * gets (none: every entity goes to every viewer); `focus` tells it where each viewer stands.
 */
import { addComponent, addEntity, createWorld } from 'bitecs'
import { createNetwork, type NetPeer, type Network, type NetworkOptions } from '../../../src/ecs/index.js'
import { createMemoryNetwork } from '../../../src/transport/memory/index.js'
import { createRng } from '../../../src/transport/memory/rng.js'
import { createTestSchema, type TestSchema } from '../test-schema.js'
import { percentileOf } from './stats.js'
import { TICK_MS, Walk } from './walk.js'

export interface InterestProbeResult {
  entities: number
  viewers: number
  /** Mean bytes per viewer per tick, owner → viewer. */
  bytesPerViewerPerTick: number
  /** Mean number of the owner's entities a viewer holds. */
  heldPerViewer: number
  /** Median owner flush() time, ms. */
  flushMs: number
  flushP95Ms: number
}

export interface InterestSetup {
  /** The owner's local eid of the avatar of `peer`, once it arrived. */
  focus(peer: NetPeer): number | undefined
  s: TestSchema
}

export function interestProbe(
  o: { entities?: number; viewers?: number; ticks?: number; seed?: number; owner?: (setup: InterestSetup) => Partial<NetworkOptions> } = {},
): InterestProbeResult {
  const entities = o.entities ?? 10_000
  const viewersN = o.viewers ?? 8
  const ticks = o.ticks ?? 90
  const hub = createMemoryNetwork({ seed: o.seed ?? 1 })
  const cap = entities + 64
  const ownerSchema = createTestSchema(cap)
  const avatars = new Map<string, { n: number; origin: string }>()
  let owner: Network
  const focus = (peer: NetPeer): number | undefined => {
    const id = avatars.get(peer.id)
    return id ? owner.eidOf(id) : undefined
  }
  owner = createNetwork(createWorld(), {
    schema: ownerSchema.schema,
    transport: hub.join('owner'),
    maxEntities: cap,
    ...(o.owner?.({ focus, s: ownerSchema }) ?? {}),
  })
  const rng = createRng(o.seed ?? 1)
  const w = owner.world
  const walkers: { eid: number; walk: Walk }[] = []
  for (let i = 0; i < entities; i++) {
    const e = addEntity(w)
    addComponent(w, e, ownerSchema.Transform)
    ownerSchema.Transform.x[e] = (rng() - 0.5) * 1000
    ownerSchema.Transform.z[e] = (rng() - 0.5) * 1000
    if (i % 10 === 0) walkers.push({ eid: e, walk: new Walk(i + 1, false, ownerSchema.Transform.x[e], ownerSchema.Transform.z[e]) })
    owner.spawn(e)
  }
  const viewers: { s: TestSchema; net: Network }[] = []
  for (let v = 0; v < viewersN; v++) {
    const s = createTestSchema(cap)
    const net = createNetwork(createWorld(), { schema: s.schema, transport: hub.join(`v${v}`), maxEntities: cap })
    const e = addEntity(net.world)
    addComponent(net.world, e, s.Transform)
    const angle = (v / viewersN) * 2 * Math.PI
    s.Transform.x[e] = Math.cos(angle) * 300
    s.Transform.z[e] = Math.sin(angle) * 300
    net.spawn(e)
    viewers.push({ s, net })
  }
  const flushTimes: number[] = []
  const step = (measure: boolean): void => {
    for (const wk of walkers) {
      wk.walk.step(490)
      ownerSchema.Transform.x[wk.eid] = wk.walk.x
      ownerSchema.Transform.z[wk.eid] = wk.walk.z
    }
    owner.receive()
    for (const v of viewers) v.net.receive()
    for (const [i, v] of viewers.entries()) {
      const id = v.net.netIdOf(v.net.world ? firstOwned(v.net) : -1)
      if (id && !avatars.has(`v${i}`)) avatars.set(`v${i}`, id)
    }
    const t0 = performance.now()
    owner.flush()
    if (measure) flushTimes.push(performance.now() - t0)
    for (const v of viewers) v.net.flush()
    hub.advance(TICK_MS)
  }
  for (let t = 0; t < 90; t++) step(false)
  const sent = (): number => {
    let sum = 0
    for (let v = 0; v < viewersN; v++) {
      const c = hub.counters('owner', `v${v}`)
      sum += c.reliable.sentBytes + c.unreliable.sentBytes
    }
    return sum
  }
  const b0 = sent()
  let held = 0
  for (let t = 0; t < ticks; t++) {
    step(true)
    for (const v of viewers) held += v.net.stats.entities.remote - (viewersN - 1)
  }
  const bytes = sent() - b0
  hub.dispose()
  return {
    entities,
    viewers: viewersN,
    bytesPerViewerPerTick: bytes / viewersN / ticks,
    heldPerViewer: held / viewersN / ticks,
    flushMs: percentileOf(flushTimes, 0.5),
    flushP95Ms: percentileOf(flushTimes, 0.95),
  }
}

/** The one entity a viewer owns (its avatar). */
function firstOwned(net: Network): number {
  for (let e = 0; e < 64; e++) if (net.isReplicated(e) && net.isOwner(e)) return e
  return -1
}
