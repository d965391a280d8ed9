/**
 * The entity room: replicated entities and their components, both ways.
 *
 * Ours: `spawn` gives an entity a slot (its compact name in our deltas) and, once the transport knows our id, a net
 * id (`assignIds`), then announces it (spawns.ts) to every peer it is relevant to (relevance.ts). Each flush,
 * `detectChanges` turns structural changes (component added or removed, entity removed) and RELIABLE component
 * changes into reliable messages to the peers that have the entity, then runs DELTA change detection
 * (change-detect.ts) for the delta encoder. A message carrying an entity's full state to a peer becomes that peer's
 * delta baseline once the peer confirms it (`awaitBaseline`).
 *
 * Theirs: despawn and component messages from the owner, each checked against the entity's owner and ownership
 * epoch (ownership.ts) before anything is applied (spawns: spawns.ts).
 */
import { addComponent, entityExists, removeComponent, removeEntity } from 'bitecs'
import { applyComponentState, componentState, unsendableFields, type BodyOf, type ComponentState, type Message, encodeMessage } from '../protocol/reliable-codec.js'
import { ErrorCode, MultiuserError } from '../shared/errors.js'
import { ChangeDetector, quaternionWire } from './change-detect.js'
import { Invalid, type NetContext, type Outcome } from './context.js'
import type { BoundComponent } from './layout.js'
import type { DespawnReason } from './network.js'
import type { PeerState } from './peers.js'
import type { NetEntity } from './registry.js'

export class EntitySync {
  readonly detector: ChangeDetector
  /** Per eid: its delta slot (the delta encoder orders entities by it). */
  readonly slotOf: Float64Array
  /** Scratch: a quaternion's four wire slots. */
  private readonly slots = new Float64Array(4)
  /** Per owned eid: the bitECS mask word (schema stores only) seen at the last structural check; -1 = check. */
  private readonly rawPresence: Int32Array
  /** Scratch of detectChanges: the owned entities to look at this flush. */
  private readonly look: Int32Array
  private nextSlot = 0
  /** Owned entities still without a net id (spawned before the transport knew our id). */
  private readonly unassigned: NetEntity[] = []
  /** Presence bits of the RELIABLE components, and their bitECS flags. */
  private readonly reliableBits: number
  private readonly rawReliableFlags: number

  constructor(private readonly ctx: NetContext) {
    const { layout, presence, settings } = ctx
    this.detector = new ChangeDetector(layout, presence, settings.capacity)
    this.slotOf = new Float64Array(settings.capacity)
    this.rawPresence = new Int32Array(settings.capacity).fill(-1)
    this.look = new Int32Array(settings.capacity)
    let bits = 0
    for (const c of layout.reliable) bits |= 1 << c.bit
    this.reliableBits = bits
    this.rawReliableFlags = presence.reliableRawFlags(bits)
  }

  // ---------- ours ----------

  spawn(eid: number, persistent: boolean): void {
    const { world, registry, settings } = this.ctx
    if (!entityExists(world, eid)) throw new MultiuserError(ErrorCode.NOT_REPLICATED, `entity ${eid} does not exist`)
    if (eid >= settings.capacity) throw new MultiuserError(ErrorCode.CAPACITY_EXCEEDED, `eid ${eid} ≥ maxEntities ${settings.capacity}`)
    if (registry.get(eid)) throw new MultiuserError(ErrorCode.ALREADY_ATTACHED, `entity ${eid} is already replicated`)
    this.assertSendable(eid)
    const rec: NetEntity = { eid, id: null, key: null, owner: this.ctx.selfId() ?? '', epoch: 0, slot: -1, persistent, gen: 0 }
    registry.add(rec)
    this.own(rec)
    this.resetRemote(eid)
    this.unassigned.push(rec)
    this.assignIds()
  }

