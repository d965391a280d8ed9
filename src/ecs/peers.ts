/**
 * The peers room: per-peer state, join and leave, the hello / refusal handshake, and strikes.
 *
 * A peer the transport announces gets its state and our hello at once (message 1 of our reliable stream). It is
 * `ready` once its hello arrived with our protocol version and schema fingerprint: then it is announced
 * (`peerJoined`) and sent the full state of everything we own (late join). A mismatch refuses it on both sides.
 * A schema mismatch is reported with what differs: each side's refusal carries its canonical schema (up to
 * `limits.maxSchemaBytes`), each answers the other's with `done` once it reported the difference (`refused`), and a
 * side that gets `done` disconnects (the other has everything by then: the stream is ordered).
 * Every invalid message from a peer is a strike; at `limits.maxInvalid` it is refused and disconnected.
 */
import { PROTOCOL_VERSION, encodeMessage, type BodyOf } from '../protocol/reliable-codec.js'
import { diffCanonicalSchemas, type SchemaDifference } from '../protocol/schema-diff.js'
import { ErrorCode } from '../shared/errors.js'
import type { PeerIdentity } from '../transport/transport.js'
import { AckTracker } from './ack-tracker.js'
import { ReceiverBaseline } from './baselines.js'
import { SenderClock } from './clock-sync.js'
import { Invalid, STALL, type NetContext, type Outcome } from './context.js'
import type { NetPeer } from './network.js'
import { SendBudget } from './congestion.js'
import type { PriorityInput } from './delta-candidates.js'
import { FlushSlots } from './receive-history.js'
import type { NetEntity } from './registry.js'
import { createPeerStream, type PeerStream } from './reliable-stream.js'

export interface PeerState {
  readonly id: string
  readonly did: string | null
  /** Its handle, when the relay verified it (from its ticket). */
  readonly handle: string | undefined
  /** Its hello arrived and matched: deltas and messages flow. */
  ready: boolean
  /** Refused, disconnected or left: nothing more is processed from it. */
  gone: boolean
  /** When the relay admitted it (its verified identity: `PeerIdentity.admittedAt`); heir election. */
  readonly admittedAt: number
  /** Invalid messages so far (strikes). */
  invalid: number
  /** The unreliable channel: sequence numbers and acks both ways, RTT, loss. */
  readonly ack: AckTracker
  /** What it acknowledged of our owned entities (what our deltas to it are relative to). */
  readonly baseline: ReceiverBaseline
  /** The reliable stream to and from it. */
  readonly stream: PeerStream
  /** Its clock, from its delta headers. */
  readonly clock: SenderClock
  /** Its delta slots → entities; null = an entity that moved on (late packets for it are stale, not invalid). */
  readonly slots: Map<number, NetEntity | null>
  /** We refused it for SCHEMA_MISMATCH (its fingerprint) and wait for its schema; `reported` once `refused` was told. */
  mismatch?: { readonly fingerprint: string; reported: boolean }
  /** Which of its flushes each slot of our receive history holds (receive-history.ts). */
  readonly flushSlots: FlushSlots
  /** What it has of our entities, by eid: NOT_SENT, QUEUED or SENT (spawns.ts); the entities queued for it. */
  readonly inView: Uint8Array
  spawnQueue: number[]
  spawnHead: number
  /** Its relevance weight of each of our entities (relevance.ts); null without a relevance function. */
  readonly relevanceWeight: Float32Array | null
  /** What we may send it (congestion.ts), and which of our changes go first when not everything fits (priority.ts). */
  readonly budget: SendBudget
  readonly priority: PriorityInput
  /** Hands one of our delta packets to the transport (and counts it). */
  readonly sendDelta: (bytes: Uint8Array) => void
  /** This peer as the user's functions see it (live values). */
  readonly netPeer: NetPeer
}

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

/** Refusal reasons on the wire (multiuser.v1.Refusal.Reason) and the codes `refused` reports for them. */
const REFUSAL_CODES = [
  ErrorCode.REASON_UNSPECIFIED, ErrorCode.SCHEMA_MISMATCH, ErrorCode.PROTOCOL_VERSION, ErrorCode.TOO_MANY_INVALID, ErrorCode.AUTHORITY_MISMATCH,
  ErrorCode.NOT_IN_SESSION,
]

export class Peers {
  /** Every peer the network knows, ready or not, by id. */
  readonly all = new Map<string, PeerState>()

  constructor(private readonly ctx: NetContext) {}

  get(id: string): PeerState | undefined {
    return this.all.get(id)
  }

  /** Peers past the hello and not gone. */
  ready(): PeerState[] {
    return [...this.all.values()].filter((p) => p.ready && !p.gone)
  }

  info(p: PeerState): NetPeer {
    const v = p.netPeer
    return {
      id: v.id, did: v.did, ...(v.handle !== undefined ? { handle: v.handle } : {}), rtt: v.rtt, loss: v.loss, admittedAt: v.admittedAt,
      sendBudget: v.sendBudget, capacity: v.capacity, queueDelay: v.queueDelay,
    }
  }

