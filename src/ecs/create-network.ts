/**
 * `createNetwork(world, options)`: options and limits, the wiring of one network's rooms over their shared context
 * (context.ts), the `net` facade, and the order of `flush()` and `receive()`. What each room does is said at the top
 * of its file: peers.ts, reliable-stream.ts, dispatch.ts, entity-sync.ts, spawns.ts, relevance.ts, ownership.ts,
 * congestion.ts, priority.ts, pacer.ts, delta-receive.ts, clock-sync.ts, interpolation.ts, events.ts, stats.ts, and
 * host mode's (host-mode.ts): authority.ts, inputs.ts, prediction.ts.
 */
import type { World } from 'bitecs'
import type { ComponentStore } from '../protocol/component.js'
import type { Schema } from '../protocol/schema.js'
import { ErrorCode, MultiuserError } from '../shared/errors.js'
import type { Channel, PeerIdentity, Transport } from '../transport/transport.js'
import { NetContext, type NetSettings } from './context.js'
import { DeltaEncoder, MAX_EIDS } from './delta-encode.js'
import { DeltaReceiver } from './delta-receive.js'
import { createDispatch } from './dispatch.js'
import { EntityRefs } from './entity-refs.js'
import { EntitySync } from './entity-sync.js'
import { Events } from './events.js'
import { InboundQueue } from './inbound-queue.js'
import { Interpolation } from './interpolation.js'
import type { Network } from './network.js'
import { Ownership } from './ownership.js'
import { Peers } from './peers.js'
import type { NetEntity } from './registry.js'
import { ReliableStream } from './reliable-stream.js'
import { MIN_RATE } from './congestion.js'
import { sendAll } from './pacer.js'
import { Priorities, type PriorityFn } from './priority.js'
import { Relevance, type RelevanceFn } from './relevance.js'
import { Spawns } from './spawns.js'
import { Role } from './authority.js'
import { attachHostMode, type HostModeOptions } from './host-mode.js'
import { Inputs } from './inputs.js'
import { HOST_STATE_HEADER_MAX } from '../protocol/input-format.js'

/** Every limit of a network, with its default. */
export interface NetworkLimits {
  /** Inbound queue: messages waiting for `receive()`. Default 4096. */
  maxQueuedMessages: number
  /** Inbound queue: bytes waiting for `receive()`. Default 16 MiB. */
  maxQueuedBytes: number
  /** Largest reliable message accepted or sent. Default 1 MiB. */
  maxReliableBytes: number
  /** Largest unreliable packet accepted or sent. Default 1200 B. */
  maxUnreliableBytes: number
  /** Invalid messages from one peer before it is disconnected. Default 10. */
  maxInvalid: number
  /**
   * How long a reliable message may wait for an ownership change it depends on (a newer epoch another peer has not
   * delivered, e.g. because it left), in ms; then it is settled without it. Default 5000.
   */
  maxStallMs: number
  /**
   * Largest canonical schema sent to, or read from, a peer refused for SCHEMA_MISMATCH (to say what differs), in
   * bytes. Default 64 KiB.
   */
  maxSchemaBytes: number
  /**
   * Host mode, a client: inputs kept for replay until the host acknowledges them; older ones are dropped (the host's
   * state has moved past them, or it is gone). Default 256 (8.5 s at 30 Hz).
   */
  maxPendingInputs: number
}

/** The default of every {@link NetworkLimits} limit. */
export const DEFAULT_LIMITS: Readonly<NetworkLimits> = {
  maxQueuedMessages: 4096,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxReliableBytes: 1024 * 1024,
  maxUnreliableBytes: 1200,
  maxInvalid: 10,
  maxStallMs: 5000,
  maxSchemaBytes: 64 * 1024,
  maxPendingInputs: 256,
}

