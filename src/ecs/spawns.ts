/**
 * The spawn room: which peers have which of our entities, the paced announcements that give them one, and the
 * announcements we get from others.
 *
 * Ours: per peer and owned entity a view state: NOT_SENT, QUEUED (announced, waiting for its turn) or SENT. An entity
 * is announced to a peer (`announce`: a spawn, a newcomer's late join, entering its view) by queueing it; the
 * reliable stream, when its other messages are out and the peer's budget allows (reliable-stream.ts), asks for
 * SpawnBatch messages (`refill`), written from the entities' state at that moment, so a queued entity needs no
 * component message meanwhile: messages about an entity go only to peers that have it (`sees`). Each entity in a
 * batch becomes the peer's delta baseline once the peer confirms the batch.
 *
 * Theirs: a SpawnBatch creates the entities we do not have, takes a newer owner's announcement of one we have once
 * the change of owner reached us (STALL until then, or adopted when overdue), and skips an older owner's.
 */
import { addComponent, addEntity, removeComponent, removeEntity } from 'bitecs'
import type { ComponentStore, EntityRefCodec } from '../protocol/component.js'
import { encodeMessage, refIndex, type BodyOf, type ComponentState, type NetId } from '../protocol/reliable-codec.js'
import { SpawnBatchReader, SpawnBatchWriter } from '../protocol/spawn-codec.js'
import { unwrapSeq } from '../protocol/seq.js'
import { Invalid, STALL, type NetContext, type Outcome } from './context.js'
import type { PeerState } from './peers.js'
import type { BoundComponent } from './layout.js'
import type { NetEntity } from './registry.js'

export const NOT_SENT = 0
export const QUEUED = 1
export const SENT = 2

/** Entities per SpawnBatch at most (a batch also stays under the bytes the stream asks for). */
export const MAX_BATCH_ENTITIES = 4096

/** A spawn as the room applies it (from a batch, or an adopted claim's full state). */
export interface SpawnEntry {
  id: { origin: string; n: number }
  slot: number
  persistent: boolean
  epoch: number
}

export class Spawns {
  private readonly writer: SpawnBatchWriter
  private readonly reader: SpawnBatchReader
  private readonly stores: ComponentStore[]
  private readonly masks: Int32Array
  private readonly batchEids: number[] = []

  constructor(private readonly ctx: NetContext) {
    const comps = ctx.layout.components.map((c) => c.def)
    this.writer = new SpawnBatchWriter(comps)
    this.reader = new SpawnBatchReader(comps)
    this.stores = ctx.layout.components.map((c) => c.store)
    this.masks = new Int32Array(comps.length)
  }

  // ---------- ours ----------

  /** Whether `p` has our entity `eid` (its announcement went out). */
  sees(p: PeerState, eid: number): boolean {
    return p.inView[eid] === SENT
  }

  /** Queues `rec` for `p`'s next SpawnBatch (nothing if it has it or it is queued already). */
  announce(p: PeerState, rec: NetEntity): void {
    if (p.inView[rec.eid] !== NOT_SENT) return
    p.inView[rec.eid] = QUEUED
    p.spawnQueue.push(rec.eid)
  }

  /** `p` got `rec` by another message (an ownership claim with its full state). */
  markSent(p: PeerState, eid: number): void {
    p.inView[eid] = SENT
  }

  /**
   * `p` is not to have `rec` any more: a queued announcement is dropped; one that went out is followed by a despawn
   * that says the entity only left its view (`culled`). Returns whether that despawn went.
   */
  withdraw(p: PeerState, rec: NetEntity, culled: boolean): boolean {
    const was = p.inView[rec.eid]
    p.inView[rec.eid] = NOT_SENT
    p.baseline.forget(rec.eid)
    p.baseline.unmarkPending(rec.eid)
    if (was !== SENT || !rec.id) return false
    this.ctx.stream.queue(p, encodeMessage({ body: { $case: 'despawn', value: { id: rec.id, epoch: rec.epoch, culled } } }))
    return true
  }

  /** `eid` is no longer ours: no peer has it from us any more (a queued announcement is dropped). */
  forget(eid: number): void {
    for (const p of this.ctx.peers.all.values()) p.inView[eid] = NOT_SENT
  }

  /** Entities queued for `p` and not yet sent. */
  queuedFor(p: PeerState): number {
    let n = 0
    for (let i = p.spawnHead; i < p.spawnQueue.length; i++) if (p.inView[p.spawnQueue[i]] === QUEUED) n++
    return n
  }

