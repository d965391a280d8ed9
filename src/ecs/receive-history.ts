import { HISTORY_DEPTH } from '../protocol/delta-format.js'
import type { Layout } from './layout.js'

const K = HISTORY_DEPTH

/**
 * Receiver side of baseline coding: per remote entity and quantized DELTA field, the wire values received in the
 * last HISTORY_DEPTH flushes of its owner, whether or not they were applied (an older packet arriving late is
 * acknowledged, so the sender may use it as a baseline). A flush's values sit in the slot its header names (the
 * sender's flush counter mod HISTORY_DEPTH), tagged with the flush's tickId: every flush takes one slot however many
 * packets it needs, so the receiver holds every flush a sender may use (baselines ≤ MAX_BASELINE_AGE flushes old).
 * `FlushSlots` (one per sender) finds the slot of a baseline flush. Typed arrays only.
 */
export class ReceiveHistory {
  /**
   * K tickIds (-1 = empty) and K wire values per entity and codable field, at `((eid * K) + slot) * nc + s`: the
   * codable fields of one entity in one flush side by side, so recording a packet's entity touches one cache line,
   * not one per field (random entities of a large world each miss the cache once instead of six times).
   */
  private readonly ticks: Int32Array
  private readonly values: Uint32Array
  /** Codable fields (nc), and global delta field → its index s among them, or -1. */
  private readonly nc: number
  private readonly slotOfField: Int32Array

  constructor(layout: Layout, capacity: number) {
    this.slotOfField = new Int32Array(layout.deltaFields.length).fill(-1)
    let nc = 0
    for (let f = 0; f < layout.deltaFields.length; f++) if (layout.deltaCodable[f] === 1) this.slotOfField[f] = nc++
    this.nc = nc
    this.ticks = new Int32Array(capacity * K * nc).fill(-1)
    this.values = new Uint32Array(capacity * K * nc)
  }

  /** Forgets everything about `eid` (new owner, spawn) or, with `first`/`count`, some of its fields. */
  clear(eid: number, first = 0, count = this.slotOfField.length): void {
    const nc = this.nc
    for (let f = first; f < first + count; f++) {
      const s = this.slotOfField[f]
      if (s < 0) continue
      for (let slot = 0; slot < K; slot++) this.ticks[(eid * K + slot) * nc + s] = -1
    }
  }

  /** The wire value of field `f` of `eid` received in flush `tickId` (history slot `slot`), or -1 if not held. */
  lookup(f: number, eid: number, slot: number, tickId: number): number {
    const s = this.slotOfField[f]
    if (s < 0) return -1
    const i = (eid * K + slot) * this.nc + s
    return this.ticks[i] === tickId ? this.values[i] : -1
  }

  /**
   * Records the value of field `f` of `eid` in flush `tickId`, in that flush's slot: a flush K newer takes it over, by
   * which time the sender no longer uses it. One load to look up, one to record, instead of a scan of K slots.
   */
  record(f: number, eid: number, slot: number, tickId: number, wire: number): void {
    const s = this.slotOfField[f]
    if (s < 0) return
    const i = (eid * K + slot) * this.nc + s
    if (this.ticks[i] >= tickId) return // held already, or a newer flush has the slot: never a baseline again
    this.ticks[i] = tickId
    this.values[i] = wire
  }
}

/** One sender's history slots: the tickId of the newest flush seen in each (the slot of a baseline flush). */
export class FlushSlots {
  private readonly tickOf = new Int32Array(K).fill(-1)

  /** A packet of flush `tickId` named slot `slot`. */
  saw(slot: number, tickId: number): void {
    if (tickId > this.tickOf[slot]) this.tickOf[slot] = tickId
  }

  /** The slot holding flush `tickId`, or -1 when no packet of it arrived or a newer flush took its slot. */
  slotOf(tickId: number): number {
    for (let s = 0; s < K; s++) if (this.tickOf[s] === tickId) return s
    return -1
  }
}
