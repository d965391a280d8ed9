/**
 * `gridRelevance(options)`: the ready relevance function for the common case (createNetwork's `relevance`): entities
 * near where a peer stands. The plane is cut into square cells of `cellSize` (store units); a peer sees an entity
 * whose cell is at most ceil(radius / cellSize) cells from the cell of its focus (the eid, in our world, of where
 * it stands: usually its avatar) on each axis, and keeps seeing it until it is `margin` cells further (so an entity
 * on a cell border does not come and go). A peer whose focus is unknown sees nothing of ours (persistent entities
 * excepted: they go to everyone). Entities without the position component read (0, 0).
 */
import type { NumericArray } from '../protocol/component.js'
import type { NetPeer } from './network.js'
import type { RelevanceFn } from './relevance.js'

/** Options of {@link gridRelevance}. */
export interface GridRelevanceOptions {
  /** The component store holding positions (e.g. Transform), read at `axes`. */
  store: Record<string, unknown>
  /** Its two fields spanning the plane. Default ['x', 'z']. */
  axes?: readonly [string, string]
  /** Side of a cell, in store units (positive). */
  cellSize: number
  /** How far a peer sees, in store units: one radius for every peer, or one per peer. */
  radius: number | ((peer: NetPeer) => number)
  /** The local eid whose position is where `peer` stands (undefined: unknown yet). */
  focus: (peer: NetPeer) => number | undefined
  /** Cells an entity may move past the radius before it leaves a peer's view. Default 1. */
  margin?: number
}

/** A relevance function (createNetwork's `relevance`): entities within `radius` of where each peer stands, on a grid of cells. */
export function gridRelevance(o: GridRelevanceOptions): RelevanceFn {
  if (!(o.cellSize > 0)) throw new RangeError(`gridRelevance: cellSize must be > 0 (got ${o.cellSize})`)
  const [ax, az] = o.axes ?? ['x', 'z']
  const column = (name: string): NumericArray => {
    const c = o.store[name]
    if (!ArrayBuffer.isView(c)) throw new RangeError(`gridRelevance: the store has no numeric field ${name}`)
    return c as NumericArray
  }
  const size = o.cellSize
  const margin = o.margin ?? 1
  // Per round: the columns, and per peer its focus cell and its reach in cells (NaN: unknown).
  const seen = new Map<string, { cx: number; cz: number; reach: number }>()
  let xs: NumericArray | null = null
  let zs: NumericArray | null = null
  const fn = ((eid: number, peer: NetPeer, inView: boolean): boolean => {
    if (xs === null || zs === null) {
      xs = column(ax)
      zs = column(az)
    }
    let f = seen.get(peer.id)
    if (f === undefined) {
      const at = o.focus(peer)
      const r = typeof o.radius === 'number' ? o.radius : o.radius(peer)
      f = at === undefined ? { cx: Number.NaN, cz: Number.NaN, reach: 0 } : { cx: Math.floor(xs[at] / size), cz: Math.floor(zs[at] / size), reach: Math.ceil(r / size) }
      seen.set(peer.id, f)
    }
    if (Number.isNaN(f.cx)) return false
    const reach = inView ? f.reach + margin : f.reach
    return Math.abs(Math.floor(xs[eid] / size) - f.cx) <= reach && Math.abs(Math.floor(zs[eid] / size) - f.cz) <= reach
  }) as RelevanceFn
  fn.begin = () => {
    seen.clear()
    xs = zs = null
  }
  return fn
}