  /** This peer as its own handlers see it (`from` of our own events and inputs). */
  selfInfo(): NetPeer {
    const t = this.ctx.transport.self
    return { id: t?.id ?? '', did: t?.did ?? null, ...(t?.handle !== undefined ? { handle: t.handle } : {}), rtt: 0, loss: 0, admittedAt: t?.admittedAt ?? 0, sendBudget: 0, capacity: 0, queueDelay: 0 }
  }

  /** The transport connected `peer`: its state, and our hello. */
  join(peer: PeerIdentity): void {
    const old = this.all.get(peer.id)
    if (old && !old.gone) return
    const { layout, settings, transport, stats } = this.ctx
    const ack = new AckTracker()
    const budget = new SendBudget(settings.maxSendRate)
    const netPeer: NetPeer = {
      id: peer.id, did: peer.did, ...(peer.handle !== undefined ? { handle: peer.handle } : {}), admittedAt: peer.admittedAt,
      get rtt() { return ack.rtt },
      get loss() { return ack.loss },
      get sendBudget() { return budget.rate },
      get capacity() { return budget.capacity },
      get queueDelay() { return budget.queueDelay },
    }
    const relevanceWeight = this.ctx.relevance.active ? new Float32Array(settings.capacity).fill(1) : null
    const p: PeerState = {
      id: peer.id, did: peer.did, handle: peer.handle, ready: false, gone: false, admittedAt: peer.admittedAt, invalid: 0,
      ack, baseline: new ReceiverBaseline(layout, settings.capacity),
      stream: createPeerStream(), clock: new SenderClock(settings.tickMs), slots: new Map(), flushSlots: new FlushSlots(),
      inView: new Uint8Array(settings.capacity), spawnQueue: [], spawnHead: 0, relevanceWeight, budget,
      priority: this.ctx.priorities.forPeer(netPeer, settings.capacity, () => relevanceWeight),
      sendDelta: (delta) => {
        // A host's deltas carry the client's input acknowledgement (inputs.ts).
        const bytes = this.ctx.authority.isHost ? this.ctx.inputs.wrap(p, delta) : delta
        transport.send(peer.id, 'unreliable', bytes)
        stats.countSent('unreliable', bytes.length)
        budget.onPacketSent(ack.nextSeq - 1, bytes.length)
      },
      netPeer,
    }
    this.all.set(peer.id, p)
    ack.onPacketAcked = (seq, now) => {
      p.baseline.onAcked(seq)
      budget.onPacketAcked(seq, now)
    }
    ack.onPacketResolved = (seq, lost) => p.baseline.release(seq, lost)
    ack.onRtt = (sample, now) => budget.onRtt(sample, now)
    p.stream.sent = 1 // the hello is message 1 of our stream
    p.stream.wired = 1
    // `connectedAt` is informational (our admission time): the order of arrival is taken from each peer's verified identity.
    const authority = this.ctx.authority
    const hello = {
      fingerprint: this.ctx.schema.fingerprint, protocolVersion: PROTOCOL_VERSION, connectedAt: this.ctx.transport.self?.admittedAt ?? 0,
      authority: authority.role, sessionTicket: authority.isClient ? authority.sessionTicket : '',
    }
    this.ctx.stream.sendNow(p, encodeMessage({ body: { $case: 'hello', value: hello } }))
  }

  /** The transport lost `peerId`: requests to it fail, its entities despawn or pass to the heir. */
  leave(peerId: string, reason: string): void {
    const p = this.all.get(peerId)
    if (!p) return
    if (p.mismatch && !p.mismatch.reported) this.reportMismatch(p, null)
    const wasReady = p.ready && !p.gone
    p.gone = true
    this.all.delete(peerId)
    // Host migration: the successor takes over before the host's entities change hands (authority.ts).
    const migrated = this.ctx.authority.hostLeaving(peerId)
    this.ctx.ownership.peerLeft(peerId)
    this.ctx.authority.peerLeft(peerId)
    this.ctx.inputs.peerLeft(peerId)
    if (wasReady || p.ready) this.ctx.emitter.emit('peerLeft', peerId, reason)
    if (migrated) this.ctx.emitter.emit('hostChanged', migrated)
  }

  /** Our own id changed: every peer is gone for us (no inheritance: see EntitySync.rejoinAs); returns whether any was ready. */
  dropAll(reason: string): boolean {
    let hadReady = false
    for (const [id, p] of [...this.all]) {
      const wasReady = p.ready && !p.gone
      hadReady ||= wasReady
      p.gone = true
      this.all.delete(id)
      this.ctx.ownership.dropRequestsTo(id)
      if (wasReady) this.ctx.emitter.emit('peerLeft', id, reason)
    }
    return hadReady
  }

  /** Counts an invalid message from `peerId`; at `limits.maxInvalid` the peer is refused and disconnected. */
  strike(peerId: string, why: string): void {
    const stats = this.ctx.stats
    stats.invalid++
    const p = this.all.get(peerId)
    if (!p || p.gone) return
    p.invalid++
    if (p.invalid < this.ctx.settings.limits.maxInvalid) return
    p.gone = true
    stats.disconnects++
    try {
      this.sendRefusal(p, ErrorCode.TOO_MANY_INVALID, `too many invalid messages (last: ${why})`)
    } catch {
      /* the link may already be gone */
    }
    this.ctx.transport.disconnect(peerId, 'too many invalid messages')
  }