  despawn(rec: NetEntity): void {
    if (!this.ctx.registry.isOwned(rec.eid)) throw new MultiuserError(ErrorCode.NOT_OWNER, `entity ${rec.eid} is owned by ${rec.owner}`)
    this.stopReplicating(rec)
  }

  /** Makes `rec` ours under a fresh slot (spawn, a transfer to us, an inheritance): its state is captured now. */
  own(rec: NetEntity): void {
    rec.slot = this.nextSlot++
    this.slotOf[rec.eid] = rec.slot
    this.ctx.registry.own(rec)
    this.detector.capture(rec.eid)
    this.rawPresence[rec.eid] = -1
  }

  /** `rec` is no longer ours (despawned, transferred away): what every peer acknowledged or has of it is forgotten. */
  release(rec: NetEntity): void {
    this.ctx.registry.disown(rec)
    this.ctx.spawns.forget(rec.eid)
    for (const p of this.ctx.peers.all.values()) {
      p.baseline.forget(rec.eid)
      p.baseline.unmarkPending(rec.eid)
    }
  }

  /** Gives entities spawned before our id was known their net id, and announces them. */
  assignIds(): void {
    if (this.unassigned.length === 0) return
    const me = this.ctx.selfId()
    if (!me) return
    const registry = this.ctx.registry
    const ready = this.ctx.peers.ready()
    for (const rec of this.unassigned) {
      if (registry.get(rec.eid) !== rec || !registry.isOwned(rec.eid)) continue
      if (rec.owner === '') rec.owner = me
      if (rec.id) continue
      registry.setId(rec, { origin: me, n: rec.slot })
      for (const p of ready) this.ctx.relevance.offer(p, rec)
    }
    this.unassigned.length = 0
  }

  /**
   * Our own peer id changed (the relay could not resume it, PEER_ID_CHANGED): to the others we left and came back as
   * a new player, so this world does the same. Their entities leave it (their owners announce them again when the
   * new links open); our persistent entities stay with the heir the others elected and come back from it (kept, under
   * our new id, when we were alone); the rest of ours are announced again under net ids of our new id.
   */
  rejoinAs(me: string, hadPeers: boolean): void {
    const { registry, world } = this.ctx
    for (const rec of [...registry.byKey.values(), ...this.unassigned]) {
      if (registry.get(rec.eid) !== rec) continue
      if (!registry.isOwned(rec.eid)) {
        this.dropRemote(rec, 'rejoined')
        continue
      }
      if (rec.persistent && hadPeers) {
        this.release(rec)
        registry.remove(rec)
        if (entityExists(world, rec.eid)) removeEntity(world, rec.eid)
        continue
      }
      if (rec.key) registry.byKey.delete(rec.key)
      rec.owner = me
      if (rec.id) registry.setId(rec, { origin: me, n: rec.slot })
    }
  }

  /** Late join: everything we own that is relevant to `p` is announced to it (paced: spawns.ts). */
  sendAllTo(p: PeerState): void {
    const registry = this.ctx.registry
    for (let i = 0; i < registry.ownedCount; i++) {
      const rec = registry.get(registry.owned[i])!
      if (rec.id) this.ctx.relevance.offer(p, rec)
    }
  }

