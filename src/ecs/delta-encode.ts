import { BitWriter } from '../protocol/index.js'
import type { AckTracker } from './ack-tracker.js'
import { ENTITY_KNOWN, type ReceiverBaseline } from './baselines.js'
import type { ChangeDetector } from './change-detect.js'
import { createHeader, writeHeader, type DeltaHeader } from './delta-format.js'
import { writeExpGolomb } from './exp-golomb.js'
import type { Layout } from './layout.js'

/** Largest eid the slot sort key can hold (2^21). */
export const MAX_EIDS = 1 << 21

/**
 * Encodes one receiver's deltas into packets of at most `maxPacketBytes`, split by entity (each packet
 * decodable alone). Reuses its buffers: no per-entity allocation.
 */
export class DeltaEncoder {
  private readonly writer: BitWriter
  private readonly header: DeltaHeader = createHeader()
  private readonly keys: Float64Array
  private readonly stamp: Uint32Array
  private stampValue = 0
  private readonly masks: Int32Array
  private readonly prevMasks: Int32Array
  private readonly maxBits: number

  constructor(
    private readonly layout: Layout,
    private readonly detector: ChangeDetector,
    private readonly slotOf: Float64Array,
    capacity: number,
    maxPacketBytes: number,
  ) {
    this.writer = new BitWriter(maxPacketBytes + 64)
    this.keys = new Float64Array(capacity)
    this.stamp = new Uint32Array(capacity)
    this.masks = new Int32Array(Math.max(1, layout.delta.length))
    this.prevMasks = new Int32Array(Math.max(1, layout.delta.length))
    this.maxBits = maxPacketBytes * 8
  }

  /**
   * Sends this tick's packets to one receiver. `send` gets each packet (a fresh copy). Returns packets sent.
   * At least one packet always goes (it carries the acks).
   */
  encode(baseline: ReceiverBaseline, ack: AckTracker, tick: number, relAck: number, now: number, send: (bytes: Uint8Array) => void): number {
    const L = this.layout
    const d = this.detector
    const keys = this.keys
    const stamp = this.stamp
    const s = ++this.stampValue
    const known = baseline.known
    let n = 0
    for (let i = 0; i < d.dirtyCount; i++) {
      const e = d.dirty[i]
      if ((known[e] & ENTITY_KNOWN) === 0 || stamp[e] === s) continue
      stamp[e] = s
      keys[n++] = this.slotOf[e] * MAX_EIDS + e
    }
    for (let i = 0; i < baseline.pendingCount; i++) {
      const e = baseline.pending[i]
      if ((known[e] & ENTITY_KNOWN) === 0 || stamp[e] === s || !baseline.isPending(e)) continue
      stamp[e] = s
      keys[n++] = this.slotOf[e] * MAX_EIDS + e
    }
    const sorted = keys.subarray(0, n).sort()

    const h = this.header
    h.ackWordCount = ack.ackWords(h.ackWords)
    h.ack = ack.highestReceived
    h.tick = tick
    h.relAck = relAck
    const w = this.writer
    let packets = 0
    let seq = 0
    let prevSlot = -1
    let entitiesInPacket = 0
    const open = (): void => {
      seq = ack.nextOutgoing(now)
      baseline.beginPacket(seq)
      h.seq = seq
      w.reset()
      writeHeader(w, h)
      prevSlot = -1
      entitiesInPacket = 0
    }
    const close = (): void => {
      writeExpGolomb(w, 0)
      send(w.finish())
      packets++
    }
    open()

    const nd = L.delta.length
    const nf = L.deltaFields.length
    const masks = this.masks
    const prevMasks = this.prevMasks
    const wire = d.wire
    const ackedVal = baseline.ackedVal
    for (let k = 0; k < n; k++) {
      const key = sorted[k]
      const e = key % MAX_EIDS
      const slot = (key - e) / MAX_EIDS
      const kn = known[e]
      for (let c = 0; c < nd; c++) masks[c] = 0
      let any = false
      let f = 0
      for (let c = 0; c < nd; c++) {
        const comp = L.delta[c]
        const count = comp.def.numericFields.length
        if ((kn & (1 << c)) === 0 || (d.presence[e] & (1 << comp.bit)) === 0) {
          f += count
          continue
        }
        for (let j = 0; j < count; j++, f++) {
          // Differs from what the receiver is known to hold (NaN = unknown also differs).
          if (ackedVal[f][e] !== wire[f][e]) {
            masks[c] |= 1 << j
            any = true
          }
        }
      }
      if (!any) {
        baseline.unmarkPending(e)
        continue
      }
      for (let attempt = 0; attempt < 2; attempt++) {
        const mark = w.bitLength
        writeExpGolomb(w, slot - prevSlot)
        let same = entitiesInPacket > 0
        for (let c = 0; c < nd && same; c++) if (masks[c] !== prevMasks[c]) same = false
        w.writeBits(same ? 1 : 0, 1)
        f = 0
        for (let c = 0; c < nd; c++) {
          const comp = L.delta[c]
          const fields = comp.def.numericFields
          const m = masks[c]
          if (m === 0) {
            if (!same) w.writeBits(0, 1)
            f += fields.length
            continue
          }
          if (!same) {
            w.writeBits(1, 1)
            w.writeBits(m, fields.length)
          }
          for (let j = 0; j < fields.length; j++, f++) if ((m >>> j) & 1) fields[j].writeWire(w, wire[f][e])
        }
        if (w.bitLength + 1 <= this.maxBits || entitiesInPacket === 0) break
        w.truncate(mark)
        close()
        open()
      }
      entitiesInPacket++
      prevSlot = slot
      for (let c = 0; c < nd; c++) prevMasks[c] = masks[c]
      for (f = 0; f < nf; f++) {
        if ((masks[L.deltaFieldComponent[f]] >>> (f - L.delta[L.deltaFieldComponent[f]].firstField)) & 1) {
          baseline.logSent(e, f, wire[f][e])
        }
      }
      baseline.markPending(e)
    }
    close()
    baseline.compactPending()
    return packets
  }
}
