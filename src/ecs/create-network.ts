import { addComponent, addEntity, entityExists, removeComponent, removeEntity, type World } from 'bitecs'
import { DecodeError, ErrorCode, MultiuserError, type ComponentStore, type EventDef, type NumericArray, type Schema } from '../protocol/index.js'
import type { Channel, PeerIdentity, Transport } from '../transport/transport.js'
import { AckTracker } from './ack-tracker.js'
import { ReceiverBaseline } from './baselines.js'
import { ChangeDetector } from './change-detect.js'
import { DeltaDecoder } from './delta-decode.js'
import { DeltaEncoder, MAX_EIDS } from './delta-encode.js'
import { Emitter } from '../shared/emitter.js'
import { InboundQueue } from './inbound-queue.js'
import { Interpolator } from './interpolation.js'
import { createLayout, type BoundComponent } from './layout.js'
import { ReceiveHistory } from './receive-history.js'
import { electHeir } from './ownership.js'
import { EntityRegistry, type NetEntity } from './registry.js'
import {
  PROTOCOL_VERSION, applyComponentState, buildFrame, componentState, decodeFrame, encodeMessage, netKey,
  type ComponentState, type Message, type NetId,
} from '../protocol/reliable-codec.js'
import { unzigzag } from '../protocol/exp-golomb.js'
import { unwrapSeq } from '../protocol/seq.js'
import { StatsCounters, type DropCounters, type NetStats } from './stats.js'
import { createPresenceReader } from './world-access.js'

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
}

export const DEFAULT_LIMITS: Readonly<NetworkLimits> = {
  maxQueuedMessages: 4096,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxReliableBytes: 1024 * 1024,
  maxUnreliableBytes: 1200,
  maxInvalid: 10,
}

export interface NetworkOptions {
  schema: Schema
  /** Component stores by component id; default `schema.stores`. Resized to `maxEntities`. */
  stores?: ReadonlyMap<number, ComponentStore>
  transport: Transport
  /** Network ticks (flush calls) per second; the expected send interval until peers' is measured. Default 30. */
  tickRate?: number
  /** Largest local eid + 1 that can be replicated (stores are resized to it). Default 4096. */
  maxEntities?: number
  /** How far behind the newest remote state interpolated values are rendered, ms. Default 100. */
  interpolationDelay?: number
  /** A field moving more than this between two samples is a teleport: no sliding. Default 5 (store units). */
  snapDistance?: number
  limits?: Partial<NetworkLimits>
  /** Clock in ms. Default `performance.now()`; with MemoryTransport pass `hub.clock`. */
  now?: () => number
  /** When this peer joined the session (heir election); default the clock at createNetwork. */
  connectedAt?: number
}

/** A connected peer as the network sees it. */
export interface NetPeer {
  readonly id: string
  /** Verified ATProto DID, or null for an anonymous peer. */
  readonly did: string | null
  /** Smoothed round-trip time of the unreliable channel (ms), from ack timing; includes up to one tick of ack delay. */
  readonly rtt: number
  /**
   * Fraction of our unreliable packets sent in the last ~2 s that it never acknowledged: a packet counts as lost once
   * an ack of a packet 8 newer proves it missing (or after max(1 s, 3 RTT) without any ack), so this tracks the link
   * within seconds.
   */
  readonly loss: number
  readonly connectedAt: number
}

export interface Refused {
  readonly peerId: string
  /** 'SCHEMA_MISMATCH', 'PROTOCOL_VERSION' or 'TOO_MANY_INVALID'. */
  readonly code: string
  readonly detail: string
}

export interface NetworkEvents {
  peerJoined: (peer: NetPeer) => void
  peerLeft: (peerId: string, reason: string) => void
  /** A peer was refused (by us or by it): schema mismatch and the like. */
  refused: (info: Refused) => void
  /** A user handler or listener threw; the network carried on. */
  error: (error: unknown) => void
}

export interface Network {
  readonly world: World
  readonly schema: Schema
  readonly tickRate: number
  /** Network ticks flushed so far. */
  readonly tick: number
  /** This peer's id (null until the transport knows it). */
  readonly selfId: string | null
  /** Replicates an entity this peer owns, with all of its schema components (state captured now). */
  spawn(eid: number, options?: { persistent?: boolean }): void
  /** Stops replicating an entity we own; it is removed on every other peer (the local entity stays). */
  despawn(eid: number): void
  /** Asks the current owner; resolves true when we own the entity, false if someone else got it. */
  requestOwnership(eid: number): Promise<boolean>
  isOwner(eid: number): boolean
  /** Owner peer id of a replicated entity (our own id for ours), or null if not replicated. */
  ownerOf(eid: number): string | null
  isReplicated(eid: number): boolean
  /** The network id of a replicated entity (null if not replicated or not yet assigned). */
  netIdOf(eid: number): { readonly origin: string; readonly n: number } | null
  /** Local eid of a network id, if known. */
  eidOf(id: { readonly origin: string; readonly n: number }): number | undefined
  /** Sends an event reliably (ordered, exactly once) to every peer, or to one with `to`. */
  send<T>(event: EventDef<T>, message: T, options?: { to?: string }): void
  on<T>(event: EventDef<T>, handler: (message: T, from: NetPeer) => void): () => void
  /** Applies everything that arrived (spawns, deltas, reliable components, ownership, events); a bitECS system. */
  receive(world?: World): World
  /** Detects changes and sends them (call once per network tick); a bitECS system. */
  flush(world?: World): World
  /** Recomputes interpolated stores for `now` (receive() does this too); call once per render frame. */
  interpolate(now?: number): void
  /**
   * The interpolated view of a component store (same shape): remote `interpolate: true` components read
   * `now - interpolationDelay`, everything else mirrors the store. The store itself always holds the newest
   * received values. Pass the store object or its component id.
   */
  interpolated<S extends ComponentStore>(store: S | number): S
  readonly peers: readonly NetPeer[]
  readonly stats: NetStats
  readonly events: Pick<Emitter<NetworkEvents>, 'on'>
  /** Detaches from the world and the transport (does not close the transport). */
  close(): void
}