/** Options of {@link createNetwork} (host mode's: {@link HostModeOptions}). */
export interface NetworkOptions extends HostModeOptions {
  /** The generated schema (`gameSchema`, or `createGameSchema(n).schema`). */
  schema: Schema
  /** Component stores by component id; default `schema.stores`. Resized to `maxEntities`. */
  stores?: ReadonlyMap<number, ComponentStore>
  /** How this peer reaches the others: the PeerJS transport, the in-memory hub, or any {@link Transport}. */
  transport: Transport
  /** Network ticks (flush calls) per second; the expected send interval until peers' is measured. Default 30. */
  tickRate?: number
  /** Largest local eid + 1 that can be replicated (stores are resized to it). Default 4096. */
  maxEntities?: number
  /** How far behind the newest remote state interpolated values are rendered, ms. Default 100. */
  interpolationDelay?: number
  /** A field moving more than this between two samples is a teleport: no sliding. Default 5 (store units). */
  snapDistance?: number
  /** Limits to change from {@link DEFAULT_LIMITS}. */
  limits?: Partial<NetworkLimits>
  /** Clock in ms. Default the transport's (`transport.clock`, the memory hub's per-peer clocks), else `performance.now()`. */
  now?: () => number
  /**
   * Bytes per second we send any one peer at most (both channels, headers included). The congestion budget follows
   * each path below it (README "Congestion control"). Default 4 MiB/s; at least 2 KiB/s.
   */
  maxSendRate?: number
  /**
   * How much an entity matters to a peer when its budget cannot carry every change: 1 as usual, 10 ten times as
   * urgent (multiplied with the components' `priority`). Asked only while a peer's changes do not fit. Default: 1.
   */
  priority?: PriorityFn
  /**
   * Interest management: whether a peer gets our entity (false/0: it is removed from that peer's world; true or a
   * positive number, its priority weight: it arrives with its full state). `gridRelevance(...)` is a ready one.
   * Default: every entity to every peer.
   */
  relevance?: RelevanceFn
  /** How often every entity is asked `relevance` again, in flushes (a slice each flush). Default 6. */
  relevanceInterval?: number
}

const attached = new WeakMap<object, Network>()

/**
 * A network's context with every room wired, before the facade: what `createNetwork` builds on (and what a test of
 * one room drives directly). Checks the options and resizes the stores to `maxEntities`.
 */
export function createContext(world: World, options: NetworkOptions): NetContext {
  const { schema, transport } = options
  const settings = resolveSettings(options)
  const storeMap = options.stores ?? schema.stores
  for (const def of schema.components) {
    const store = storeMap.get(def.id)
    if (!store) throw new MultiuserError(ErrorCode.SCHEMA_INVALID, `no store for component ${def.name}`)
    if (def.capacityOf(store) < settings.capacity) def.resize(store, settings.capacity)
  }
  const ctx = new NetContext(world, schema, transport, storeMap, settings)
  ctx.priorities = new Priorities(ctx.layout, options.priority ?? null)
  ctx.relevance = new Relevance(ctx, options.relevance ?? null, settings.relevanceInterval)
  ctx.peers = new Peers(ctx)
  ctx.stream = new ReliableStream(ctx, createDispatch(ctx))
  ctx.entities = new EntitySync(ctx)
  ctx.spawns = new Spawns(ctx)
  ctx.ownership = new Ownership(ctx)
  ctx.deltas = new DeltaReceiver(ctx)
  ctx.interpolation = new Interpolation(ctx)
  ctx.events = new Events(ctx)
  ctx.refs = new EntityRefs(ctx)
  attachHostMode(ctx, options)
  return ctx
}

