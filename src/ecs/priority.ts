/**
 * The priority room: which changed entities go first when a peer's send budget (congestion.ts) cannot carry every
 * change, after Glenn Fiedler's priority accumulator. Per receiver, every entity with changes it did not get gains,
 * each flush it waits, its weight:
 *
 *   weight = the largest `priority` among its changed DELTA components (ComponentSpec.priority, the `.proto` option;
 *            default 1) × its relevance to that peer when `relevance` answered a number × `priority(eid, peer)`
 *            when the option is given
 *
 * The encoder sends the highest accumulated priorities first while they fit, and an entity sent starts over from 0.
 * Everything waiting keeps gaining, so nothing waits for ever: an entity of weight w overtakes one of weight W after
 * W / w flushes at most. Nothing is computed while everything fits (the common case).
 */
import type { PriorityInput } from './delta-candidates.js'
import type { Layout } from './layout.js'
import type { NetPeer } from './network.js'

/**
 * The user's weight of an entity for a peer (createNetwork's `priority` option): 1 = as usual, 10 = ten times as
 * urgent; 0, negative or NaN count as 0.01 (it still goes, eventually), at most 10^6.
 */
export type PriorityFn = (eid: number, peer: NetPeer) => number

export class Priorities {
  /** Per DELTA component (by delta index): its weight. */
  private readonly componentWeight: Float64Array

  constructor(
    layout: Layout,
    private readonly user: PriorityFn | null,
  ) {
    this.componentWeight = Float64Array.from(layout.delta, (c) => c.def.priority)
  }

  /** One receiver's accumulators. `relevance`: that peer's relevance weights by eid (null: all 1). */
  forPeer(peer: NetPeer, capacity: number, relevance: () => Float32Array | null): PriorityInput {
    const acc = new Float64Array(capacity)
    const weights = this.componentWeight
    const user = this.user
    return {
      accrue(eid, components) {
        let w = 0
        for (let c = 0; components >>> c !== 0; c++) if ((components >>> c) & 1 && weights[c] > w) w = weights[c]
        const r = relevance()
        if (r !== null) w *= r[eid]
        if (user !== null) {
          const u = user(eid, peer)
          w *= u > 0 ? Math.min(u, 1e6) : 0.01
        }
        return (acc[eid] += w)
      },
      sent(eid) {
        acc[eid] = 0
      },
    }
  }
}
