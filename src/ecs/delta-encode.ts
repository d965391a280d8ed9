import type { AckTracker } from './ack-tracker.js'
import { BitPacker } from '../protocol/bit-packer.js'
import { ENTITY_KNOWN, type ReceiverBaseline } from './baselines.js'
import type { ChangeDetector } from './change-detect.js'
import { MAX_BASELINE_AGE, createHeader, writeHeader, type DeltaHeader } from '../protocol/delta-format.js'
import type { Layout } from './layout.js'
import { sortRuns } from './run-sort.js'

/** Largest eid the slot sort key can hold (2^21). */
export const MAX_EIDS = 1 << 21

/**
 * Encodes one receiver's deltas into packets of at most `maxPacketBytes`, split by entity (each packet
 * decodable alone). Reuses its buffers: no per-entity allocation.
 */
export class DeltaEncoder {
  private readonly writer: BitPacker
  private readonly header: DeltaHeader = createHeader()
  private readonly keys: Float64Array
  private readonly sortScratch: Float64Array
  private readonly stamp: Uint32Array
  private stampValue = 0
  private readonly masks: Int32Array
  private readonly prevMasks: Int32Array
  private readonly modes: Int32Array
  private readonly prevModes: Int32Array
  /** Per delta component: its mode bits as written (one per changed quantized field, in field order), and their count. */
  private readonly modeBits: Int32Array
  private readonly modeCount: Int32Array
  /** Per global delta field: the zigzagged difference to the baseline of the entity being written. */
  private readonly coded: Float64Array
  /** Per delta component: presence bit, first global field, field count; per global field: its def. */
  private readonly comps: Int32Array
  private readonly firstField: Int32Array
  private readonly fieldCount: Int32Array
  /** Per global delta field: its fixed wire width, or -1 f32, -2 f64, -3 compact i32, -4 compact u32. */
  private readonly writeCode: Int32Array
  /** Per global delta field: 2^wireBits (angle wrap). */
  private readonly span: Float64Array
  private readonly maxBits: number

  constructor(
    private readonly layout: Layout,
    private readonly detector: ChangeDetector,
    private readonly slotOf: Float64Array,
    capacity: number,
    maxPacketBytes: number,
  ) {
    this.writer = new BitPacker(maxPacketBytes + Math.ceil(layout.maxEntityBits / 8))
    this.keys = new Float64Array(capacity)
    this.sortScratch = new Float64Array(capacity)
    this.stamp = new Uint32Array(capacity)
    this.masks = new Int32Array(Math.max(1, layout.delta.length))
    this.prevMasks = new Int32Array(Math.max(1, layout.delta.length))
    this.modes = new Int32Array(Math.max(1, layout.delta.length))
    this.prevModes = new Int32Array(Math.max(1, layout.delta.length))
    this.modeBits = new Int32Array(Math.max(1, layout.delta.length))
    this.modeCount = new Int32Array(Math.max(1, layout.delta.length))
    this.coded = new Float64Array(Math.max(1, layout.deltaFields.length))
    this.comps = Int32Array.from(layout.delta.map((c) => 1 << c.bit))
    this.firstField = Int32Array.from(layout.delta.map((c) => c.firstField))
    this.fieldCount = Int32Array.from(layout.delta.map((c) => c.def.numericFields.length))
    this.span = Float64Array.from(layout.wireBits, (b) => 2 ** b)
    this.writeCode = Int32Array.from(
      layout.deltaFields.map((f) =>
        f.quantizer || f.kind === 'bool' || f.kind === 'enum' ? f.bits : f.kind === 'f32' ? -1 : f.kind === 'f64' ? -2 : f.kind === 'i32' ? -3 : -4,
      ),
    )
    this.maxBits = maxPacketBytes * 8
  }