  /**
   * Structural and RELIABLE changes of owned entities, then DELTA change detection. Runs over every owned entity
   * each flush: an entity whose bitECS mask word did not move and that has no RELIABLE component costs one load.
   */
  detectChanges(): void {
    const { registry, presence, layout, peers, stream, spawns } = this.ctx
    for (const { rec, c, fields } of this.ctx.refs.resolved()) {
      stream.broadcast({ body: { $case: 'componentUpdate', value: { id: rec.id!, epoch: rec.epoch, component: this.stateOf(c, rec.eid, fields) } } }, rec.eid)
    }
    const detector = this.detector
    const owned = registry.owned
    const rawPresence = this.rawPresence
    const reliableBits = this.reliableBits
    const raw = presence.rawMasks()
    const rawMasks = raw ? raw.masks : null
    const rawFlags = raw ? raw.flags : 0
    const rawReliable = raw ? this.rawReliableFlags : 0
    // Pass 1, the hot loop of an idle world: one bitECS mask word per owned entity, in two tight loops. Owned entities
    // filling at least half of [0, ownedEnd) are found by walking every eid of the range in order (sequential loads,
    // no list indirection), as change detection does. A hole (undefined) reads as 0 under `&`, like a missing word.
    // Those whose word moved, or that need a look anyway (no word; RELIABLE components), go to pass 2.
    const look = this.look
    let looks = 0
    if (rawMasks === null) {
      for (let i = registry.ownedCount - 1; i >= 0; i--) look[looks++] = owned[i]
    } else if (registry.ownedCount * 2 >= registry.ownedEnd) {
      const ownedPos = registry.ownedPos
      for (let eid = registry.ownedEnd - 1; eid >= 0; eid--) {
        if (ownedPos[eid] < 0) continue
        const word = rawMasks[eid] & rawFlags
        if (word === rawPresence[eid] && word !== 0 && (word & rawReliable) === 0) continue
        look[looks++] = eid
      }
    } else {
      for (let i = registry.ownedCount - 1; i >= 0; i--) {
        const eid = owned[i]
        const word = rawMasks[eid] & rawFlags
        if (word === rawPresence[eid] && word !== 0 && (word & rawReliable) === 0) continue
        look[looks++] = eid
      }
    }
    // Pass 2: structural and RELIABLE changes of those.
    for (let k = 0; k < looks; k++) {
      const eid = look[k]
      if (!registry.isOwned(eid)) continue // gone meanwhile
      if (rawMasks !== null) {
        // Remembered once the structural state below is handled (not for entities still without a net id).
        if (registry.get(eid)?.id != null) rawPresence[eid] = rawMasks[eid] & rawFlags
      }
      const rec = registry.get(eid)!
      if (!presence.exists(eid)) {
        // Removed locally without net.despawn(): despawn everywhere.
        this.stopReplicating(rec)
        continue
      }
      if (!rec.id) continue
      const now = presence.mask(eid)
      const before = detector.presence[eid]
      if (now !== before) {
        const added = now & ~before
        const removed = before & ~now
        for (const c of layout.components) {
          if ((removed & (1 << c.bit)) === 0) continue
          for (const p of peers.all.values()) p.baseline.forget(eid, c.deltaIndex >= 0 ? 1 << c.deltaIndex : 0)
          stream.broadcast({ body: { $case: 'componentRemove', value: { id: rec.id, epoch: rec.epoch, component: c.def.id } } }, eid)
        }
        detector.capture(eid, added | removed)
        for (const c of layout.components) {
          if ((added & (1 << c.bit)) === 0) continue
          const bytes = encodeMessage({ body: { $case: 'componentAdd', value: { id: rec.id, epoch: rec.epoch, component: this.stateOf(c, eid) } } })
          for (const p of peers.ready()) {
            if (!spawns.sees(p, eid)) continue // not announced to it yet: its announcement will carry the component
            const index = stream.queue(p, bytes)
            if (c.deltaIndex >= 0) p.baseline.awaitConfirmation(index, eid, rec.gen, 1 << c.deltaIndex, (f) => this.currentWire(f, eid), p.ack.nextSeq - 1)
          }
        }
      }
      if ((now & reliableBits) === 0) continue
      for (const c of layout.reliable) {
        if ((now & (1 << c.bit)) === 0) continue
        const mask = detector.reliableChanges(eid, c.bit)
        const state = mask !== 0 ? this.stateOf(c, eid, mask) : null
        if (state && state.mask !== 0) stream.broadcast({ body: { $case: 'componentUpdate', value: { id: rec.id, epoch: rec.epoch, component: state } } }, eid)
      }
    }
    detector.detect(registry.owned, registry.ownedCount, registry.ownedPos, registry.ownedEnd)
  }