  /**
   * Queues to `p` one SpawnBatch of the entities waiting for it, written now, of about `bytes` bytes (at least one
   * entity); returns false when none is waiting.
   */
  refill(p: PeerState, bytes: number): boolean {
    if (p.spawnHead >= p.spawnQueue.length) return false
    const { registry, presence, layout } = this.ctx
    const me = this.ctx.selfId()
    const w = this.writer
    const eids = this.batchEids
    const origins: string[] = []
    const refs: NetId[] = []
    const entityRefs = this.ctx.refs
    const codec: EntityRefCodec | undefined = entityRefs.any ? { toRef: (target) => refIndex(refs, target === 0 ? null : entityRefs.toNetId(target)), fromRef: () => 0 } : undefined
    w.reset()
    eids.length = 0
    const q = p.spawnQueue
    while (p.spawnHead < q.length && w.count < MAX_BATCH_ENTITIES && (w.count === 0 || w.byteLength < bytes)) {
      const eid = q[p.spawnHead++]
      const rec = registry.get(eid)
      if (p.inView[eid] !== QUEUED || !rec || !rec.id || !registry.isOwned(eid)) {
        if (p.inView[eid] === QUEUED) p.inView[eid] = NOT_SENT
        continue
      }
      let origin = 0
      if (rec.id.origin !== me) {
        origin = origins.indexOf(rec.id.origin) + 1
        if (origin === 0) origin = origins.push(rec.id.origin)
      }
      const present = presence.mask(eid)
      for (const c of layout.components) this.masks[c.bit] = (present & (1 << c.bit)) !== 0 ? this.ctx.entities.sendableMask(c, eid) : -1
      w.add(origin, rec.id.n, rec.slot, rec.persistent, rec.epoch, present, this.masks, this.stores, eid, codec)
      if (codec) entityRefs.announced(eid)
      eids.push(eid)
    }
    if (p.spawnHead === q.length) {
      q.length = 0
      p.spawnHead = 0
    }
    if (eids.length === 0) return false
    const body = w.finish()
    const index = this.ctx.stream.queue(p, encodeMessage({ body: { $case: 'spawns', value: { deltaSeq: (p.ack.nextSeq - 1) & 0xffff, origins, body, refs } } }))
    for (const eid of eids) {
      p.inView[eid] = SENT
      this.ctx.entities.awaitBaseline(p, registry.get(eid)!, index)
    }
    return true
  }

  // ---------- theirs ----------

  onBatch(p: PeerState, v: BodyOf<'spawns'>, overdue: boolean): Outcome {
    const { registry } = this.ctx
    const r = this.reader
    try {
      r.read(v.body, MAX_BATCH_ENTITIES, v.refs.length)
    } catch (e) {
      throw new Invalid('malformed', (e as Error).message)
    }
    const originOf = (i: number): string => {
      const o = r.origin[i]
      if (o === 0) return p.id
      if (o > v.origins.length) throw new Invalid('malformed', `spawn origin ${o} of ${v.origins.length}`)
      return v.origins[o - 1]
    }
    // Everything is checked before anything is applied: a batch waits whole, or goes whole.
    for (let i = 0; i < r.count; i++) {
      const origin = originOf(i)
      const known = registry.lookup({ origin, n: r.n[i] })
      if (r.epoch[i] === 0 && origin !== p.id) throw new Invalid('notOwner', `${p.id} spawned an entity of ${origin}`)
      if (known && r.epoch[i] > known.epoch && !overdue) return STALL
      const slotHolder = p.slots.get(r.slot[i])
      if (slotHolder && slotHolder !== known) throw new Invalid('malformed', `slot ${r.slot[i]} reused`)
      if (known && r.epoch[i] === known.epoch && known.owner !== p.id) throw new Invalid('notOwner', `${p.id} announced ${known.key}, owned by ${known.owner}`)
    }
    const deltaSeq = unwrapSeq(v.deltaSeq, p.ack.highestReceived || 1)
    const arrived: NetEntity[] = []
    for (let i = 0; i < r.count; i++) {
      const entry: SpawnEntry = { id: { origin: originOf(i), n: r.n[i] }, slot: r.slot[i], persistent: r.persistent[i] === 1, epoch: r.epoch[i] }
      const eid = this.take(p, entry, (e) => this.applyBatchComponents(i, e, v.refs), arrived)
      if (eid >= 0) this.ctx.deltas.startAfter(eid, deltaSeq)
    }
    this.told(arrived)
  }

