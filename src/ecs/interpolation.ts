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

  constructor(private readonly ctx: NetContext) {
    const { layout, settings } = ctx
    for (const c of layout.delta) if (c.def.interpolate) this.byBit.set(c.bit, new Interpolator(c, settings.capacity, settings.snapDistance))
    this.list = [...this.byBit.values()]
    this.ofDelta = layout.delta.map((c) => this.byBit.get(c.bit))
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

  /** Writes every interpolated store for local time `now`; entities whose output already holds their newest sample are skipped. */
  render(now: number): void {
    const list = this.list
    if (list.length === 0) return
    const { registry, peers } = this.ctx
    const delay = this.ctx.settings.interpolationDelay
    for (let i = 0; i < registry.allCount; i++) {
      const eid = registry.all[i]
      if (registry.isOwned(eid)) {
        for (const it of list) it.copy(eid)
        continue
      }
      let settled = true
      for (let k = 0; k < list.length && settled; k++) settled = list[k].settled[eid] === 1
      if (settled) continue
      const p = peers.get(registry.get(eid)!.owner)
      const t = p ? p.clock.renderTime(now, delay) : Number.POSITIVE_INFINITY
      const heardAt = p ? p.clock.lastSenderTime : Number.POSITIVE_INFINITY
      for (const it of list) it.render(eid, t, heardAt)
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