  /**
   * A component's state for a reliable message. A RELIABLE field whose value the peers could not decode (an int64
   * beyond ±2^53) is left out and reported as an `error` event: they keep its previous value, and nobody's message
   * is refused as invalid.
   */
  private stateOf(c: BoundComponent, eid: number, mask = c.def.fullMask, recipients = this.ctx.peers.ready().length): ComponentState {
    const bad = c.def.sync === 'RELIABLE' ? unsendableFields(c.def, c.store, eid, mask) : null
    if (bad) {
      this.ctx.emitter.emit('error', bad.error)
      mask &= ~bad.mask
    }
    const refs = this.ctx.refs
    let missing = false
    const state = !refs.any
      ? componentState(c.def, c.store, eid, mask)
      : componentState(c.def, c.store, eid, mask, (target) => {
          const id = refs.toNetId(target)
          missing ||= id === null
          return id
        })
    if (missing) refs.sentDangling(eid, c, mask)
    this.ctx.stats.reliableBytes[c.bit] += state.state.length * recipients
    return state
  }

  /** The fields of `c` an announcement of `eid` carries: all of them, less RELIABLE values the peers could not decode. */
  sendableMask(c: BoundComponent, eid: number): number {
    if (c.def.sync !== 'RELIABLE') return c.def.fullMask
    const bad = unsendableFields(c.def, c.store, eid, c.def.fullMask)
    if (!bad) return c.def.fullMask
    this.ctx.emitter.emit('error', bad.error)
    return c.def.fullMask & ~bad.mask
  }

  /** Throws the first field of `eid`'s RELIABLE components the peers could not decode (`net.spawn` refuses it). */
  private assertSendable(eid: number): void {
    const mask = this.ctx.presence.mask(eid)
    for (const c of this.ctx.layout.reliable) {
      if ((mask & (1 << c.bit)) === 0) continue
      const bad = unsendableFields(c.def, c.store, eid, c.def.fullMask)
      if (bad) throw bad.error
    }
  }

  /** The full state of `eid`: every schema component it has. */
  fullState(eid: number, recipients = this.ctx.peers.ready().length): ComponentState[] {
    const mask = this.ctx.presence.mask(eid)
    const out: ComponentState[] = []
    for (const c of this.ctx.layout.components) if (mask & (1 << c.bit)) out.push(this.stateOf(c, eid, c.def.fullMask, recipients))
    return out
  }

  /** Sends a message carrying the entity's full state to `targets`, each awaiting its confirmation as a baseline. */
  sendWithBaseline(rec: NetEntity, m: Message, targets: PeerState[]): void {
    const bytes = encodeMessage(m)
    for (const p of targets) this.awaitBaseline(p, rec, this.ctx.stream.queue(p, bytes))
  }

  /** Message `index` of `p`'s stream carries `rec`'s current full state: once `p` confirms it, it is `p`'s baseline. */
  awaitBaseline(p: PeerState, rec: NetEntity, index: number): void {
    p.baseline.forget(rec.eid)
    p.baseline.awaitConfirmation(index, rec.eid, rec.gen, this.deltaBitsOf(this.ctx.presence.mask(rec.eid)), (f) => this.currentWire(f, rec.eid), p.ack.nextSeq - 1)
  }

  // ---------- theirs ----------

  onDespawn(p: PeerState, v: BodyOf<'despawn'>): Outcome {
    const rec = this.ctx.registry.lookup(v.id)
    const o = this.ctx.ownership.check(rec, p, v.epoch)
    if (o) return o
    p.slots.set(rec!.slot, null)
    this.ctx.ownership.settle(rec!.eid, false)
    this.dropRemote(rec!, v.culled ? 'culled' : 'despawned')
  }

