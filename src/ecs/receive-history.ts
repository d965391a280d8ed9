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
  /** Per codable field: K tickIds (-1 = empty) and K wire values per entity. */
  private readonly ticks: Int32Array[]
  private readonly values: Uint32Array[]
  /** Global delta field → index into ticks/values, or -1. */
  private readonly slotOfField: Int32Array

  constructor(layout: Layout, capacity: number) {
    this.slotOfField = new Int32Array(layout.deltaFields.length).fill(-1)
    this.ticks = []
    this.values = []
    for (let f = 0; f < layout.deltaFields.length; f++) {
      if (layout.deltaCodable[f] === 0) continue
      this.slotOfField[f] = this.ticks.length
      this.ticks.push(new Int32Array(capacity * K).fill(-1))
      this.values.push(new Uint32Array(capacity * K))
    }
  }

  /** Forgets everything about `eid` (new owner, spawn) or, with `first`/`count`, some of its fields. */
  clear(eid: number, first = 0, count = this.slotOfField.length): void {
    for (let f = first; f < first + count; f++) {
      const s = this.slotOfField[f]
      if (s >= 0) this.ticks[s].fill(-1, eid * K, eid * K + K)
    }
  }

  /** The wire value of field `f` of `eid` received in flush `tickId` (history slot `slot`), or -1 if not held. */
  lookup(f: number, eid: number, slot: number, tickId: number): number {
    const s = this.slotOfField[f]
    if (s < 0) return -1
    const i = eid * K + slot
    return this.ticks[s][i] === tickId ? this.values[s][i] : -1
  }

  /**
   * Records the value of field `f` of `eid` in flush `tickId`, in that flush's slot: a flush K newer takes it over, by
   * which time the sender no longer uses it. One load to look up, one to record, instead of a scan of K slots.
   */
  record(f: number, eid: number, slot: number, tickId: number, wire: number): void {
    const s = this.slotOfField[f]
    if (s < 0) return
    const ticks = this.ticks[s]
    const i = eid * K + slot
    if (ticks[i] >= tickId) return // held already, or a newer flush has the slot: never a baseline again
    ticks[i] = tickId
    this.values[s][i] = wire
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