  onHello(p: PeerState, h: BodyOf<'hello'>, overdue = false): Outcome {
    if (p.ready) throw new Invalid('malformed', 'second hello')
    const { schema } = this.ctx
    let code: string | null = null
    if (h.protocolVersion !== PROTOCOL_VERSION) code = ErrorCode.PROTOCOL_VERSION
    else if (h.fingerprint !== schema.fingerprint) code = ErrorCode.SCHEMA_MISMATCH
    if (code === ErrorCode.SCHEMA_MISMATCH) {
      p.mismatch = { fingerprint: h.fingerprint, reported: false }
      const canonical = schema.canonical !== undefined ? utf8.encode(schema.canonical) : undefined
      const fits = canonical !== undefined && canonical.length <= this.ctx.settings.limits.maxSchemaBytes
      this.sendRefusal(p, code, `schema fingerprint ${h.fingerprint}, ours ${schema.fingerprint}`, { schema: fits ? canonical : new Uint8Array(0) })
      return
    }
    if (code) {
      this.refuse(p, code, `protocol ${h.protocolVersion}, ours ${PROTOCOL_VERSION}`)
      return
    }
    const verdict = this.ctx.authority.onHello(p, h, overdue)
    if (verdict !== 'admit') return verdict === STALL ? STALL : undefined
    p.ready = true
    this.ctx.emitter.emit('peerJoined', this.info(p))
    this.ctx.entities.sendAllTo(p)
  }

  onRefusal(p: PeerState, r: BodyOf<'refusal'>): void {
    const code = REFUSAL_CODES[r.reason] ?? ErrorCode.REASON_UNSPECIFIED
    if (code === ErrorCode.SCHEMA_MISMATCH && p.mismatch && !p.gone) {
      if (!p.mismatch.reported) {
        this.reportMismatch(p, r.schema)
        this.sendRefusal(p, code, 'schema received', { done: true })
      }
      if (r.done) {
        p.gone = true
        this.ctx.transport.disconnect(p.id, code)
      }
      return
    }
    const wasGone = p.gone
    p.gone = true
    // We refused it for the same schema mismatch already, and said so.
    if (!wasGone || code !== ErrorCode.SCHEMA_MISMATCH) this.ctx.emitter.emit('refused', { peerId: p.id, code, detail: r.detail })
  }

  /** Host migration: an idle link (hellos exchanged long ago) becomes a ready peer. */
  activate(p: PeerState): void {
    if (p.ready || p.gone) return
    p.ready = true
    this.ctx.emitter.emit('peerJoined', this.info(p))
  }

  /** Refuses `p` for `code` (it is told, and `refused` reports it) and disconnects it. */
  refuse(p: PeerState, code: string, detail: string): void {
    this.sendRefusal(p, code, detail)
    p.gone = true
    this.ctx.emitter.emit('refused', { peerId: p.id, code, detail })
    this.ctx.transport.disconnect(p.id, code)
  }

  /** Tells `refused` what differs between our schema and `p`'s (`theirs`: its canonical schema; null or empty: unknown). */
  private reportMismatch(p: PeerState, theirs: Uint8Array | null): void {
    const { schema, settings, emitter } = this.ctx
    p.mismatch!.reported = true
    const max = settings.limits.maxSchemaBytes
    const fingerprints = `fingerprint ${p.mismatch!.fingerprint} at ${p.id}, ours ${schema.fingerprint}`
    let difference: SchemaDifference | null = null
    let unknown = ''
    if (schema.canonical === undefined) unknown = 'this build has no canonical schema to compare (a hand-written schema)'
    else if (!theirs || theirs.length === 0) unknown = `${p.id} sent no schema (an older version, a hand-written schema, or one over limits.maxSchemaBytes)`
    else if (theirs.length > max) unknown = `${p.id}'s schema (${theirs.length} bytes) exceeds limits.maxSchemaBytes (${max})`
    else difference = diffCanonicalSchemas(schema.canonical, utf8d.decode(theirs)) ?? { where: 'schema', ours: 'canonically the same', theirs: 'canonically the same' }
    const detail = difference
      ? `schema differs from ${p.id}'s: ${difference.where}: ${difference.ours} here, ${difference.theirs} there (${fingerprints})`
      : `schema differs from ${p.id}'s (${fingerprints}); what differs is unknown: ${unknown}`
    emitter.emit('refused', { peerId: p.id, code: ErrorCode.SCHEMA_MISMATCH, detail, ...(difference ? { difference } : {}) })
  }

  private sendRefusal(p: PeerState, code: string, detail: string, extra: { schema?: Uint8Array; done?: boolean } = {}): void {
    const reason = REFUSAL_CODES.indexOf(code as (typeof REFUSAL_CODES)[number])
    const value = { reason, detail, schema: extra.schema ?? new Uint8Array(0), done: extra.done ?? false }
    this.ctx.stream.sendNow(p, encodeMessage({ body: { $case: 'refusal', value } }))
  }
}
