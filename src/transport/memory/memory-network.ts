import { Emitter } from '../../shared/emitter.js'
import { BROADCAST, type Channel, type PeerIdentity, type Transport, type TransportEvents } from '../transport.js'
import { Link, type LinkCounters, type LinkOptions } from './link.js'
import { createRng, type Rng } from './rng.js'
import { createScheduler, type Scheduler } from './scheduler.js'

export interface MemoryNetworkOptions {
  /** Seed of the link simulator's RNG: the same seed and the same calls give the same losses and delays. Default 1. */
  seed?: number
  /** Default behaviour of every link (each direction). */
  link?: LinkOptions
  /** Deliver with real timers (demos) instead of virtual time driven by `advance(ms)` (tests). Default false. */
  realTime?: boolean
  /**
   * Where each peer's clock (`transport.clock`) starts, in ms: as in browsers, where `performance.now()` counts from
   * each page's load, no two peers share a clock. Default: 10⁷ ms plus up to 4 hours, from the seed and the peer id.
   */
  clockOrigin?: (id: string) => number
}

export interface MemoryNetwork {
  /** Current time in ms (virtual unless realTime). */
  readonly now: number
  /** The hub's own time (virtual, from 0): what `advance` moves. Each peer's clock is `transport.clock`. */
  readonly clock: () => number
  /** Connects a new peer to every peer already in the network. Joins and leaves are announced asynchronously (next `advance`). */
  join(id: string, options?: { did?: string | null; handle?: string }): MemoryTransport
  /** Virtual time: delivers everything due in the next `ms` ms, in time order. */
  advance(ms: number): void
  /** Changes the default link options (existing links keep their own overrides). */
  setDefaultLink(options: LinkOptions): void
  /** Overrides one direction of one link. */
  setLink(from: string, to: string, options: LinkOptions): void
  /** Counters of one direction of a link, or of the whole network. */
  counters(from?: string, to?: string): Record<Channel, LinkCounters>
  /** Stops every timer and drops everything in flight. */
  dispose(): void
}

export interface MemoryTransport extends Transport {
  readonly self: PeerIdentity
  /** This peer's clock: the hub's time plus the peer's own origin (`clockOrigin`). */
  readonly clock: () => number
}

