import type { NetId } from '../protocol/reliable-codec.js'

/** The registry's key of a net id. */
export function netKey(id: NetId): string {
  return `${id.n}@${id.origin}`
}

/** A replicated entity as this peer sees it. */
export interface NetEntity {
  readonly eid: number
  /** Null for an entity we spawned before the transport knew our own id (assigned at the next flush). */
  id: NetId | null
  key: string | null
  /** Owning peer id ('' = us, before our id is known). */
  owner: string
  /** Ownership generation: 0 at spawn, +1 per transfer or inheritance. */
  epoch: number
  /** The owner's delta slot, -1 until its claim arrives. */
  slot: number
  persistent: boolean
  /** Local generation of our ownership (guards stale confirmations after transfers and eid reuse). */
  gen: number
}

/** Net id ↔ local eid mapping, plus the dense list of replicated eids and the owned subset. */
export class EntityRegistry {
  readonly byKey = new Map<string, NetEntity>()
  readonly byEid: (NetEntity | undefined)[]
  /** Owned eids, dense (hot loop input). */
  readonly owned: Int32Array
  ownedCount = 0
  /** Per eid: its index in `owned`, -1 when not owned (the ownership flag of a dense scan). */
  readonly ownedPos: Int32Array
  /** One past the highest owned eid: owned eids all lie in [0, ownedEnd). */
  ownedEnd = 0
  /** Bumped whenever the owned set changes (what caches of it, like the interpolation's copy runs, check). */
  ownedVersion = 0
  /** All replicated eids, dense. */
  readonly all: Int32Array
  allCount = 0
  private readonly allPos: Int32Array
  private genCounter = 0

  constructor(capacity: number) {
    this.byEid = new Array<NetEntity | undefined>(capacity)
    this.owned = new Int32Array(capacity)
    this.ownedPos = new Int32Array(capacity).fill(-1)
    this.all = new Int32Array(capacity)
    this.allPos = new Int32Array(capacity).fill(-1)
  }

  get(eid: number): NetEntity | undefined {
    return this.byEid[eid]
  }

  lookup(id: NetId | undefined): NetEntity | undefined {
    return id ? this.byKey.get(netKey(id)) : undefined
  }

  add(rec: NetEntity): void {
    this.byEid[rec.eid] = rec
    if (rec.key) this.byKey.set(rec.key, rec)
    this.allPos[rec.eid] = this.allCount
    this.all[this.allCount++] = rec.eid
  }

  setId(rec: NetEntity, id: NetId): void {
    rec.id = id
    rec.key = netKey(id)
    this.byKey.set(rec.key, rec)
  }

  remove(rec: NetEntity): void {
    this.disown(rec)
    if (rec.key) this.byKey.delete(rec.key)
    this.byEid[rec.eid] = undefined
    const p = this.allPos[rec.eid]
    const last = this.all[--this.allCount]
    this.all[p] = last
    this.allPos[last] = p
    this.allPos[rec.eid] = -1
  }

  isOwned(eid: number): boolean {
    return this.ownedPos[eid] >= 0
  }

  own(rec: NetEntity): void {
    rec.gen = ++this.genCounter
    if (this.ownedPos[rec.eid] >= 0) return
    this.ownedVersion++
    this.ownedPos[rec.eid] = this.ownedCount
    this.owned[this.ownedCount++] = rec.eid
    if (rec.eid >= this.ownedEnd) this.ownedEnd = rec.eid + 1
  }

  disown(rec: NetEntity): void {
    rec.gen = ++this.genCounter
    const p = this.ownedPos[rec.eid]
    if (p < 0) return
    this.ownedVersion++
    const last = this.owned[--this.ownedCount]
    this.owned[p] = last
    this.ownedPos[last] = p
    this.ownedPos[rec.eid] = -1
    while (this.ownedEnd > 0 && this.ownedPos[this.ownedEnd - 1] < 0) this.ownedEnd--
  }

  genOf = (eid: number): number => this.byEid[eid]?.gen ?? -1
}
