/**
 * The delta encoder's candidates for one receiver and flush (delta-encode.ts): the entities with something to send, in
 * slot order, with what the compare pass found for each (masks, modes, coded values, an estimate of its bits), and,
 * when they do not all fit the receiver's budget, which of them go (Fiedler's priority accumulator, priority.ts).
 * Typed arrays grown as needed: no per-entity allocation.
 */
import type { ReceiverBaseline } from './baselines.js'
import { sortRuns } from './run-sort.js'

/** Bits of an idle header (one ack word, an ack delay of up to 500 ms), for the budget's estimate. */
export const HEADER_BITS = 130
/** Largest eid the slot sort key can hold (2^21). */
export const MAX_EIDS = 1 << 21

/** How one receiver's entities are weighed when they do not all fit its budget (priority.ts). */
export interface PriorityInput {
  /** Adds the weight of `eid` (its changed delta components: `components`) to its accumulated priority; returns it. */
  accrue(eid: number, components: number): number
  /** `eid` was sent: its priority starts over. */
  sent(eid: number): void
}

export class DeltaCandidates {
  /** Per candidate: eid, slot, estimated bits, chosen, the components compared. */
  eid = new Int32Array(0)
  slot = new Float64Array(0)
  bits = new Int32Array(0)
  pick = new Uint8Array(0)
  scan = new Int32Array(0)
  /** Per candidate × delta component: change mask, modes, mode bits as written, their count. */
  masks = new Int32Array(0)
  modes = new Int32Array(0)
  modeBits = new Int32Array(0)
  modeCount = new Int32Array(0)
  /** Per candidate × global delta field: the zigzagged difference to the baseline (relative fields). */
  coded = new Float64Array(0)
  /** Per candidate: the flush its relative fields refer to when it is not the packet's baseline (else -1). */
  ref = new Float64Array(0)
  private prioKeys = new Float64Array(0)
  private prioScratch = new Float64Array(0)

  constructor(
    private readonly nd: number,
    private readonly nf: number,
  ) {
    this.reserve(256)
  }

  /** Room for `n` candidates. */
  reserve(n: number): void {
    if (n <= this.eid.length) return
    const size = Math.max(n, 256, this.eid.length * 2)
    this.eid = new Int32Array(size)
    this.slot = new Float64Array(size)
    this.bits = new Int32Array(size)
    this.pick = new Uint8Array(size)
    this.scan = new Int32Array(size)
    this.masks = new Int32Array(size * this.nd)
    this.modes = new Int32Array(size * this.nd)
    this.modeBits = new Int32Array(size * this.nd)
    this.modeCount = new Int32Array(size * this.nd)
    this.coded = new Float64Array(size * this.nf)
    this.ref = new Float64Array(size)
    this.prioKeys = new Float64Array(size)
    this.prioScratch = new Float64Array(size)
  }

  /**
   * Over budget: every candidate's priority grows by its weight; the highest go first while they fit (the first one
   * always, so a budget smaller than one entity still moves); the others wait, pending, for the next flush.
   */
  pickByPriority(count: number, budgetBits: number, maxBits: number, priority: PriorityInput, baseline: ReceiverBaseline): number {
    const nd = this.nd
    const keys = this.prioKeys
    for (let k = 0; k < count; k++) {
      let changed = 0
      for (let c = 0; c < nd; c++) if (this.masks[k * nd + c] !== 0) changed |= 1 << c
      // Ascending keys: accumulated priority (1/64 steps, at most 2^31), then the candidate's index.
      const acc = Math.min(2 ** 31 - 1, Math.floor(priority.accrue(this.eid[k], changed) * 64))
      keys[k] = acc * MAX_EIDS + k
    }
    const sorted = sortRuns(keys, count, this.prioScratch)
    this.pick.fill(0, 0, count)
    let used = HEADER_BITS
    let packetEnd = maxBits
    let deferred = 0
    for (let i = count - 1; i >= 0; i--) {
      const k = sorted[i] % MAX_EIDS
      if (used + this.bits[k] <= budgetBits || (i === count - 1 && budgetBits > used)) {
        this.pick[k] = 1
        used += this.bits[k]
        if (used > packetEnd) {
          used += HEADER_BITS // the next packet's header
          packetEnd += maxBits
        }
      } else {
        deferred++
        baseline.markPending(this.eid[k], this.scan[k])
      }
    }
    return deferred
  }
}