const attached = new WeakMap<object, Network>()
/** Messages per reliable frame (frames also stay under maxReliableBytes). */
const MAX_FRAME_MESSAGES = 1024

/** Thrown inside message handling: counted and struck against the sender, never out of receive(). */
class Invalid extends Error {
  constructor(
    readonly reason: keyof DropCounters,
    message: string,
  ) {
    super(message)
  }
}

const STALL = 'stall' as const
type Outcome = void | typeof STALL

interface PeerState {
  readonly id: string
  readonly did: string | null
  ready: boolean
  gone: boolean
  connectedAt: number
  readonly ack: AckTracker
  readonly baseline: ReceiverBaseline
  /** Reliable messages sent to it (hello included) and processed from it. */
  relSent: number
  relProcessed: number
  outbox: Uint8Array[]
  /** Decoded reliable messages not yet processed (a message can wait for an ownership change it depends on). */
  inbox: Message[]
  inboxHead: number
  invalid: number
  /** Its delta slots → entities; null = an entity that moved on (late packets for it are stale, not invalid). */
  readonly slots: Map<number, NetEntity | null>
  /**
   * Its clock: the newest sender time seen (ms, unwrapped), local time minus sender time (smoothed minimum: the
   * one-way delay plus the clocks' difference), and its mean interval between flushes (ms).
   */
  lastSenderTime: number
  clockOffset: number
  hasClock: boolean
  sendInterval: number
}

interface PendingRequest {
  readonly eid: number
  readonly key: string
  readonly owner: string
  readonly resolve: (v: boolean) => void
  readonly promise: Promise<boolean>
}