  /** A spawn carried by protobuf component states (an adopted claim). */
  onSpawn(p: PeerState, s: SpawnEntry & { components: readonly ComponentState[] }): void {
    if (s.epoch === 0 && s.id.origin !== p.id) throw new Invalid('notOwner', `${p.id} spawned an entity of ${s.id.origin}`)
    const arrived: NetEntity[] = []
    this.take(p, s, (eid) => {
      this.ctx.entities.applyStates(eid, s.components, true)
      let bits = 0
      for (const c of s.components) bits |= 1 << (this.ctx.layout.byId.get(c.component)?.bit ?? 0)
      return bits
    }, arrived)
    this.told(arrived)
  }

  /**
   * Applies one announcement: a new entity, or a newer owner's (or the same owner's again) of one we have; an older
   * owner's is stale. Returns the entity's eid, or -1 when skipped; a new entity is added to `arrived`.
   */
  private take(p: PeerState, s: SpawnEntry, apply: (eid: number) => number, arrived: NetEntity[]): number {
    const { world, registry, settings, stats } = this.ctx
    const known = registry.lookup(s.id)
    if (known && s.epoch < known.epoch) {
      stats.dropped.stale++ // an older owner's announcement, overtaken by a later owner's
      return -1
    }
    if (known) {
      // The owner announces it again (it came back into view, or a newer owner took it over while we had it).
      if (registry.isOwned(known.eid)) this.ctx.entities.release(known)
      const previous = this.ctx.peers.get(known.owner)
      if (previous && known.slot >= 0 && previous.slots.get(known.slot) === known) previous.slots.set(known.slot, null)
      if (known.epoch !== s.epoch || known.owner !== p.id) this.ctx.ownership.settle(known.eid, false)
      known.epoch = s.epoch
      known.owner = p.id
      known.slot = s.slot
      const present = apply(known.eid)
      // It lost components meanwhile: the announcement has every component it has now.
      for (const c of this.ctx.layout.components) if ((present & (1 << c.bit)) === 0 && (this.ctx.presence.mask(known.eid) & (1 << c.bit)) !== 0) removeComponent(world, known.eid, c.store)
      p.slots.set(s.slot, known)
      this.ctx.entities.resetRemote(known.eid)
      this.ctx.interpolation.seed(known.eid)
      return known.eid
    }
    const eid = addEntity(world)
    if (eid >= settings.capacity || registry.get(eid)) {
      removeEntity(world, eid)
      throw new Invalid('malformed', `no room for entity (maxEntities ${settings.capacity})`)
    }
    try {
      apply(eid)
    } catch (e) {
      removeEntity(world, eid)
      throw e
    }
    const rec: NetEntity = { eid, id: null, key: null, owner: p.id, epoch: s.epoch, slot: s.slot, persistent: s.persistent, gen: 0 }
    registry.add(rec)
    registry.setId(rec, { origin: s.id.origin, n: s.id.n })
    this.ctx.refs.arrived(rec)
    p.slots.set(s.slot, rec)
    this.ctx.entities.resetRemote(eid)
    this.ctx.interpolation.seed(eid)
    arrived.push(rec)
    return eid
  }

  /** `entitySpawned` for the entities an announcement created, once all of them are in (they may refer to each other). */
  private told(arrived: readonly NetEntity[]): void {
    for (const rec of arrived) if (this.ctx.registry.get(rec.eid) === rec) this.ctx.emitter.emit('entitySpawned', { eid: rec.eid, id: { origin: rec.id!.origin, n: rec.id!.n }, owner: rec.owner })
  }

  /** Writes entity `i` of the batch read into `eid`'s stores (adding its components); returns their presence bits. */
  private applyBatchComponents(i: number, eid: number, refs: readonly NetId[]): number {
    const { layout, presence, world } = this.ctx
    const r = this.reader
    const nc = layout.components.length
    let bits = 0
    for (const c of layout.components) {
      if (r.mask[i * nc + c.bit] === 0) continue
      bits |= 1 << c.bit
      try {
        r.decodeComponent(i, c.bit, c.store, eid, this.ctx.refs.any ? this.refCodec(c, refs) : undefined)
      } catch (e) {
        throw new Invalid('malformed', (e as Error).message)
      }
      if ((presence.mask(eid) & (1 << c.bit)) === 0) addComponent(world, eid, c.store)
    }
    return bits
  }

  /** Reads a batch's entity fields: an index into its `refs` → the local eid (a target yet to arrive is written in when it does). */
  private refCodec(c: BoundComponent, refs: readonly NetId[]): EntityRefCodec {
    return { toRef: () => 0, fromRef: (ref, target, field) => this.ctx.refs.receive(ref === 0 ? null : refs[ref - 1], target, c, field) }
  }
}