/** Attaches a network to a bitECS world (one per world: a second throws `ALREADY_ATTACHED`). */
export function createNetwork(world: World, options: NetworkOptions): Network {
  if (attached.has(world)) throw new MultiuserError(ErrorCode.ALREADY_ATTACHED, 'this world already has a network; call net.close() before attaching another')
  const ctx = createContext(world, options)
  const { schema, transport, settings } = ctx
  const { capacity, limits, clock, tickRate } = settings
  const { stats, registry, peers, stream, entities } = ctx
  // A host wraps each delta packet with its client's input acknowledgement (input-format.ts): room for it (on a
  // client too, which may become the host).
  const packetBytes = limits.maxUnreliableBytes - (ctx.authority.role !== Role.Owner ? HOST_STATE_HEADER_MAX : 0)
  const encoder = new DeltaEncoder(ctx.layout, entities.detector, entities.slotOf, capacity, packetBytes, stats.deltaBits)
  const { authority, inputs, prediction } = ctx
  const hostOnly = (what: string): void => {
    if (authority.isClient) throw new MultiuserError(ErrorCode.NOT_HOST, `${what}: in host mode only the host owns replicated entities`)
  }
  const queue = new InboundQueue(limits.maxQueuedMessages, limits.maxQueuedBytes)
  let tick = 0
  let closed = false
  /** Our id as last seen: when the transport's changes (PEER_ID_CHANGED), we rejoin as a new player. */
  let knownSelf: string | null = null
  const checkSelf = (): void => {
    const me = ctx.selfId()
    if (me && knownSelf && me !== knownSelf) entities.rejoinAs(me, peers.dropAll('we rejoined under a new peer id'))
    if (me) knownSelf = me
  }

  const unsubscribe = listen(ctx, queue)

  const requireRec = (eid: number): NetEntity => {
    const rec = registry.get(eid)
    if (!rec) throw new MultiuserError(ErrorCode.NOT_REPLICATED, `entity ${eid} is not replicated`)
    return rec
  }

  const net: Network = {
    world,
    schema,
    tickRate,
    get tick() {
      return tick
    },
    get selfId() {
      return ctx.selfId()
    },
    get hostId() {
      return authority.isHost ? ctx.selfId() : authority.isClient ? authority.hostId : null
    },
    spawn: (eid, opts = {}) => {
      hostOnly('spawn')
      entities.spawn(eid, opts.persistent === true)
    },
    despawn: (eid) => {
      hostOnly('despawn')
      entities.despawn(requireRec(eid))
    },
    requestOwnership: (eid) => {
      hostOnly('requestOwnership')
      return ctx.ownership.request(eid)
    },
    isOwner: (eid) => registry.isOwned(eid),
    ownerOf(eid) {
      const rec = registry.get(eid)
      if (!rec) return null
      return registry.isOwned(eid) ? (ctx.selfId() ?? '') : rec.owner
    },
    isReplicated: (eid) => registry.get(eid) !== undefined,
    netIdOf(eid) {
      const id = registry.get(eid)?.id
      return id ? { origin: id.origin, n: id.n } : null
    },
    eidOf: (id) => registry.lookup({ origin: id.origin, n: id.n })?.eid,
    send: (event, message, opts = {}) => ctx.events.send(event, message, opts.to, opts.self === true),
    on: (event, handler) => ctx.events.on(event, handler),
    sendInput: (input, value) => inputs.send(input, value),
    onInput: (input, handler) => inputs.on(input, handler),
    predict: (eid, input, simulate, opts) => {
      requireRec(eid)
      prediction.add(eid, input, simulate, opts)
      prediction.render(clock())
    },
    // Arrivals in order: joins and leaves, deltas at once, reliable frames into each peer's stream; then the
    // streams that stalled on an ownership change, our own `self: true` events, then the interpolated views.
    receive() {
      if (closed) return world
      checkSelf()
      prediction.beforeReceive()
      queue.drain((item) => {
        if (item.kind === 'joined') return peers.join(item.peer)
        if (item.kind === 'left') return peers.leave(item.peerId, item.reason)
        const p = peers.get(item.from)
        stats.countReceived(item.channel, item.data.length)
        if (!p || p.gone) {
          stats.dropped.notReady++
          return
        }
        if (item.channel === 'unreliable') {
          if (!p.ready) {
            stats.dropped.notReady++
            return
          }
          const delta = Inputs.isHostModePacket(item.data) ? inputs.receive(p, item.data) : item.data
          if (delta) ctx.deltas.receive(p, delta, item.at)
          return
        }
        stream.receive(p, item.data)
      })
      stream.runAll()
      prediction.afterReceive()
      ctx.events.deliverOwn()
      net.interpolate()
      return world
    },
    // One network tick: net ids for new entities, structural/RELIABLE changes and DELTA change detection, who is to
    // get which entity (relevance), then per peer within its budget its reliable messages and its deltas (against
    // what it acknowledged; they carry our acks).
    flush() {
      if (closed) return world
      checkSelf()
      const now = clock()
      stats.tick(now)
      entities.assignIds()
      entities.detectChanges()
      ctx.relevance.evaluate()
      if (authority.isClient) inputs.flush()
      sendAll(ctx, encoder, now)
      tick++
      return world
    },
    interpolate: (now = clock()) => {
      ctx.interpolation.render(now)
      if (prediction.active) prediction.render(now)
    },
    interpolated: (store) => ctx.interpolation.view(store),
    get peers() {
      return peers.ready().map((p) => peers.info(p))
    },
    get stats() {
      const entityCounts = { owned: registry.ownedCount, remote: registry.allCount - registry.ownedCount }
      const ready = peers.ready()
      let budget = 0
      let capacity = 0
      let waiting = 0
      for (const p of ready) {
        budget += p.budget.rate
        capacity += p.budget.capacity
        waiting += p.stream.outbox.length - p.stream.outHead + ctx.spawns.queuedFor(p)
      }
      const host = {
        inputsSent: authority.isClient ? inputs.sent : 0, inputsApplied: inputs.applied, inputsLost: inputs.lost, acknowledgedInput: inputs.acknowledged,
        mispredictions: prediction.mispredictions, lastCorrection: prediction.lastCorrection, refused: authority.refused, starDropped: authority.starDropped,
        migrations: authority.migrations, divergences: prediction.divergences,
      }
      return stats.snapshot(ready, entityCounts, { messages: queue.length, bytes: queue.bytes }, { budget, capacity, deferred: stats.deferred, waiting }, host)
    },
    inspect() {
      const me = ctx.selfId() ?? ''
      const entities = []
      for (let i = 0; i < registry.allCount; i++) {
        const rec = registry.get(registry.all[i])!
        const ours = registry.isOwned(rec.eid)
        entities.push({
          eid: rec.eid, id: rec.id ? { origin: rec.id.origin, n: rec.id.n } : null, owner: ours ? me : rec.owner,
          persistent: rec.persistent, epoch: rec.epoch, buffered: ours ? 0 : ctx.interpolation.buffered(rec.eid),
        })
      }
      return { entities }
    },
    events: { on: (event, listener) => ctx.emitter.on(event, listener) },
    close() {
      if (closed) return
      closed = true
      for (const u of unsubscribe) u()
      attached.delete(world)
      ctx.ownership.close()
    },
  }
  attached.set(world, net)
  // Peers the transport already knows.
  for (const peer of transport.peers.values()) queue.pushControl({ kind: 'joined', peer })
  return net
}