  /**
   * Sends this tick's packets to one receiver. `send` gets each packet (a fresh copy). Returns packets sent.
   * At least one packet always goes (it carries the acks). The hot loop of flush() (longer than a function should
   * be, on purpose): the per-entity compare stays inline here, the bit writing is `writeEntity`.
   */
  encode(baseline: ReceiverBaseline, ack: AckTracker, relAck: number, now: number, send: (bytes: Uint8Array) => void): number {
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
    const sorted = sortRuns(keys, n, this.sortScratch)

    const h = this.header
    h.ackWordCount = ack.ackWords(h.ackWords)
    h.ack = ack.highestReceived
    h.ackDelay = ack.ackDelay(now)
    h.time = now
    h.relAck = relAck
    // Baseline flush: the one of the newest packet the receiver acknowledged, if young enough.
    const tickId = ack.nextSeq
    const baseTick = baseline.baselineTick(ack.highestAcked, MAX_BASELINE_AGE)
    const hasBase = baseTick >= 0
    const baseAge = hasBase ? tickId - baseTick : 0
    const w = this.writer
    let packets = 0
    let seq = 0
    let prevSlot = -1
    let entitiesInPacket = 0
    const open = (): void => {
      seq = ack.nextOutgoing(now)
      baseline.beginPacket(seq, packets === 0)
      h.seq = seq
      h.index = seq - tickId
      h.flush = baseline.flushes & 15
      w.reset()
      writeHeader(w, h)
      prevSlot = -1
      entitiesInPacket = 0
    }
    const close = (): void => {
      w.writeExpGolomb(0)
      send(w.finish())
      packets++
    }
    open()

    const nd = L.delta.length
    const masks = this.masks
    const modes = this.modes
    const prevMasks = this.prevMasks
    const prevModes = this.prevModes
    const modeBits = this.modeBits
    const modeCount = this.modeCount
    const coded = this.coded
    const wire = d.wire
    const ackedVal = baseline.ackedVal
    const ackedTick = baseline.ackedTick
    const ackedSeq = baseline.ackedSeq
    const sentVal = baseline.sentVal
    const otherSeq = baseline.otherSeq
    const stride = d.stride
    const codable = L.deltaCodable
    const wireBits = L.wireBits
    const wireAngle = L.wireAngle
    const comps = this.comps
    const firstField = this.firstField
    const fieldCount = this.fieldCount
    const presence = d.presence
    const dirtyComponents = d.dirtyComponents
    const unsettled = baseline.unsettled
    const span = this.span
    for (let k = 0; k < n; k++) {
      const key = sorted[k]
      const slot = Math.floor(key / MAX_EIDS)
      const e = key - slot * MAX_EIDS
      const kn = known[e]
      const pe = presence[e]
      const row = e * stride
      // Components to compare: changed this tick, or not yet known to equal what the receiver acknowledged.
      const scan = dirtyComponents[e] | unsettled[e]
      let settled = 0
      let any = false
      for (let c = 0; c < nd; c++) {
        masks[c] = 0
        modes[c] = 0
        modeCount[c] = 0
        if ((scan & (1 << c)) === 0 || (kn & (1 << c)) === 0 || (pe & comps[c]) === 0) continue
        const f0 = firstField[c]
        const count = fieldCount[c]
        let m = 0
        let md = 0
        let mb = 0
        let nm = 0
        for (let j = 0; j < count; j++) {
          const f = f0 + j
          const x = row + f
          const v = wire[x]
          const a = ackedVal[x]
          // Sent unless the receiver is known to hold v: acknowledged (NaN = unknown differs), and no packet newer than
          // the acknowledged one carried another value it may have applied since.
          if (a === v && sentVal[x] === v && otherSeq[x] <= ackedSeq[x]) continue
          m |= 1 << j
          if (!hasBase || codable[f] === 0) continue
          const at = nm++
          if (ackedTick[row + f] !== baseTick) continue
          const bits = wireBits[f]
          let dv = v - a
          if (wireAngle[f] === 1) {
            const sp = span[f]
            if (dv >= sp / 2) dv -= sp
            else if (dv < -sp / 2) dv += sp
          }
          if (dv > 32767 || dv < -32767) continue
          const z = dv >= 0 ? 2 * dv : -2 * dv - 1
          if (2 * (31 - Math.clz32(z + 1)) + 1 < bits) {
            md |= 1 << j
            mb |= 1 << at
            coded[f] = z
          }
        }
        if (m !== 0) any = true
        else settled |= 1 << c
        masks[c] = m
        modes[c] = md
        modeBits[c] = mb
        modeCount[c] = nm
      }
      unsettled[e] &= ~settled
      if (!any) {
        baseline.unmarkPending(e)
        continue
      }
      for (let attempt = 0; attempt < 2; attempt++) {
        const mark = w.bitLength
        this.writeEntity(slot - prevSlot, entitiesInPacket === 0 ? baseAge : -1, row)
        if (w.bitLength + 1 <= this.maxBits || entitiesInPacket === 0) break
        w.truncate(mark)
        close()
        open()
      }
      entitiesInPacket++
      prevSlot = slot
      for (let c = 0; c < nd; c++) {
        prevMasks[c] = masks[c]
        prevModes[c] = modes[c]
        const m = masks[c]
        if (m === 0) continue
        baseline.logSentMask(e, m, firstField[c], wire)
      }
      baseline.markPending(e)
    }
    close()
    baseline.compactPending()
    return packets
  }

  /**
   * Writes one entity (slot gap, the packet's base age when `baseAge` ≥ 0 = first entity, then its components)
   * from the masks, modes and coded values the compare pass left. A method of its own so V8 inlines the bit
   * writer's calls here (encode alone is past its inlining budget).
   */
  private writeEntity(slotGap: number, baseAge: number, row: number): void {
    const w = this.writer
    const nd = this.layout.delta.length
    const masks = this.masks
    const modes = this.modes
    const prevMasks = this.prevMasks
    const prevModes = this.prevModes
    const modeBits = this.modeBits
    const modeCount = this.modeCount
    const fieldCount = this.fieldCount
    const firstField = this.firstField
    const coded = this.coded
    const writeCode = this.writeCode
    const wire = this.detector.wire
    w.writeExpGolomb(slotGap)
    if (baseAge >= 0) w.writeExpGolomb(baseAge)
    let same = baseAge < 0
    for (let c = 0; c < nd && same; c++) if (masks[c] !== prevMasks[c] || modes[c] !== prevModes[c]) same = false
    w.writeBits(same ? 1 : 0, 1)
    for (let c = 0; c < nd; c++) {
      const m = masks[c]
      const count = fieldCount[c]
      if (m === 0) {
        if (!same) w.writeBits(0, 1)
        continue
      }
      const f0 = firstField[c]
      const md = modes[c]
      if (!same) {
        // Present bit and change mask in one write (≤ 32 bits: at most 31 fields per component), then the
        // mode bits in one.
        w.writeBits(1 | (m << 1), count + 1)
        if (modeCount[c] > 0) w.writeBits(modeBits[c], modeCount[c])
      }
      for (let j = 0; j < count; j++) {
        if (((m >>> j) & 1) === 0) continue
        const f = f0 + j
        if (((md >>> j) & 1) !== 0) w.writeExpGolomb(coded[f])
        else {
          const code = writeCode[f]
          const v = wire[row + f]
          if (code > 0) w.writeBits(v, code)
          else if (code === -1) w.writeF32(v)
          else if (code === -2) w.writeF64(v)
          else if (code === -3) w.writeCompactI32(v)
          else w.writeCompactU32(v)
        }
      }
    }
  }
}
