/**
 * The ownership room: who owns each replicated entity, and how that changes.
 *
 * Every entity has one owner and an epoch (0 at spawn, +1 per transfer or inheritance); a message about an entity
 * is accepted only from its owner at its current epoch (`check`): one for a newer epoch waits (STALL) until the
 * change that leads there arrives, anything else is invalid.
 * - Request: `request(rec)` asks the owner; the owner grants the first request by broadcasting a transfer (with
 *   the entity's full state) and denies the later ones; the requester learns it won from the transfer.
 * - Transfer: every peer moves the entity to the new owner; the new owner claims it (a fresh delta slot, its full
 *   state) and from then on sends its deltas.
 * - Inheritance: when the owner leaves, a persistent entity passes to the heir every peer elects alike (the
 *   remaining peer the relay admitted first, `electHeir`), others are despawned; in host mode with host migration,
 *   every entity of the host passes to its successor.
 * Every change of hands is told to `ownershipChanged` listeners (gained, lost or transferred, and why).
 */
import { ErrorCode, MultiuserError } from '../shared/errors.js'
import type { BodyOf } from '../protocol/reliable-codec.js'
import { encodeMessage } from '../protocol/reliable-codec.js'
import { Invalid, STALL, type NetContext, type Outcome } from './context.js'
import type { OwnershipChange } from './network.js'
import type { PeerState } from './peers.js'
import type { NetEntity } from './registry.js'

/** A candidate for inheriting a leaving peer's persistent entities. */
export interface HeirCandidate {
  readonly id: string
  /** When the relay admitted it (`PeerIdentity.admittedAt`: a clock the whole room shares, not a page's). */
  readonly admittedAt: number
}

/**
 * The deterministic heir every peer agrees on: the remaining peer admitted first (smallest admittedAt), ties broken
 * by the smaller id (string order).
 */
export function electHeir(candidates: Iterable<HeirCandidate>): string | null {
  let best: HeirCandidate | null = null
  for (const c of candidates) {
    if (!best || c.admittedAt < best.admittedAt || (c.admittedAt === best.admittedAt && c.id < best.id)) best = c
  }
  return best ? best.id : null
}

interface PendingRequest {
  readonly eid: number
  readonly owner: string
  readonly resolve: (v: boolean) => void
  readonly promise: Promise<boolean>
}

export class Ownership {
  /** Our requests waiting for an answer, by request id. */
  private readonly requests = new Map<number, PendingRequest>()
  private requestCounter = 0

  constructor(private readonly ctx: NetContext) {}

  /** Asks the owner of `rec` for it; resolves true once we own it, false if someone else got it or the owner left. */
  request(eid: number): Promise<boolean> {
    const { registry, peers, stream } = this.ctx
    const rec = registry.get(eid)
    if (!rec) throw new MultiuserError(ErrorCode.NOT_REPLICATED, `entity ${eid} is not replicated`)
    if (registry.isOwned(eid)) return Promise.resolve(true)
    for (const r of this.requests.values()) if (r.eid === eid) return r.promise
    const owner = peers.get(rec.owner)
    if (!owner || !owner.ready || owner.gone || !rec.id) return Promise.resolve(false)
    const requestId = ++this.requestCounter
    let resolve!: (v: boolean) => void
    const promise = new Promise<boolean>((res) => (resolve = res))
    this.requests.set(requestId, { eid, owner: owner.id, resolve, promise })
    stream.queue(owner, encodeMessage({ body: { $case: 'ownershipRequest', value: { id: rec.id, requestId } } }))
    return promise
  }

  /** Whether a message about `rec` at `epoch` from `from` may apply now: yes (undefined), later (STALL), or never (throws). */
  check(rec: NetEntity | undefined, from: PeerState, epoch: number): Outcome {
    if (!rec) {
      if (epoch > 0) return STALL
      throw new Invalid('unknownEntity', 'unknown entity')
    }
    if (epoch > rec.epoch) return STALL
    if (rec.owner !== from.id || epoch !== rec.epoch) throw new Invalid('notOwner', `${from.id} does not own ${rec.key}`)
  }

  /** Resolves our requests for `eid`: `won` when it became ours. */
  settle(eid: number, won: boolean): void {
    for (const [id, r] of this.requests) {
      if (r.eid !== eid) continue
      this.requests.delete(id)
      r.resolve(won)
    }
  }

