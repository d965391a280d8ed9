import { HISTORY_DEPTH } from './delta-format.js'
import type { Layout } from './layout.js'

const K = HISTORY_DEPTH

/**
 * Receiver side of baseline coding: per remote entity and quantized DELTA field, the wire values received in the
 * last HISTORY_DEPTH flushes of its owner (keyed by the flush's tickId), whether or not they were applied (an
 * older packet arriving late is acknowledged, so the sender may use it as a baseline). Typed arrays only.
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

  /** The wire value of field `f` of `eid` received in flush `tickId`, or -1 if not held. */
  lookup(f: number, eid: number, tickId: number): number {
    const s = this.slotOfField[f]
    if (s < 0) return -1
    const ticks = this.ticks[s]
    const base = eid * K
    for (let k = 0; k < K; k++) if (ticks[base + k] === tickId) return this.values[s][base + k]
    return -1
  }

  /** Records the value of field `f` of `eid` in flush `tickId`, evicting the oldest flush when full. */
  record(f: number, eid: number, tickId: number, wire: number): void {
    const s = this.slotOfField[f]
    if (s < 0) return
    const ticks = this.ticks[s]
    const base = eid * K
    let oldest = base
    for (let k = 0; k < K; k++) {
      const t = ticks[base + k]
      if (t === tickId) return
      if (t < ticks[oldest]) oldest = base + k
    }
    if (ticks[oldest] > tickId) return // older than everything held: never a baseline
    ticks[oldest] = tickId
    this.values[s][oldest] = wire
  }
}