/** Queues what the transport delivers for the next `receive()`; an oversized message is dropped and struck at once. */
function listen(ctx: NetContext, queue: InboundQueue): (() => void)[] {
  const { transport, stats, peers } = ctx
  const { limits, clock } = ctx.settings
  return [
    transport.on('peerJoined', (peer: PeerIdentity) => queue.pushControl({ kind: 'joined', peer })),
    transport.on('peerLeft', (peerId: string, reason: string) => queue.pushControl({ kind: 'left', peerId, reason })),
    transport.on('message', (from: string, channel: Channel, data: Uint8Array) => {
      const cap = channel === 'reliable' ? limits.maxReliableBytes : limits.maxUnreliableBytes
      if (data.length > cap) {
        stats.dropped.oversized++
        peers.strike(from, `${channel} message of ${data.length} bytes exceeds ${cap}`)
        return
      }
      if (!queue.pushMessage(from, channel, data, clock())) stats.dropped.queueFull++
    }),
  ]
}

function resolveSettings(options: NetworkOptions): NetSettings {
  const tickRate = options.tickRate ?? 30
  const capacity = options.maxEntities ?? 4096
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_EIDS) throw new MultiuserError(ErrorCode.CAPACITY_EXCEEDED, `maxEntities must be 1..${MAX_EIDS}`)
  const clock = options.now ?? options.transport.clock ?? (() => performance.now())
  const maxSendRate = options.maxSendRate ?? 4 * 1024 * 1024
  if (!(maxSendRate >= MIN_RATE)) throw new RangeError(`maxSendRate must be at least ${MIN_RATE} bytes/s (got ${options.maxSendRate})`)
  const relevanceInterval = options.relevanceInterval ?? 6
  if (!Number.isInteger(relevanceInterval) || relevanceInterval < 1) throw new RangeError(`relevanceInterval must be a whole number of flushes ≥ 1 (got ${options.relevanceInterval})`)
  return {
    tickRate,
    capacity,
    limits: { ...DEFAULT_LIMITS, ...(options.limits ?? {}) },
    clock,
    tickMs: 1000 / tickRate,
    interpolationDelay: options.interpolationDelay ?? 100,
    snapDistance: options.snapDistance ?? 5,
    maxSendRate,
    relevanceInterval,
  }
}
