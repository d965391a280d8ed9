/**
 * The entity-reference room: fields that hold an entity (`(multiuser.entity)`: RELIABLE components and events).
 * A store holds this peer's own eid of the entity (0: none); the wire carries its net id (ComponentState.refs,
 * EventEnvelope.refs). Out: our eid → its net id (none for an entity that is not replicated). In: the net id → our
 * eid; a reference to an entity that has not arrived yet reads 0 and is written in when it arrives (`arrived`); a
 * reference to an entity that leaves this world reads 0 from then on (`left`), so no store keeps an eid that bitECS
 * may hand to another entity. A reference we send to an entity without a net id yet (spawned later in the same
 * tick, or not replicated) goes out as none, and again (`resolved`) once that entity has one.
 */
import type { FieldDef, NumericArray } from '../protocol/component.js'
import type { NetId } from '../protocol/reliable-codec.js'
import type { NetContext } from './context.js'
import type { BoundComponent } from './layout.js'
import { netKey, type NetEntity } from './registry.js'

/** A stored reference to an entity that has not arrived yet. */
interface Waiting {
  readonly eid: number
  readonly column: NumericArray
  readonly target: string
}

export class EntityRefs {
  /** Every entity field: its component's store and the field's name. */
  private readonly fields: { readonly store: Record<string, unknown>; readonly name: string }[] = []
  /** By `${eid}/${component bit}/${field}`: references waiting for their entity. */
  private readonly waiting = new Map<string, Waiting>()
  /** By the net key they wait for. */
  private readonly byTarget = new Map<string, Set<string>>()
  /** Our entities whose entity fields went out naming an entity without a net id: by eid, component bit → field mask. */
  private readonly dangling = new Map<number, Map<number, number>>()

  constructor(private readonly ctx: NetContext) {
    for (const c of ctx.layout.reliable) for (const f of c.def.fields) if (f.entity) this.fields.push({ store: c.store, name: f.name })
  }

  /** Whether the schema has entity fields at all. */
  get any(): boolean {
    return this.fields.length > 0
  }

  /** The net id of our eid `eid` (null: not replicated, or no net id yet). */
  readonly toNetId = (eid: number): NetId | null => this.ctx.registry.get(eid)?.id ?? null

  /** The eid to store for a received reference (0: none, or not arrived yet). */
  eidOf(id: NetId | null): number {
    return id ? (this.ctx.registry.lookup(id)?.eid ?? 0) : 0
  }

  /** The eid to store in `field` of `c` for `eid` for a received reference; one not arrived yet is written in when it arrives. */
  receive(id: NetId | null, eid: number, c: BoundComponent, field: FieldDef): number {
    const key = `${eid}/${c.bit}/${field.index}`
    this.unwait(key)
    const local = this.eidOf(id)
    if (!id || local !== 0) return local
    const target = netKey(id)
    this.waiting.set(key, { eid, column: c.store[field.name] as NumericArray, target })
    let set = this.byTarget.get(target)
    if (!set) this.byTarget.set(target, (set = new Set()))
    set.add(key)
    return 0
  }

  /** A replicated entity arrived in this world: references waiting for it now name it. */
  arrived(rec: NetEntity): void {
    const set = rec.key ? this.byTarget.get(rec.key) : undefined
    if (!set) return
    for (const key of [...set]) {
      const w = this.waiting.get(key)!
      w.column[w.eid] = rec.eid
      this.unwait(key)
    }
  }

  /** A replicated entity is leaving this world: every replicated entity's reference to it reads 0; its own waiting references are dropped. */
  left(rec: NetEntity): void {
    if (!this.any) return
    const { registry } = this.ctx
    const gone = rec.eid
    for (const f of this.fields) {
      const column = f.store[f.name] as NumericArray
      for (let i = 0; i < registry.allCount; i++) {
        const e = registry.all[i]
        if (column[e] === gone) column[e] = 0
      }
    }
    for (const [key, w] of this.waiting) if (w.eid === gone) this.unwait(key)
  }

  /**
   * Our `eid` was announced with its full state (a SpawnBatch): its entity fields that named an entity without a net
   * id went out as none, and go again once that entity has one.
   */
  announced(eid: number): void {
    const mask = this.ctx.presence.mask(eid)
    for (const c of this.ctx.layout.reliable) {
      if ((mask & (1 << c.bit)) === 0) continue
      let fields = 0
      for (const f of c.def.fields) if (f.entity) fields |= 1 << f.index
      if (fields !== 0 && !this.allNamed(c, eid, fields)) this.sentDangling(eid, c, fields)
    }
  }

  /** `c`'s fields in `mask` of our `eid` went out, one of them naming an entity without a net id. */
  sentDangling(eid: number, c: BoundComponent, mask: number): void {
    let entityMask = 0
    for (const f of c.def.fields) if (f.entity) entityMask |= 1 << f.index
    let comps = this.dangling.get(eid)
    if (!comps) this.dangling.set(eid, (comps = new Map()))
    comps.set(c.bit, (comps.get(c.bit) ?? 0) | (mask & entityMask))
  }

  /** Our entity fields that went out naming an entity without a net id, and now name only entities that have one: to send again. */
  *resolved(): Generator<{ rec: NetEntity; c: BoundComponent; fields: number }> {
    if (this.dangling.size === 0) return
    const { registry, presence, layout } = this.ctx
    for (const [eid, comps] of [...this.dangling]) {
      const rec = registry.get(eid)
      if (!rec || !rec.id || !registry.isOwned(eid)) {
        this.dangling.delete(eid)
        continue
      }
      for (const [bit, fields] of [...comps]) {
        const c = layout.components[bit]
        const present = (presence.mask(eid) & (1 << bit)) !== 0
        if (present && !this.allNamed(c, eid, fields)) continue
        comps.delete(bit)
        if (present) yield { rec, c, fields }
      }
      if (comps.size === 0) this.dangling.delete(eid)
    }
  }

  /** Whether every entity `c`'s `fields` of `eid` name is none or has a net id. */
  private allNamed(c: BoundComponent, eid: number, fields: number): boolean {
    for (const f of c.def.fields) {
      if ((fields & (1 << f.index)) === 0) continue
      const target = (c.store[f.name] as NumericArray)[eid]
      if (target !== 0 && !this.toNetId(target)) return false
    }
    return true
  }

  private unwait(key: string): void {
    const w = this.waiting.get(key)
    if (!w) return
    this.waiting.delete(key)
    const set = this.byTarget.get(w.target)!
    set.delete(key)
    if (set.size === 0) this.byTarget.delete(w.target)
  }
}