  /** ComponentAdd (`added`) or ComponentUpdate (a RELIABLE component's changed fields). */
  onComponent(p: PeerState, v: BodyOf<'componentAdd'>, added: boolean): Outcome {
    const { registry, layout, presence } = this.ctx
    const rec = registry.lookup(v.id)
    const o = this.ctx.ownership.check(rec, p, v.epoch)
    if (o) return o
    if (!v.component) throw new Invalid('malformed', 'missing component')
    const c = layout.byId.get(v.component.component)
    if (!c) throw new Invalid('malformed', `unknown component id ${v.component.component}`)
    const has = (presence.mask(rec!.eid) & (1 << c.bit)) !== 0
    if (!added && !has) throw new Invalid('malformed', `update of absent component ${c.def.name}`)
    this.applyStates(rec!.eid, [v.component], true)
    if (added && c.deltaIndex >= 0) {
      this.ctx.deltas.forget(rec!.eid, c.firstField, c.def.numericFields.length)
      this.ctx.interpolation.seed(rec!.eid, c.bit)
    }
  }

  onComponentRemove(p: PeerState, v: BodyOf<'componentRemove'>): Outcome {
    const rec = this.ctx.registry.lookup(v.id)
    const o = this.ctx.ownership.check(rec, p, v.epoch)
    if (o) return o
    const c = this.ctx.layout.byId.get(v.component)
    if (!c) throw new Invalid('malformed', `unknown component id ${v.component}`)
    removeComponent(this.ctx.world, rec!.eid, c.store)
  }

  /** Writes received component states into the stores (adding components the entity lacks, with `addMissing`). */
  applyStates(eid: number, states: readonly ComponentState[], addMissing: boolean): void {
    const { layout, presence, world } = this.ctx
    for (const s of states) {
      const c = layout.byId.get(s.component)
      if (!c) throw new Invalid('malformed', `unknown component id ${s.component}`)
      applyComponentState(c.def, c.store, eid, s, (id, target, field) => this.ctx.refs.receive(id, target, c, field))
      if (addMissing && (presence.mask(eid) & (1 << c.bit)) === 0) addComponent(world, eid, c.store)
    }
  }

  /** Forgets what was received for `eid` and its interpolation samples (a new owner, a spawn). */
  resetRemote(eid: number): void {
    this.ctx.deltas.forget(eid)
    this.ctx.interpolation.clear(eid)
  }

  /** A remote entity is gone (despawned, its owner left): `entityDespawned` is told, then it leaves the registry and the world. */
  dropRemote(rec: NetEntity, reason: DespawnReason): void {
    if (rec.id) this.ctx.emitter.emit('entityDespawned', { eid: rec.eid, id: { origin: rec.id.origin, n: rec.id.n }, owner: rec.owner, reason })
    this.ctx.registry.remove(rec)
    this.ctx.refs.left(rec)
    if (entityExists(this.ctx.world, rec.eid)) removeEntity(this.ctx.world, rec.eid)
  }

  private stopReplicating(rec: NetEntity): void {
    if (rec.id) this.ctx.stream.broadcast({ body: { $case: 'despawn', value: { id: rec.id, epoch: rec.epoch, culled: false } } }, rec.eid)
    this.release(rec)
    this.ctx.registry.remove(rec)
  }

  private deltaBitsOf(presenceMask: number): number {
    let bits = 0
    for (const c of this.ctx.layout.delta) if (presenceMask & (1 << c.bit)) bits |= 1 << c.deltaIndex
    return bits
  }

  private currentWire(f: number, eid: number): number {
    const layout = this.ctx.layout
    const c = layout.deltaFieldComponent[f]
    if (layout.quaternionBits[c] > 0) {
      // A quaternion's slots are made together (what ComponentDef.encode wrote for it).
      quaternionWire(layout, c, eid, this.slots, 0)
      return this.slots[f - layout.delta[c].firstField]
    }
    return layout.deltaFields[f].toWire(layout.column(f)[eid])
  }
}