/** 10⁷ ms plus 0..4 h, from a hash of the seed and the id (FNV-1a): different per peer, the same every run. */
export function defaultClockOrigin(seed: number, id: string): number {
  let h = 0x811c9dc5
  for (const ch of `${seed}:${id}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0
  return 1e7 + (h % (4 * 3600_000))
}

interface Member {
  identity: PeerIdentity
  transport: MemoryTransport
  peers: Map<string, PeerIdentity>
  /** A listener that throws does not keep the others from hearing the event (it is rethrown asynchronously). */
  events: Emitter<TransportEvents>
  closed: boolean
  /** Link generation per remote peer: deliveries scheduled on an older generation are discarded. */
  generation: Map<string, number>
}

export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  const rng: Rng = createRng(options.seed ?? 1)
  const sched: Scheduler = createScheduler(options.realTime === true)
  const members = new Map<string, Member>()
  const links = new Map<string, Link>()
  const overrides = new Map<string, LinkOptions>()
  let defaults: LinkOptions = { ...(options.link ?? {}) }
  let generationCounter = 0
  let lastAdmission = -Infinity

  const linkOf = (from: string, to: string): Link => {
    const key = `${from}\u0000${to}`
    let l = links.get(key)
    if (!l) {
      l = new Link({ ...defaults, ...(overrides.get(key) ?? {}) }, rng)
      links.set(key, l)
    }
    return l
  }

  const emit = <E extends keyof TransportEvents>(m: Member, event: E, ...args: Parameters<TransportEvents[E]>): void => {
    if (!m.closed) m.events.emit(event, ...args)
  }

  const connect = (a: Member, b: Member): void => {
    const gen = ++generationCounter
    a.generation.set(b.identity.id, gen)
    b.generation.set(a.identity.id, gen)
    const now = sched.now
    sched.at(now, () => {
      if (a.generation.get(b.identity.id) !== gen || a.closed) return
      a.peers.set(b.identity.id, b.identity)
      emit(a, 'peerJoined', b.identity)
    })
    sched.at(now, () => {
      if (b.generation.get(a.identity.id) !== gen || b.closed) return
      b.peers.set(a.identity.id, a.identity)
      emit(b, 'peerJoined', a.identity)
    })
  }

  const sever = (a: Member, bId: string, reasonForA: string, reasonForB: string): void => {
    const b = members.get(bId)
    if (!a.generation.has(bId)) return
    a.generation.delete(bId)
    b?.generation.delete(a.identity.id)
    const now = sched.now
    sched.at(now, () => {
      if (a.peers.delete(bId)) emit(a, 'peerLeft', bId, reasonForA)
    })
    if (b) {
      sched.at(now, () => {
        if (b.peers.delete(a.identity.id)) emit(b, 'peerLeft', a.identity.id, reasonForB)
      })
    }
  }

  const deliver = (from: Member, toId: string, channel: Channel, data: Uint8Array): void => {
    const to = members.get(toId)
    const gen = from.generation.get(toId)
    if (!to || gen === undefined) return
    const copy = data.slice()
    const link = linkOf(from.identity.id, toId)
    for (const at of link.schedule(sched.now, channel, copy.length)) {
      sched.at(at, () => {
        if (to.closed || to.generation.get(from.identity.id) !== gen || !to.peers.has(from.identity.id)) return
        link.counters[channel].delivered++
        link.counters[channel].deliveredBytes += copy.length
        emit(to, 'message', from.identity.id, channel, copy)
      })
    }
  }

  const network: MemoryNetwork = {
    get now() {
      return sched.now
    },
    clock: () => sched.now,
    join(id, opts = {}) {
      if (members.has(id)) throw new Error(`memory network: peer id ${id} is taken`)
      // The order of arrival, as a relay's admission time gives it: the hub's own time (shared, not a peer's clock), strictly increasing.
      lastAdmission = Math.max(sched.now, lastAdmission + 1)
      const identity: PeerIdentity = { id, did: opts.did ?? null, ...(opts.handle !== undefined ? { handle: opts.handle } : {}), admittedAt: lastAdmission }
      const member: Member = {
        identity,
        peers: new Map(),
        events: new Emitter<TransportEvents>(),
        closed: false,
        generation: new Map(),
        transport: undefined as unknown as MemoryTransport,
      }
      const origin = options.clockOrigin ? options.clockOrigin(id) : defaultClockOrigin(options.seed ?? 1, id)
      member.transport = {
        self: identity,
        clock: () => sched.now + origin,
        get peers() {
          return member.peers as ReadonlyMap<string, PeerIdentity>
        },
        send(to, channel, data) {
          if (member.closed) return
          if (to === BROADCAST) for (const p of member.peers.keys()) deliver(member, p, channel, data)
          else if (member.peers.has(to)) deliver(member, to, channel, data)
        },
        on: (event, listener) => member.events.on(event, listener),
        disconnect(peerId, reason) {
          sever(member, peerId, reason, reason)
        },
        close() {
          if (member.closed) return
          for (const p of [...member.generation.keys()]) sever(member, p, 'closed', 'left')
          member.closed = true
          members.delete(id)
        },
      }
      for (const other of members.values()) connect(other, member)
      members.set(id, member)
      return member.transport
    },
    advance: (ms) => sched.advance(ms),
    setDefaultLink(o) {
      defaults = { ...o }
      for (const [key, l] of links) l.options = { ...defaults, ...(overrides.get(key) ?? {}) }
    },
    setLink(from, to, o) {
      const key = `${from}\u0000${to}`
      overrides.set(key, o)
      linkOf(from, to).options = { ...defaults, ...o }
    },
    counters(from, to) {
      const sum: Record<Channel, LinkCounters> = {
        reliable: { sent: 0, sentBytes: 0, delivered: 0, deliveredBytes: 0, dropped: 0, duplicated: 0 },
        unreliable: { sent: 0, sentBytes: 0, delivered: 0, deliveredBytes: 0, dropped: 0, duplicated: 0 },
      }
      for (const [key, l] of links) {
        const [f, t] = key.split('\u0000')
        if ((from !== undefined && f !== from) || (to !== undefined && t !== to)) continue
        for (const ch of ['reliable', 'unreliable'] as const) {
          for (const k of Object.keys(sum[ch]) as (keyof LinkCounters)[]) sum[ch][k] += l.counters[ch][k]
        }
      }
      return sum
    },
    dispose() {
      sched.dispose()
    },
  }
  return network
}
