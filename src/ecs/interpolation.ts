/**
 * The network's interpolation room: one Interpolator (interpolator.ts) per `interpolate: true` DELTA component, the
 * render pass over every replicated entity (`net.interpolate()`), and the interpolated views (`net.interpolated()`).
 * Remote entities render at their owner's clock (clock-sync.ts) `interpolationDelay` behind; ours mirror the store.
 */
import type { ComponentStore } from '../protocol/component.js'
import { ErrorCode, MultiuserError } from '../shared/errors.js'
import type { NetContext } from './context.js'
import { Interpolator } from './interpolator.js'
import type { BoundComponent } from './layout.js'

export class Interpolation {
  private readonly byBit = new Map<number, Interpolator>()
  private readonly list: Interpolator[]
  /** Interpolator of each DELTA component by its index in layout.delta (undefined: not interpolated). */
  readonly ofDelta: (Interpolator | undefined)[]

  /**
   * Remote entities to render: those a buffer woke (a sample arrived, or it was cleared) since they last settled.
   * A large world is mostly idle: walking this list instead of every entity is most of what render saves.
   */
  private readonly active: Int32Array
  private readonly activePos: Int32Array
  private activeCount = 0
  /** Owned eids as runs [runStart[r], runEnd[r]), for the registry's ownedVersion they were made at. */
  private readonly runStart: Int32Array
  private readonly runEnd: Int32Array
  private runs = 0
  private ownedVersion = -1

  constructor(private readonly ctx: NetContext) {
    const { layout, settings } = ctx
    for (const c of layout.delta) if (c.def.interpolate) this.byBit.set(c.bit, new Interpolator(c, settings.capacity, settings.snapDistance))
    this.list = [...this.byBit.values()]
    this.ofDelta = layout.delta.map((c) => this.byBit.get(c.bit))
    this.active = new Int32Array(settings.capacity)
    this.activePos = new Int32Array(settings.capacity).fill(-1)
    this.runStart = new Int32Array(settings.capacity)
    this.runEnd = new Int32Array(settings.capacity)
    const wake = (eid: number): void => {
      if (this.activePos[eid] >= 0) return
      this.activePos[eid] = this.activeCount
      this.active[this.activeCount++] = eid
    }
    for (const it of this.list) it.onWake = wake
  }

  /**
   * The owned set changed: its runs of consecutive eids anew (for the copies), and the buffers of those owned now
   * reset. Owned entities get no samples (deltas apply to remote ones only), so until the owned set changes again
   * their buffers stay empty and only the copy is needed.
   */
  private ownedChanged(): void {
    const { registry } = this.ctx
    this.ownedVersion = registry.ownedVersion
    const eids = registry.owned.slice(0, registry.ownedCount).sort()
    let runs = 0
    for (let i = 0; i < eids.length; i++) {
      if (runs > 0 && this.runEnd[runs - 1] === eids[i]) this.runEnd[runs - 1]++
      else {
        this.runStart[runs] = eids[i]
        this.runEnd[runs++] = eids[i] + 1
      }
    }
    this.runs = runs
    for (const it of this.list) it.resetAll(eids, eids.length)
  }

  private sleep(i: number): void {
    const eid = this.active[i]
    const last = this.active[--this.activeCount]
    this.active[i] = last
    this.activePos[last] = i
    this.activePos[eid] = -1
  }

  /** Forgets the buffered samples of `eid` (a new owner, a spawn). */
  clear(eid: number): void {
    for (const it of this.list) it.clear(eid)
  }

  /** Seeds the buffers of a remote entity from its full (spawn / claim / transfer) state; `onlyBit`: one component. */
  seed(eid: number, onlyBit = -1): void {
    const mask = this.ctx.presence.mask(eid)
    for (const it of this.list) {
      const bit = it.component.bit
      if ((onlyBit < 0 || bit === onlyBit) && (mask & (1 << bit)) !== 0) it.seed(eid)
    }
  }

  /**
   * Writes every interpolated store for local time `now`: ours mirror the store; remote entities are rendered while
   * awake (their output does not yet hold their newest sample), then sleep until a buffer wakes them.
   */
  render(now: number): void {
    const list = this.list
    if (list.length === 0) return
    const { registry, peers } = this.ctx
    if (registry.ownedVersion !== this.ownedVersion) this.ownedChanged()
    for (const it of list) it.copyRuns(this.runStart, this.runEnd, this.runs)
    const delay = this.ctx.settings.interpolationDelay
    // Render time and last-heard time of the owner of the entity before (entities come mostly grouped by owner).
    let owner: string | null = null
    let t = Number.POSITIVE_INFINITY
    let heardAt = Number.POSITIVE_INFINITY
    for (let i = 0; i < this.activeCount; ) {
      const eid = this.active[i]
      const rec = registry.get(eid)
      if (rec === undefined || registry.isOwned(eid)) {
        this.sleep(i)
        continue
      }
      if (rec.owner !== owner) {
        owner = rec.owner
        const p = peers.get(owner)
        t = p ? p.clock.renderTime(now, delay) : Number.POSITIVE_INFINITY
        heardAt = p ? p.clock.lastSenderTime : Number.POSITIVE_INFINITY
      }
      let settled = true
      for (let k = 0; k < list.length; k++) {
        const it = list[k]
        it.render(eid, t, heardAt)
        if (it.settled[eid] !== 1) settled = false
      }
      if (settled) this.sleep(i)
      else i++
    }
  }

  /** The most samples buffered for `eid` by any of its interpolated components (0 for ours). */
  buffered(eid: number): number {
    let n = 0
    for (const it of this.list) n = Math.max(n, it.buffered(eid))
    return n
  }

  /** The interpolated view of a component store (the store itself for components not interpolated). */
  view<S extends ComponentStore>(store: S | number): S {
    const layout = this.ctx.layout
    const c: BoundComponent | undefined = typeof store === 'number' ? layout.byId.get(store) : layout.components.find((x) => x.store === store)
    if (!c) throw new MultiuserError(ErrorCode.SCHEMA_INVALID, 'not a component store of this network')
    const it = this.byBit.get(c.bit)
    return (it ? it.output : c.store) as S
  }
}