  /** Our requests to `peerId` fail. */
  dropRequestsTo(peerId: string): void {
    for (const [id, r] of this.requests) {
      if (r.owner === peerId) {
        this.requests.delete(id)
        r.resolve(false)
      }
    }
  }

  /** `peerId` left: our requests to it fail; its entities pass to the heir or are despawned. */
  peerLeft(peerId: string): void {
    this.dropRequestsTo(peerId)
    for (const rec of [...this.ctx.registry.byKey.values()]) if (rec.owner === peerId) this.orphan(rec)
  }

  /**
   * The first request wins: the transfer goes, with the entity's full state, to the peers that have it; when some
   * ready peer does not (interest management), the transfer names those that do (`viewers`), for the new owner. A
   * request from a peer that does not have the entity (it left its view meanwhile) is denied.
   */
  onRequest(p: PeerState, v: BodyOf<'ownershipRequest'>): void {
    const { registry, stream, entities, spawns } = this.ctx
    const rec = registry.lookup(v.id)
    if (!rec || !registry.isOwned(rec.eid) || !rec.id || !spawns.sees(p, rec.eid)) {
      stream.queue(p, encodeMessage({ body: { $case: 'ownershipDeny', value: { id: v.id, requestId: v.requestId } } }))
      return
    }
    const ready = this.ctx.peers.ready()
    const viewers = ready.filter((q) => spawns.sees(q, rec.eid))
    const scoped = viewers.length < ready.length
    // From here on we no longer own it, later requests are denied.
    entities.release(rec)
    const previous = rec.owner
    rec.epoch++
    rec.owner = p.id
    rec.slot = -1
    entities.resetRemote(rec.eid)
    const transfer = { id: rec.id, newOwner: p.id, epoch: rec.epoch, requestId: v.requestId, components: entities.fullState(rec.eid), scoped, viewers: scoped ? viewers.map((q) => q.id) : [] }
    const bytes = encodeMessage({ body: { $case: 'ownershipTransfer', value: transfer } })
    for (const q of viewers) stream.queue(q, bytes)
    this.settle(rec.eid, false)
    this.changed(rec, previous, 'request')
  }

  onDeny(p: PeerState, v: BodyOf<'ownershipDeny'>): void {
    const r = this.requests.get(v.requestId)
    if (r && r.owner === p.id) {
      this.requests.delete(v.requestId)
      r.resolve(false)
    }
  }

  onTransfer(p: PeerState, v: BodyOf<'ownershipTransfer'>): Outcome {
    const rec = this.ctx.registry.lookup(v.id)
    if (v.epoch === 0) throw new Invalid('malformed', 'transfer to epoch 0')
    const o = this.check(rec, p, v.epoch - 1)
    if (o) return o
    const r = rec!
    p.slots.set(r.slot, null)
    r.epoch = v.epoch
    r.owner = v.newOwner
    r.slot = -1
    this.ctx.entities.applyStates(r.eid, v.components, true)
    this.ctx.entities.resetRemote(r.eid)
    if (v.newOwner === this.ctx.selfId()) {
      this.become(r, v.scoped ? new Set(v.viewers) : null)
      this.settle(r.eid, true)
      this.changed(r, p.id, 'request')
    } else {
      this.settle(r.eid, false)
      this.ctx.interpolation.seed(r.eid)
      this.changed(r, p.id, 'request')
      const heir = this.ctx.peers.get(v.newOwner)
      if (!heir || heir.gone || !heir.ready) this.orphan(r)
    }
  }

  /**
   * A claim carries the entity's full state, so it can stand alone: a peer that never got the entity (it joined while
   * the previous owner was leaving) adopts it as a persistent entity of the claimer, at once when the entity's origin
   * is no longer connected (nothing earlier can still arrive from it), else once the claim is overdue; the same for a
   * claim at an epoch we cannot reach.
   */
  onClaim(p: PeerState, v: BodyOf<'ownershipClaim'>, overdue: boolean): Outcome {
    const { registry, peers, entities } = this.ctx
    const rec = registry.lookup(v.id)
    if (!rec && v.epoch > 0 && v.id) {
      const origin = peers.get(v.id.origin)
      if (overdue || !origin || origin.gone) return this.ctx.spawns.onSpawn(p, { id: v.id, slot: v.slot, persistent: true, epoch: v.epoch, components: v.components })
    }
    if (rec && overdue && v.epoch > rec.epoch) return this.adopt(p, rec, v)
    const o = this.check(rec, p, v.epoch)
    if (o) return o
    const existing = p.slots.get(v.slot)
    if (existing && existing !== rec) throw new Invalid('malformed', `slot ${v.slot} reused`)
    rec!.slot = v.slot
    p.slots.set(v.slot, rec!)
    this.ctx.entities.applyStates(rec!.eid, v.components, true)
    this.ctx.entities.resetRemote(rec!.eid)
    this.ctx.interpolation.seed(rec!.eid)
  }