export function createNetwork(world: World, options: NetworkOptions): Network {
  if (attached.has(world)) throw new MultiuserError(ErrorCode.ALREADY_ATTACHED, 'this world already has a network; call net.close() before attaching another')
  const { schema, transport } = options
  const tickRate = options.tickRate ?? 30
  const capacity = options.maxEntities ?? 4096
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_EIDS) throw new MultiuserError(ErrorCode.CAPACITY_EXCEEDED, `maxEntities must be 1..${MAX_EIDS}`)
  const delay = options.interpolationDelay ?? 100
  const limits: NetworkLimits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) }
  const clock = options.now ?? (() => performance.now())
  const connectedAt = options.connectedAt ?? clock()
  const tickMs = 1000 / tickRate

  const storeMap = options.stores ?? schema.stores
  for (const def of schema.components) {
    const store = storeMap.get(def.id)
    if (!store) throw new MultiuserError(ErrorCode.SCHEMA_INVALID, `no store for component ${def.name}`)
    if (def.capacityOf(store) < capacity) def.resize(store, capacity)
  }
  const layout = createLayout(schema, storeMap)
  const presence = createPresenceReader(world, layout.components.map((c) => c.store))
  const detector = new ChangeDetector(layout, presence, capacity)
  const registry = new EntityRegistry(capacity)
  const slotOf = new Float64Array(capacity)
  const rec0 = (eid: number): boolean => registry.get(eid)?.id != null
  /** Per owned eid: the bitECS mask word (schema stores only) seen at the last structural check; -1 = check. */
  const rawPresence = new Int32Array(capacity).fill(-1)
  const encoder = new DeltaEncoder(layout, detector, slotOf, capacity, limits.maxUnreliableBytes)
  const decoder = new DeltaDecoder(layout, limits.maxUnreliableBytes)
  const lastSeq = layout.deltaFields.map(() => new Int32Array(capacity))
  const history = new ReceiveHistory(layout, capacity)
  const interpolators = new Map<number, Interpolator>()
  for (const c of layout.delta) if (c.def.interpolate) interpolators.set(c.bit, new Interpolator(c, capacity, options.snapDistance ?? 5))
  const interpolatorList = [...interpolators.values()]
  /** Interpolator of each DELTA component by its index in layout.delta (undefined: not interpolated). */
  const interpolatorOfDelta = layout.delta.map((c) => interpolators.get(c.bit))
  const stats = new StatsCounters()
  const emitter = new Emitter<NetworkEvents>(() => stats.handlerErrors++)
  const queue = new InboundQueue(limits.maxQueuedMessages, limits.maxQueuedBytes)
  const peers = new Map<string, PeerState>()
  const handlers = new Map<number, Set<(m: unknown, from: NetPeer) => void>>()
  const requests = new Map<number, PendingRequest>()
  let nextSlot = 0
  /** Owned entities still without a net id (spawned before the transport knew our id). */
  const unassigned: NetEntity[] = []
  let requestCounter = 0
  let tick = 0
  let closed = false

  const selfId = (): string | null => transport.self?.id ?? null
  const deltaBitsOf = (presenceMask: number): number => {
    let bits = 0
    for (const c of layout.delta) if (presenceMask & (1 << c.bit)) bits |= 1 << c.deltaIndex
    return bits
  }
  const peerInfo = (p: PeerState): NetPeer => ({ id: p.id, did: p.did, rtt: p.ack.rtt, loss: p.ack.loss, connectedAt: p.connectedAt })

  // ---------- transport ----------
  const unsubscribe = [
    transport.on('peerJoined', (peer: PeerIdentity) => queue.pushControl({ kind: 'joined', peer })),
    transport.on('peerLeft', (peerId: string, reason: string) => queue.pushControl({ kind: 'left', peerId, reason })),
    transport.on('message', (from: string, channel: Channel, data: Uint8Array) => {
      const cap = channel === 'reliable' ? limits.maxReliableBytes : limits.maxUnreliableBytes
      if (data.length > cap) {
        stats.dropped.oversized++
        strike(from, `${channel} message of ${data.length} bytes exceeds ${cap}`)
        return
      }
      if (!queue.pushMessage(from, channel, data, clock())) stats.dropped.queueFull++
    }),
  ]

  const sendFrame = (p: PeerState, messages: Uint8Array[]): void => {
    const frame = buildFrame(messages)
    transport.send(p.id, 'reliable', frame)
    stats.countSent('reliable', frame.length)
  }

  /** Queues a message for `p` (sent at the next flush); returns its index in p's reliable stream. */
  const queueTo = (p: PeerState, bytes: Uint8Array): number => {
    p.outbox.push(bytes)
    return ++p.relSent
  }
  const readyPeers = (): PeerState[] => [...peers.values()].filter((p) => p.ready && !p.gone)
  const broadcast = (m: Message, after?: (p: PeerState, index: number) => void): void => {
    const bytes = encodeMessage(m)
    for (const p of readyPeers()) {
      const index = queueTo(p, bytes)
      after?.(p, index)
    }
  }

  function strike(peerId: string, why: string): void {
    stats.invalid++
    const p = peers.get(peerId)
    if (!p || p.gone) return
    p.invalid++
    if (p.invalid >= limits.maxInvalid) {
      p.gone = true
      stats.disconnects++
      try {
        sendFrame(p, [encodeMessage({ body: { $case: 'refusal', value: { reason: 3, detail: `too many invalid messages (last: ${why})` } } })])
      } catch {
        /* the link may already be gone */
      }
      transport.disconnect(peerId, 'too many invalid messages')
    }
  }

  // ---------- entity state helpers ----------
  const fullState = (eid: number): ComponentState[] => {
    const mask = presence.mask(eid)
    const out: ComponentState[] = []
    for (const c of layout.components) if (mask & (1 << c.bit)) out.push(componentState(c.def, c.store, eid))
    return out
  }

  const resetRemoteFields = (eid: number): void => {
    for (const a of lastSeq) a[eid] = 0
    history.clear(eid)
    for (const it of interpolators.values()) it.clear(eid)
  }

  /** Seeds the interpolation buffers of a remote entity from its full (spawn / claim / transfer) state. */
  const seedRemote = (eid: number, onlyBit = -1): void => {
    const mask = presence.mask(eid)
    for (const it of interpolatorList) {
      const bit = it.component.bit
      if ((onlyBit < 0 || bit === onlyBit) && (mask & (1 << bit)) !== 0) it.seed(eid)
    }
  }

  const applyStates = (eid: number, states: readonly ComponentState[], addMissing: boolean): void => {
    for (const s of states) {
      const c = layout.byId.get(s.component)
      if (!c) throw new Invalid('malformed', `unknown component id ${s.component}`)
      applyComponentState(c.def, c.store, eid, s)
      if (addMissing && (presence.mask(eid) & (1 << c.bit)) === 0) addComponent(world, eid, c.store)
    }
  }

  let reliableBits = 0
  for (const c of layout.reliable) reliableBits |= 1 << c.bit
  const rawReliableFlags = presence.reliableRawFlags(reliableBits)
  const currentWire = (f: number, eid: number): number => layout.deltaFields[f].toWire(layout.column(f)[eid])

  const spawnMessage = (rec: NetEntity): Message => ({
    body: { $case: 'spawn', value: { id: rec.id!, slot: rec.slot, persistent: rec.persistent, epoch: rec.epoch, components: fullState(rec.eid) } },
  })

  /** Sends a message carrying the entity's full state to `targets`, each awaiting its confirmation. */
  const sendWithBaseline = (rec: NetEntity, m: Message, targets: PeerState[]): void => {
    const bytes = encodeMessage(m)
    const bits = deltaBitsOf(presence.mask(rec.eid))
    for (const p of targets) {
      p.baseline.forget(rec.eid)
      const index = queueTo(p, bytes)
      p.baseline.awaitConfirmation(index, rec.eid, rec.gen, bits, (f) => currentWire(f, rec.eid), p.ack.nextSeq - 1)
    }
  }

  const becomeOwner = (rec: NetEntity): void => {
    rec.owner = selfId() ?? ''
    rec.slot = nextSlot++
    slotOf[rec.eid] = rec.slot
    registry.own(rec)
    detector.capture(rec.eid)
    rawPresence[rec.eid] = -1
    for (const it of interpolators.values()) it.clear(rec.eid)
    sendWithBaseline(rec, { body: { $case: 'ownershipClaim', value: { id: rec.id!, epoch: rec.epoch, slot: rec.slot, components: fullState(rec.eid) } } }, readyPeers())
  }

  const unown = (rec: NetEntity): void => {
    registry.disown(rec)
    for (const p of peers.values()) {
      p.baseline.forget(rec.eid)
      p.baseline.unmarkPending(rec.eid)
    }
  }

  const dropRemote = (rec: NetEntity): void => {
    registry.remove(rec)
    if (entityExists(world, rec.eid)) removeEntity(world, rec.eid)
  }

  const settleRequests = (eid: number, won: boolean): void => {
    for (const [id, r] of requests) {
      if (r.eid !== eid) continue
      requests.delete(id)
      r.resolve(won)
    }
  }

  /** The owner of `rec` is gone: persistent entities pass to the heir, others are despawned. */
  const orphan = (rec: NetEntity): void => {
    const old = rec.owner
    const oldPeer = peers.get(old)
    if (oldPeer && rec.slot >= 0) oldPeer.slots.set(rec.slot, null)
    if (!rec.persistent) {
      settleRequests(rec.eid, false)
      dropRemote(rec)
      return
    }
    const candidates = readyPeers().map((p) => ({ id: p.id, connectedAt: p.connectedAt }))
    const me = selfId()
    if (me) candidates.push({ id: me, connectedAt })
    const heir = electHeir(candidates)
    rec.epoch++
    rec.slot = -1
    resetRemoteFields(rec.eid)
    if (heir === null || heir === me) {
      becomeOwner(rec)
      settleRequests(rec.eid, true)
    } else {
      rec.owner = heir
      settleRequests(rec.eid, false)
      seedRemote(rec.eid)
    }
  }

  // ---------- reliable message handling ----------
  /** Ownership check for a message about `rec` at `epoch` from `from`: ok, wait (newer epoch), or invalid. */
  const checkOwner = (rec: NetEntity | undefined, from: PeerState, epoch: number): Outcome => {
    if (!rec) {
      if (epoch > 0) return STALL
      throw new Invalid('unknownEntity', 'unknown entity')
    }
    if (epoch > rec.epoch) return STALL
    if (rec.owner !== from.id || epoch !== rec.epoch) throw new Invalid('notOwner', `${from.id} does not own ${rec.key}`)
  }

  const handleMessage = (p: PeerState, m: Message): Outcome => {
    const body = m.body
    if (!body) throw new Invalid('malformed', 'empty message')
    if (!p.ready && body.$case !== 'hello' && body.$case !== 'refusal') throw new Invalid('malformed', `${body.$case} before hello`)
    switch (body.$case) {
      case 'hello': {
        if (p.ready) throw new Invalid('malformed', 'second hello')
        const h = body.value
        let code: string | null = null
        if (h.protocolVersion !== PROTOCOL_VERSION) code = 'PROTOCOL_VERSION'
        else if (h.fingerprint !== schema.fingerprint) code = ErrorCode.SCHEMA_MISMATCH
        if (code) {
          const detail = code === 'PROTOCOL_VERSION' ? `protocol ${h.protocolVersion}, ours ${PROTOCOL_VERSION}` : `schema fingerprint ${h.fingerprint}, ours ${schema.fingerprint}`
          sendFrame(p, [encodeMessage({ body: { $case: 'refusal', value: { reason: code === 'PROTOCOL_VERSION' ? 2 : 1, detail } } })])
          p.gone = true
          emitter.emit('refused', { peerId: p.id, code, detail })
          transport.disconnect(p.id, code)
          return
        }
        p.ready = true
        p.connectedAt = Number.isFinite(h.connectedAt) ? h.connectedAt : 0
        emitter.emit('peerJoined', peerInfo(p))
        // Late join: the full state of everything we own.
        for (let i = 0; i < registry.ownedCount; i++) {
          const rec = registry.get(registry.owned[i])!
          if (rec.id) sendWithBaseline(rec, spawnMessage(rec), [p])
        }
        return
      }
      case 'refusal': {
        const names = ['REASON_UNSPECIFIED', 'SCHEMA_MISMATCH', 'PROTOCOL_VERSION', 'TOO_MANY_INVALID']
        const code = names[body.value.reason] ?? 'REASON_UNSPECIFIED'
        const wasGone = p.gone
        p.gone = true
        if (!wasGone || code !== ErrorCode.SCHEMA_MISMATCH) emitter.emit('refused', { peerId: p.id, code, detail: body.value.detail })
        return
      }
      case 'spawn': {
        const s = body.value
        if (!s.id) throw new Invalid('malformed', 'spawn without id')
        if (registry.lookup(s.id)) throw new Invalid('malformed', `duplicate spawn of ${netKey(s.id)}`)
        if (s.epoch === 0 && s.id.origin !== p.id) throw new Invalid('notOwner', `${p.id} spawned an entity of ${s.id.origin}`)
        if (p.slots.get(s.slot)) throw new Invalid('malformed', `slot ${s.slot} reused`)
        const eid = addEntity(world)
        if (eid >= capacity || registry.get(eid)) {
          removeEntity(world, eid)
          throw new Invalid('malformed', `no room for entity (maxEntities ${capacity})`)
        }
        try {
          applyStates(eid, s.components, true)
        } catch (e) {
          removeEntity(world, eid)
          throw e
        }
        const rec: NetEntity = { eid, id: null, key: null, owner: p.id, epoch: s.epoch, slot: s.slot, persistent: s.persistent, gen: 0 }
        registry.add(rec)
        registry.setId(rec, s.id)
        p.slots.set(s.slot, rec)
        resetRemoteFields(eid)
        seedRemote(eid)
        return
      }
      case 'despawn': {
        const rec = registry.lookup(body.value.id)
        const o = checkOwner(rec, p, body.value.epoch)
        if (o) return o
        p.slots.set(rec!.slot, null)
        settleRequests(rec!.eid, false)
        dropRemote(rec!)
        return
      }
      case 'componentAdd':
      case 'componentUpdate': {
        const v = body.value
        const rec = registry.lookup(v.id)
        const o = checkOwner(rec, p, v.epoch)
        if (o) return o
        if (!v.component) throw new Invalid('malformed', 'missing component')
        const c = layout.byId.get(v.component.component)
        if (!c) throw new Invalid('malformed', `unknown component id ${v.component.component}`)
        const has = (presence.mask(rec!.eid) & (1 << c.bit)) !== 0
        if (body.$case === 'componentUpdate' && !has) throw new Invalid('malformed', `update of absent component ${c.def.name}`)
        applyStates(rec!.eid, [v.component], true)
        if (body.$case === 'componentAdd' && c.deltaIndex >= 0) {
          for (let f = c.firstField; f < c.firstField + c.def.numericFields.length; f++) lastSeq[f][rec!.eid] = 0
          history.clear(rec!.eid, c.firstField, c.def.numericFields.length)
          seedRemote(rec!.eid, c.bit)
        }
        return
      }
      case 'componentRemove': {
        const v = body.value
        const rec = registry.lookup(v.id)
        const o = checkOwner(rec, p, v.epoch)
        if (o) return o
        const c = layout.byId.get(v.component)
        if (!c) throw new Invalid('malformed', `unknown component id ${v.component}`)
        removeComponent(world, rec!.eid, c.store)
        return
      }
      case 'ownershipRequest': {
        const v = body.value
        const rec = registry.lookup(v.id)
        const deny = (): void => void queueTo(p, encodeMessage({ body: { $case: 'ownershipDeny', value: { id: v.id, requestId: v.requestId } } }))
        if (!rec || !registry.isOwned(rec.eid) || !rec.id) return deny()
        // First request wins: from here on we no longer own it, later requests are denied.
        unown(rec)
        rec.epoch++
        rec.owner = p.id
        rec.slot = -1
        resetRemoteFields(rec.eid)
        broadcast({ body: { $case: 'ownershipTransfer', value: { id: rec.id, newOwner: p.id, epoch: rec.epoch, requestId: v.requestId, components: fullState(rec.eid) } } })
        settleRequests(rec.eid, false)
        return
      }
      case 'ownershipDeny': {
        const r = requests.get(body.value.requestId)
        if (r && r.owner === p.id) {
          requests.delete(body.value.requestId)
          r.resolve(false)
        }
        return
      }
      case 'ownershipTransfer': {
        const v = body.value
        const rec = registry.lookup(v.id)
        if (v.epoch === 0) throw new Invalid('malformed', 'transfer to epoch 0')
        const o = checkOwner(rec, p, v.epoch - 1)
        if (o) return o
        const r = rec!
        p.slots.set(r.slot, null)
        r.epoch = v.epoch
        r.owner = v.newOwner
        r.slot = -1
        applyStates(r.eid, v.components, true)
        resetRemoteFields(r.eid)
        const me = selfId()
        if (v.newOwner === me) {
          becomeOwner(r)
          settleRequests(r.eid, true)
        } else {
          settleRequests(r.eid, false)
          seedRemote(r.eid)
          const heirPeer = peers.get(v.newOwner)
          if (!heirPeer || heirPeer.gone || !heirPeer.ready) orphan(r)
        }
        return
      }
      case 'ownershipClaim': {
        const v = body.value
        const rec = registry.lookup(v.id)
        const o = checkOwner(rec, p, v.epoch)
        if (o) return o
        const existing = p.slots.get(v.slot)
        if (existing && existing !== rec) throw new Invalid('malformed', `slot ${v.slot} reused`)
        rec!.slot = v.slot
        p.slots.set(v.slot, rec!)
        applyStates(rec!.eid, v.components, true)
        resetRemoteFields(rec!.eid)
        seedRemote(rec!.eid)
        return
      }
      case 'event': {
        const def = schema.eventById(body.value.event)
        if (!def) throw new Invalid('malformed', `unknown event id ${body.value.event}`)
        let msg: unknown
        try {
          msg = def.codec.decode(body.value.payload)
        } catch (e) {
          throw new Invalid('malformed', `${def.name}: ${(e as Error).message}`)
        }
        const hs = handlers.get(def.id)
        if (!hs) return
        const from = peerInfo(p)
        for (const h of [...hs]) {
          try {
            h(msg, from)
          } catch (e) {
            stats.handlerErrors++
            emitter.emit('error', e)
          }
        }
        return
      }
    }
  }

  /** Processes p's queued reliable messages in order; stops at one that must wait. Returns how many ran. */
  const runInbox = (p: PeerState): number => {
    let n = 0
    while (p.inboxHead < p.inbox.length && !p.gone) {
      const m = p.inbox[p.inboxHead]
      let outcome: Outcome
      try {
        outcome = handleMessage(p, m)
      } catch (e) {
        if (e instanceof Invalid) stats.dropped[e.reason]++
        else stats.dropped.malformed++
        strike(p.id, (e as Error).message)
        outcome = undefined
      }
      if (outcome === STALL) break
      p.inbox[p.inboxHead++] = undefined as unknown as Message
      p.relProcessed++
      n++
    }
    if (p.inboxHead === p.inbox.length) {
      p.inbox = []
      p.inboxHead = 0
    }
    return n
  }

  const runAllInboxes = (): void => {
    for (let progress = true; progress; ) {
      progress = false
      for (const p of peers.values()) if (p.inboxHead < p.inbox.length && runInbox(p) > 0) progress = true
    }
  }

  // ---------- unreliable (delta) handling ----------
  /** `now` is the packet's arrival time (RTT and the sender-clock offset measure the network, not our tick). */
  const onDelta = (p: PeerState, data: Uint8Array, now: number): void => {
    try {
      decoder.decode(data)
    } catch (e) {
      stats.dropped.malformed++
      strike(p.id, (e as Error).message)
      return
    }
    const h = decoder.header
    const seq = p.ack.acceptIncoming(h.seq)
    if (seq < 0) {
      stats.dropped.duplicate++
      return
    }
    // The flush this packet belongs to, and the one its relative fields refer to.
    const tickId = seq - h.index
    const baseTick = h.baseAge > 0 ? tickId - h.baseAge : -1
    if (tickId < 1 || (h.baseAge > 0 && baseTick < 1)) {
      stats.dropped.malformed++
      strike(p.id, 'delta packet index or baseline out of range')
      return
    }
    if (h.ackWordCount > 0 && !p.ack.onAck(h.ack, h.ackWords, h.ackWordCount, now, h.ackDelay)) {
      stats.dropped.malformed++
      strike(p.id, 'ack of a packet never sent')
      return
    }
    const relAck = unwrapSeq(h.relAck, p.relSent)
    if (relAck > p.relSent) {
      stats.dropped.malformed++
      strike(p.id, 'reliable ack beyond what was sent')
      return
    }
    p.baseline.confirmUpTo(relAck, registry.genOf)
    // Every entity must be one the sender announced, before anything is applied.
    const nd = layout.delta.length
    for (let i = 0; i < decoder.count; i++) {
      if (!p.slots.has(decoder.slots[i])) {
        stats.dropped.unknownEntity++
        strike(p.id, `delta for unknown slot ${decoder.slots[i]}`)
        return
      }
    }
    // Resolve fields coded relative to the baseline flush into wire values (NaN = baseline not held).
    const values = decoder.values
    if (baseTick > 0) {
      for (let i = 0; i < decoder.count; i++) {
        const rec = p.slots.get(decoder.slots[i])
        const end = i + 1 < decoder.count ? decoder.valueStart[i + 1] : decoder.valueCount
        const live = rec !== undefined && rec !== null && rec.owner === p.id && registry.get(rec.eid) === rec
        for (let v = decoder.valueStart[i]; v < end; v++) {
          if (decoder.relative[v] === 0) continue
          const f = decoder.valueField[v]
          const base = live ? history.lookup(f, rec.eid, baseTick) : -1
          if (base < 0) {
            if (live) stats.dropped.stale++
            values[v] = Number.NaN
            continue
          }
          let w = base + unzigzag(values[v])
          if (layout.wireAngle[f] === 1) {
            const span = 2 ** layout.wireBits[f]
            w = ((w % span) + span) % span
          } else if (w < 0 || w > layout.wireTop[f]) {
            stats.dropped.malformed++
            strike(p.id, 'relative value out of range')
            return
          }
          values[v] = w
        }
      }
    }
    // Sample times come from the sender's clock (16-bit ms), not its tick counter: a sender whose flushes run
    // slow (a busy tab) still stamps real time. Unwrapped around the sender time we expect now.
    const expected = p.hasClock ? now - p.clockOffset : h.time
    const sampleTime = unwrapSeq(h.time, Math.round(expected))
    if (p.hasClock && sampleTime > p.lastSenderTime) {
      const gap = sampleTime - p.lastSenderTime
      // Mean interval between its flushes (for holding still entities), ignoring long silences.
      if (gap < 2000) p.sendInterval += (gap - p.sendInterval) * 0.1
    }
    if (!p.hasClock || sampleTime > p.lastSenderTime) p.lastSenderTime = sampleTime
    // Local minus sender time: the smallest seen is the least-delayed packet; drift upward slowly (clock skew).
    const offset = now - sampleTime
    if (!p.hasClock || offset < p.clockOffset) {
      p.clockOffset = offset
      p.hasClock = true
    } else p.clockOffset += (offset - p.clockOffset) * 0.01

    let complete = true
    for (let i = 0; i < decoder.count; i++) {
      const rec = p.slots.get(decoder.slots[i])
      if (!rec || rec.owner !== p.id || registry.get(rec.eid) !== rec) {
        stats.dropped.stale++
        continue
      }
      const eid = rec.eid
      const has = presence.mask(eid)
      let v = decoder.valueStart[i]
      for (let c = 0; c < nd; c++) {
        const m = decoder.masks[i * nd + c]
        if (m === 0) continue
        const comp = layout.delta[c]
        const fields = comp.def.numericFields
        if ((has & (1 << comp.bit)) === 0) {
          // Its ComponentAdd has not arrived yet: skip, and do not ack so the sender keeps sending.
          complete = false
          for (let j = 0; j < fields.length; j++) if ((m >>> j) & 1) v++
          continue
        }
        let changed = false
        for (let j = 0; j < fields.length; j++) {
          if (((m >>> j) & 1) === 0) continue
          const f = comp.firstField + j
          const wire = values[v++]
          if (wire !== wire) {
            // Relative to a baseline we no longer hold (reordered far behind): not applied, not acknowledged.
            complete = false
            continue
          }
          history.record(f, eid, tickId, wire)
          if (seq > lastSeq[f][eid]) {
            lastSeq[f][eid] = seq
            layout.column(f)[eid] = fields[j].fromWire(wire)
            changed = true
          }
        }
        if (changed) interpolatorOfDelta[c]?.push(eid, sampleTime, p.sendInterval)
      }
    }
    if (complete) p.ack.markReceived(seq, now)
  }

  const onJoined = (peer: PeerIdentity): void => {
    const old = peers.get(peer.id)
    if (old && !old.gone) return
    const p: PeerState = {
      id: peer.id, did: peer.did, ready: false, gone: false, connectedAt: 0,
      ack: new AckTracker(), baseline: new ReceiverBaseline(layout, capacity),
      relSent: 0, relProcessed: 0, outbox: [], inbox: [], inboxHead: 0, invalid: 0,
      slots: new Map(), lastSenderTime: 0, clockOffset: 0, hasClock: false, sendInterval: tickMs,
    }
    peers.set(peer.id, p)
    p.ack.onPacketAcked = (seq) => p.baseline.onAcked(seq)
    p.ack.onPacketResolved = (seq, lost) => p.baseline.release(seq, lost)
    p.relSent = 1
    sendFrame(p, [encodeMessage({ body: { $case: 'hello', value: { fingerprint: schema.fingerprint, protocolVersion: PROTOCOL_VERSION, connectedAt } } })])
  }

  const onLeft = (peerId: string, reason: string): void => {
    const p = peers.get(peerId)
    if (!p) return
    const wasReady = p.ready && !p.gone
    p.gone = true
    peers.delete(peerId)
    for (const [id, r] of requests) {
      if (r.owner === peerId) {
        requests.delete(id)
        r.resolve(false)
      }
    }
    for (const rec of [...registry.byKey.values()]) if (rec.owner === peerId) orphan(rec)
    if (wasReady || p.ready) emitter.emit('peerLeft', peerId, reason)
  }

  // ---------- public API ----------
  const requireRec = (eid: number): NetEntity => {
    const rec = registry.get(eid)
    if (!rec) throw new MultiuserError(ErrorCode.NOT_REPLICATED, `entity ${eid} is not replicated`)
    return rec
  }

  /** Gives entities spawned before our id was known their net id, and announces them. */
  const assignIds = (): void => {
    if (unassigned.length === 0) return
    const me = selfId()
    if (!me) return
    const ready = readyPeers()
    for (const rec of unassigned) {
      if (registry.get(rec.eid) !== rec || !registry.isOwned(rec.eid)) continue
      if (rec.owner === '') rec.owner = me
      if (rec.id) continue
      registry.setId(rec, { origin: me, n: rec.slot })
      sendWithBaseline(rec, spawnMessage(rec), ready)
    }
    unassigned.length = 0
  }

  /** Structural and RELIABLE changes of owned entities, then DELTA change detection. */
  const detectChanges = (): void => {
    const owned = registry.owned
    // Fast path: an entity whose mask word did not move, with no RELIABLE component, needs no structural work.
    const raw = presence.rawMasks()
    const rawMasks = raw ? raw.masks : null
    const rawFlags = raw ? raw.flags : 0
    const rawReliable = raw ? rawReliableFlags : 0
    for (let i = registry.ownedCount - 1; i >= 0; i--) {
      const eid = owned[i]
      if (rawMasks !== null) {
        const word = (rawMasks[eid] ?? 0) & rawFlags
        if (word === rawPresence[eid] && word !== 0 && (word & rawReliable) === 0) continue
        // Remembered once the structural state below is handled (not for entities still without a net id).
        if (rec0(eid)) rawPresence[eid] = word
      }
      const rec = registry.get(eid)!
      if (!presence.exists(eid)) {
        // Removed locally without net.despawn(): despawn everywhere.
        if (rec.id) broadcast({ body: { $case: 'despawn', value: { id: rec.id, epoch: rec.epoch } } })
        unown(rec)
        registry.remove(rec)
        continue
      }
      if (!rec.id) continue
      const now = presence.mask(eid)
      const before = detector.presence[eid]
      if (now !== before) {
        const added = now & ~before
        const removed = before & ~now
        for (const c of layout.components) {
          const bit = 1 << c.bit
          if (removed & bit) {
            for (const p of peers.values()) p.baseline.forget(eid, c.deltaIndex >= 0 ? 1 << c.deltaIndex : 0)
            broadcast({ body: { $case: 'componentRemove', value: { id: rec.id, epoch: rec.epoch, component: c.def.id } } })
          }
        }
        detector.capture(eid, added | removed)
        for (const c of layout.components) {
          const bit = 1 << c.bit
          if ((added & bit) === 0) continue
          const bytes = encodeMessage({ body: { $case: 'componentAdd', value: { id: rec.id, epoch: rec.epoch, component: componentState(c.def, c.store, eid) } } })
          for (const p of readyPeers()) {
            const index = queueTo(p, bytes)
            if (c.deltaIndex >= 0) p.baseline.awaitConfirmation(index, eid, rec.gen, 1 << c.deltaIndex, (f) => currentWire(f, eid), p.ack.nextSeq - 1)
          }
        }
      }
      if ((now & reliableBits) === 0) continue
      for (const c of layout.reliable) {
        if ((now & (1 << c.bit)) === 0) continue
        const mask = detector.reliableChanges(eid, c.bit)
        if (mask !== 0) broadcast({ body: { $case: 'componentUpdate', value: { id: rec.id, epoch: rec.epoch, component: componentState(c.def, c.store, eid, mask) } } })
      }
    }
    detector.detect(registry.owned, registry.ownedCount, registry.ownedPos, registry.ownedEnd)
  }

  const flushReliable = (): void => {
    for (const p of peers.values()) {
      if (p.outbox.length === 0 || p.gone) continue
      let batch: Uint8Array[] = []
      let size = 0
      for (const m of p.outbox) {
        if (m.length + 8 > limits.maxReliableBytes) continue // never happens: checked at send()
        if ((size + m.length + 8 > limits.maxReliableBytes || batch.length >= MAX_FRAME_MESSAGES) && batch.length > 0) {
          sendFrame(p, batch)
          batch = []
          size = 0
        }
        batch.push(m)
        size += m.length + 8
      }
      if (batch.length > 0) sendFrame(p, batch)
      p.outbox = []
    }
  }

  const net: Network = {
    world,
    schema,
    tickRate,
    get tick() {
      return tick
    },
    get selfId() {
      return selfId()
    },
    spawn(eid, opts = {}) {
      if (!entityExists(world, eid)) throw new MultiuserError(ErrorCode.NOT_REPLICATED, `entity ${eid} does not exist`)
      if (eid >= capacity) throw new MultiuserError(ErrorCode.CAPACITY_EXCEEDED, `eid ${eid} ≥ maxEntities ${capacity}`)
      if (registry.get(eid)) throw new MultiuserError(ErrorCode.ALREADY_ATTACHED, `entity ${eid} is already replicated`)
      const rec: NetEntity = { eid, id: null, key: null, owner: selfId() ?? '', epoch: 0, slot: nextSlot++, persistent: opts.persistent === true, gen: 0 }
      slotOf[eid] = rec.slot
      registry.add(rec)
      registry.own(rec)
      detector.capture(eid)
      rawPresence[eid] = -1
      resetRemoteFields(eid)
      unassigned.push(rec)
      assignIds()
    },
    despawn(eid) {
      const rec = requireRec(eid)
      if (!registry.isOwned(eid)) throw new MultiuserError(ErrorCode.NOT_OWNER, `entity ${eid} is owned by ${rec.owner}`)
      if (rec.id) broadcast({ body: { $case: 'despawn', value: { id: rec.id, epoch: rec.epoch } } })
      unown(rec)
      registry.remove(rec)
    },
    requestOwnership(eid) {
      const rec = requireRec(eid)
      if (registry.isOwned(eid)) return Promise.resolve(true)
      for (const r of requests.values()) if (r.eid === eid) return r.promise
      const owner = peers.get(rec.owner)
      if (!owner || !owner.ready || owner.gone || !rec.id) return Promise.resolve(false)
      const requestId = ++requestCounter
      let resolve!: (v: boolean) => void
      const promise = new Promise<boolean>((res) => (resolve = res))
      requests.set(requestId, { eid, key: rec.key!, owner: owner.id, resolve, promise })
      queueTo(owner, encodeMessage({ body: { $case: 'ownershipRequest', value: { id: rec.id, requestId } } }))
      return promise
    },
    isOwner: (eid) => registry.isOwned(eid),
    ownerOf(eid) {
      const rec = registry.get(eid)
      if (!rec) return null
      return registry.isOwned(eid) ? (selfId() ?? '') : rec.owner
    },
    isReplicated: (eid) => registry.get(eid) !== undefined,
    netIdOf(eid) {
      const id = registry.get(eid)?.id
      return id ? { origin: id.origin, n: id.n } : null
    },
    eidOf: (id) => registry.lookup({ origin: id.origin, n: id.n })?.eid,
    send(event, message, opts = {}) {
      if (schema.eventById(event.id) !== (event as EventDef)) throw new MultiuserError(ErrorCode.UNKNOWN_EVENT, `event ${event.name} is not in this schema`)
      const payload = event.codec.encode(message).finish()
      const bytes = encodeMessage({ body: { $case: 'event', value: { event: event.id, payload } } })
      if (bytes.length + 16 > limits.maxReliableBytes) throw new MultiuserError(ErrorCode.PAYLOAD_TOO_LARGE, `event of ${bytes.length} bytes exceeds ${limits.maxReliableBytes}`)
      if (opts.to !== undefined) {
        const p = peers.get(opts.to)
        if (!p || !p.ready || p.gone) throw new MultiuserError(ErrorCode.PEER_UNKNOWN, `no connected peer ${opts.to}`)
        queueTo(p, bytes)
      } else for (const p of readyPeers()) queueTo(p, bytes)
    },
    on(event, handler) {
      let set = handlers.get(event.id)
      if (!set) handlers.set(event.id, (set = new Set()))
      const h = handler as (m: unknown, from: NetPeer) => void
      set.add(h)
      return () => set.delete(h)
    },
    receive() {
      if (closed) return world
      queue.drain((item) => {
        if (item.kind === 'joined') return onJoined(item.peer)
        if (item.kind === 'left') return onLeft(item.peerId, item.reason)
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
          onDelta(p, item.data, item.at)
          return
        }
        try {
          const msgs = decodeFrame(item.data)
          if (p.inbox.length - p.inboxHead > limits.maxQueuedMessages) throw new Invalid('queueFull', 'too many reliable messages waiting for an ownership change')
          for (const m of msgs) p.inbox.push(m)
        } catch (e) {
          if (e instanceof Invalid) stats.dropped[e.reason]++
          else stats.dropped.malformed++
          strike(p.id, (e as Error).message)
          return
        }
        runInbox(p)
      })
      runAllInboxes()
      net.interpolate()
      return world
    },
    flush() {
      if (closed) return world
      const now = clock()
      stats.tick(now)
      assignIds()
      detectChanges()
      flushReliable()
      for (const p of peers.values()) {
        if (!p.ready || p.gone) continue
        encoder.encode(p.baseline, p.ack, p.relProcessed, now, (bytes) => {
          transport.send(p.id, 'unreliable', bytes)
          stats.countSent('unreliable', bytes.length)
        })
      }
      tick++
      return world
    },
    interpolate(now = clock()) {
      if (interpolators.size === 0) return
      for (let i = 0; i < registry.allCount; i++) {
        const eid = registry.all[i]
        if (registry.isOwned(eid)) {
          for (const it of interpolatorList) it.copy(eid)
          continue
        }
        let settled = true
        for (let k = 0; k < interpolatorList.length && settled; k++) settled = interpolatorList[k].settled[eid] === 1
        if (settled) continue
        const rec = registry.get(eid)!
        const p = peers.get(rec.owner)
        // A sender flushing slower than the delay covers (a busy tab) is rendered further back, so there is
        // still a sample on each side: max(delay, 1.5 × its flush interval).
        const t = p && p.hasClock ? now - p.clockOffset - Math.max(delay, 1.5 * p.sendInterval) : Number.POSITIVE_INFINITY
        for (const it of interpolatorList) it.render(eid, t)
      }
    },
    interpolated<S extends ComponentStore>(store: S | number): S {
      const c: BoundComponent | undefined = typeof store === 'number' ? layout.byId.get(store) : layout.components.find((x) => x.store === store)
      if (!c) throw new MultiuserError(ErrorCode.SCHEMA_INVALID, 'not a component store of this network')
      const it = interpolators.get(c.bit)
      return (it ? it.output : c.store) as S
    },
    get peers() {
      return readyPeers().map(peerInfo)
    },
    get stats(): NetStats {
      const ready = readyPeers()
      return {
        sent: stats.sent,
        received: stats.received,
        sentPerSecond: stats.sentPerSecond,
        receivedPerSecond: stats.receivedPerSecond,
        loss: ready.length === 0 ? 0 : ready.reduce((s, p) => s + p.ack.loss, 0) / ready.length,
        dropped: stats.dropped,
        invalid: stats.invalid,
        disconnects: stats.disconnects,
        handlerErrors: stats.handlerErrors,
        entities: { owned: registry.ownedCount, remote: registry.allCount - registry.ownedCount },
        queue: { messages: queue.length, bytes: queue.bytes },
      }
    },
    events: { on: (event, listener) => emitter.on(event, listener) },
    close() {
      if (closed) return
      closed = true
      for (const u of unsubscribe) u()
      attached.delete(world)
      for (const r of requests.values()) r.resolve(false)
      requests.clear()
    },
  }
  attached.set(world, net)
  // Peers the transport already knows.
  for (const peer of transport.peers.values()) queue.pushControl({ kind: 'joined', peer })
  return net
}