  /** An overdue claim for a newer epoch than ours: the claimer owns `rec` from that epoch on, with the claim's state. */
  private adopt(p: PeerState, rec: NetEntity, v: BodyOf<'ownershipClaim'>): void {
    const { peers, entities } = this.ctx
    if (this.ctx.registry.isOwned(rec.eid)) entities.release(rec)
    const before = rec.owner
    const previous = peers.get(before)
    if (previous && rec.slot >= 0) previous.slots.set(rec.slot, null)
    rec.epoch = v.epoch
    rec.owner = p.id
    rec.slot = -1
    this.settle(rec.eid, false)
    this.onClaim(p, v, false)
    if (before !== p.id) this.changed(rec, before, 'claim')
  }

  /** The network closes: every request fails. */
  close(): void {
    for (const r of this.requests.values()) r.resolve(false)
    this.requests.clear()
  }

  /**
   * We own `rec` now (a transfer to us, an inheritance): a fresh slot, a claim with its full state to the peers that
   * have it (`viewers`; null: every peer), and an announcement to the others it is relevant to.
   */
  private become(rec: NetEntity, viewers: ReadonlySet<string> | null): void {
    const { entities, peers, spawns, relevance } = this.ctx
    rec.owner = this.ctx.selfId() ?? ''
    entities.own(rec)
    this.ctx.interpolation.clear(rec.eid)
    const ready = peers.ready()
    const claimTo = viewers === null ? ready : ready.filter((p) => viewers.has(p.id))
    const claim = { id: rec.id!, epoch: rec.epoch, slot: rec.slot, components: entities.fullState(rec.eid) }
    entities.sendWithBaseline(rec, { body: { $case: 'ownershipClaim', value: claim } }, claimTo)
    for (const p of claimTo) spawns.markSent(p, rec.eid)
    if (viewers !== null) for (const p of ready) if (!viewers.has(p.id)) relevance.offer(p, rec)
  }

  /** The owner of `rec` is gone: a persistent entity passes to the heir, others are despawned. */
  private orphan(rec: NetEntity): void {
    const { peers, entities } = this.ctx
    const previous = rec.owner
    const oldPeer = peers.get(previous)
    if (oldPeer && rec.slot >= 0) oldPeer.slots.set(rec.slot, null)
    if (!rec.persistent && !this.ctx.authority.inheritsAll) {
      this.settle(rec.eid, false)
      entities.dropRemote(rec, 'ownerLeft')
      return
    }
    const candidates = peers.ready().map((p) => ({ id: p.id, admittedAt: p.admittedAt }))
    const me = this.ctx.selfId()
    if (me) candidates.push({ id: me, admittedAt: this.ctx.transport.self?.admittedAt ?? Number.POSITIVE_INFINITY })
    const heir = electHeir(candidates)
    rec.epoch++
    rec.slot = -1
    entities.resetRemote(rec.eid)
    if (heir === null || heir === me) {
      this.become(rec, null)
      this.settle(rec.eid, true)
    } else {
      rec.owner = heir
      this.settle(rec.eid, false)
      this.ctx.interpolation.seed(rec.eid)
    }
    this.changed(rec, previous, 'heir')
  }

  /** Tells `ownershipChanged` listeners that `rec` passed from `previous` to its current owner. */
  private changed(rec: NetEntity, previous: string, reason: OwnershipChange['reason']): void {
    const me = this.ctx.selfId() ?? ''
    const owner = this.ctx.registry.isOwned(rec.eid) ? me : rec.owner
    const change = owner === me ? 'gained' : previous === me ? 'lost' : 'transferred'
    this.ctx.emitter.emit('ownershipChanged', { eid: rec.eid, id: { origin: rec.id!.origin, n: rec.id!.n }, previous, owner, change, reason })
  }
}
