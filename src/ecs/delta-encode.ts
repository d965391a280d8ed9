import type { AckTracker } from './ack-tracker.js'
import { BitPacker } from '../protocol/bit-packer.js'
import { ACKED, ENTITY_KNOWN, KNOWN, TICK, type ReceiverBaseline } from './baselines.js'
import type { ChangeDetector } from './change-detect.js'
import { MAX_BASELINE_AGE, createHeader, writeHeader, type DeltaHeader } from '../protocol/delta-format.js'
import { expGolombBits } from '../protocol/exp-golomb.js'
import type { Layout } from './layout.js'
import { DeltaCandidates, HEADER_BITS, MAX_EIDS, type PriorityInput } from './delta-candidates.js'

export { MAX_EIDS }
import { sortRuns } from './run-sort.js'


/** What one encode did. */
export interface EncodeResult {
  packets: number
  bytes: number
  /** Entities that had changes but did not fit the budget (they go at a later flush, by priority). */
  deferred: number
}

/**
 * Encodes one receiver's deltas into packets of at most `maxPacketBytes`, split by entity (each packet
 * decodable alone), within a byte budget: when the changed entities do not all fit, the ones with the highest
 * accumulated priority go (Fiedler's priority accumulator: the others gain priority every flush they wait, so none
 * waits for ever). Reuses its buffers: no per-entity allocation.
 */
export class DeltaEncoder {
  private readonly writer: BitPacker
  private readonly header: DeltaHeader = createHeader()
  private readonly keys: Float64Array
  private readonly sortScratch: Float64Array
  private readonly stamp: Uint32Array
  private stampValue = 0
  /** The entities with something to send this flush, in slot order, with what the compare found (delta-candidates.ts). */
  private readonly c: DeltaCandidates
  /** Bits an entity took in the last flushes (smoothed): whether the next surely fits its budget. */
  private bitsPerEntity: number
  /** The flush being written: its receiver, packets and counts (begin … end). */
  private wBaseline: ReceiverBaseline | null = null
  private wAck: AckTracker | null = null
  private wSend: ((bytes: Uint8Array) => void) | null = null
  private wPriority: PriorityInput | null = null
  private wNow = 0
  private wTickId = 0
  private wBaseAge = 0
  private cFlushes = 0
  private cTickId = 0
  private wPackets = 0
  private wBytes = 0
  private wEntities = 0
  private wBits = 0
  private wPrevSlot = -1
  private wPrev = -1
  private wInPacket = 0
  /** Per delta component: presence bit, first global field, field count. */
  private readonly comps: Int32Array
  private readonly firstField: Int32Array
  private readonly fieldCount: Int32Array
  /** Per global delta field: its fixed wire width, or -1 f32, -2 f64, -3 compact i32, -4 compact u32. */
  private readonly writeCode: Int32Array
  /** Per global delta field: bits of an absolute value (compact integers: their worst case). */
  private readonly absBits: Int32Array
  /** Per global delta field: 2^wireBits (angle wrap). */
  private readonly span: Float64Array
  private readonly maxBits: number
  /** Per delta component: 1 when its fields are sent all or none (a quaternion's slots). */
  private readonly together: Uint8Array
  /** Per delta component: the bits of the entity last written (committed to `componentBits` once it stays in a packet). */
  private readonly entityBits: Float64Array

  /** `componentBits`: per delta component, the bits of its fields sent so far (added to; the inspector's "where the bandwidth goes"). */
  constructor(
    private readonly layout: Layout,
    private readonly detector: ChangeDetector,
    private readonly slotOf: Float64Array,
    capacity: number,
    maxPacketBytes: number,
    private readonly componentBits: Float64Array = new Float64Array(layout.delta.length),
  ) {
    this.entityBits = new Float64Array(Math.max(1, layout.delta.length))
    this.writer = new BitPacker(maxPacketBytes + Math.ceil(layout.maxEntityBits / 8))
    this.keys = new Float64Array(capacity)
    this.sortScratch = new Float64Array(capacity)
    this.stamp = new Uint32Array(capacity)
    this.comps = Int32Array.from(layout.delta.map((c) => 1 << c.bit))
    this.firstField = Int32Array.from(layout.delta.map((c) => c.firstField))
    this.fieldCount = Int32Array.from(layout.delta.map((c) => c.def.numericFields.length))
    this.together = Uint8Array.from(layout.quaternionBits, (b) => (b > 0 ? 1 : 0))
    this.span = Float64Array.from(layout.wireBits, (b) => 2 ** b)
    this.writeCode = Int32Array.from(
      layout.deltaFields.map((f) =>
        f.quantizer || f.kind === 'bool' || f.kind === 'enum' ? f.bits : f.kind === 'f32' ? -1 : f.kind === 'f64' ? -2 : f.kind === 'i32' ? -3 : -4,
      ),
    )
    this.absBits = Int32Array.from(this.writeCode, (c) => (c > 0 ? c : c === -1 ? 32 : c === -2 ? 64 : 35))
    this.maxBits = maxPacketBytes * 8
    this.bitsPerEntity = layout.maxEntityBits
    this.c = new DeltaCandidates(Math.max(1, layout.delta.length), Math.max(1, layout.deltaFields.length))
  }

  /**
   * Sends this tick's packets to one receiver, within `budget` bytes (Infinity: no limit). `send` gets each packet
   * (a fresh copy). At least one packet always goes (it carries the acks).
   */
  encode(baseline: ReceiverBaseline, ack: AckTracker, relAck: number, now: number, send: (bytes: Uint8Array) => void, budget = Number.POSITIVE_INFINITY, priority: PriorityInput | null = null): EncodeResult {
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
    this.c.reserve(n)
    // Baseline flush: the one of the newest packet the receiver acknowledged, if young enough.
    const baseTick = baseline.baselineTick(ack.highestAcked, MAX_BASELINE_AGE)
    // For entities whose fields were last acknowledged in another young flush (own baselines): the flush counter
    // before this flush, and this flush's id.
    this.cFlushes = baseline.flushes
    this.cTickId = ack.nextSeq
    const sorted = sortRuns(keys, n, this.sortScratch)
    let deferred = 0
    if (n * this.bitsPerEntity * 1.5 + 2 * HEADER_BITS <= budget * 8) {
      // It surely fits (the usual case): each entity is written as soon as it is compared, while it is in cache.
      this.begin(baseline, ack, relAck, now, send, baseTick, null)
      this.compare(baseline, sorted, n, baseTick, true)
    } else {
      const count = this.compare(baseline, sorted, n, baseTick, false)
      let bits = HEADER_BITS
      for (let k = 0; k < count; k++) bits += this.c.bits[k]
      const fits = bits + Math.floor(bits / this.maxBits) * HEADER_BITS <= budget * 8
      if (!fits) deferred = this.c.pickByPriority(count, budget * 8, this.maxBits, priority!, baseline)
      // Priorities start over for what is sent; while everything fits none accrued.
      this.begin(baseline, ack, relAck, now, send, baseTick, fits ? null : priority)
      for (let k = 0; k < count; k++) if (fits || this.c.pick[k] === 1) this.emit(k)
    }
    this.end()
    if (this.wEntities > 0) this.bitsPerEntity += ((this.wBits / this.wEntities) - this.bitsPerEntity) / 4
    baseline.compactPending()
    return { packets: this.wPackets, bytes: this.wBytes, deferred }
  }

  /**
   * The compare pass, in slot order: per entity, the fields that differ from what the receiver is known to hold, how
   * each is coded, and an estimate of its bits, into the candidate arrays; returns how many have something to send.
   * The hot loop of flush() (longer than a function should be, on purpose: the per-field compare stays inline).
   */
  private compare(baseline: ReceiverBaseline, sorted: Float64Array, n: number, baseTick: number, emit: boolean): number {
    const L = this.layout
    const d = this.detector
    const hasBase = baseTick >= 0
    const nd = L.delta.length
    const nf = L.deltaFields.length
    const { eid: cEid, slot: cSlot, bits: cBits, scan: cScan, masks: cMasks, modes: cModes, modeBits: cModeBits, modeCount: cModeCount, coded: cCoded, ref: cRef } = this.c
    const flushes = this.cFlushes
    const wire = d.wire
    const known = baseline.known
    const vals = baseline.vals
    const stride = d.stride
    const codable = L.deltaCodable
    const wireBits = L.wireBits
    const wireAngle = L.wireAngle
    const comps = this.comps
    const firstField = this.firstField
    const fieldCount = this.fieldCount
    const absBits = this.absBits
    const presence = d.presence
    const dirtyComponents = d.dirtyComponents
    const unsettled = baseline.unsettled
    const span = this.span
    const together = this.together
    let count = 0
    let prevSlot = -1
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
      let bits = 2 + 2 * (32 - Math.clz32(slot - prevSlot))
      // The flush this entity's relative fields refer to: the packet's baseline, or (-2: not chosen yet) the flush
      // its first changed quantized field was last acknowledged in, when that one is young enough and the baseline is
      // not it (an entity that moved again after a rest: its last move is its baseline).
      let ref = hasBase ? -2 : baseTick
      const cb = count * nd
      const fb = count * nf
      for (let c = 0; c < nd; c++) {
        cMasks[cb + c] = 0
        cModes[cb + c] = 0
        cModeCount[cb + c] = 0
        bits++
        if ((scan & (1 << c)) === 0 || (kn & (1 << c)) === 0 || (pe & comps[c]) === 0) continue
        const f0 = firstField[c]
        const fc = fieldCount[c]
        let m = 0
        let md = 0
        let mb = 0
        let nm = 0
        // A quaternion's four slots travel together: if the receiver may lack one, all four go.
        let all = false
        if (together[c] === 1) for (let j = 0; j < fc && !all; j++) all = vals[(row + f0 + j) * 4 + KNOWN] !== wire[row + f0 + j]
        for (let j = 0; j < fc; j++) {
          const f = f0 + j
          const x = row + f
          const v = wire[x]
          // Sent unless the receiver surely holds v (NaN, unsure, differs from everything).
          if (!all && vals[x * 4 + KNOWN] === v) continue
          m |= 1 << j
          let fieldBits = absBits[f]
          if (hasBase && codable[f] === 1) {
            const at = nm++
            fieldBits++
            const tick = vals[x * 4 + TICK]
            if (ref === -2) ref = tick === baseTick || !baseline.isYoungFlush(tick, MAX_BASELINE_AGE, flushes) ? baseTick : tick
            if (tick === ref) {
              let dv = v - vals[x * 4 + ACKED]
              if (wireAngle[f] === 1) {
                const sp = span[f]
                if (dv >= sp / 2) dv -= sp
                else if (dv < -sp / 2) dv += sp
              }
              if (dv <= 32767 && dv >= -32767) {
                const z = dv >= 0 ? 2 * dv : -2 * dv - 1
                const zBits = 2 * (31 - Math.clz32(z + 1)) + 1
                if (zBits < wireBits[f]) {
                  md |= 1 << j
                  mb |= 1 << at
                  cCoded[fb + f] = z
                  fieldBits = zBits + 1
                }
              }
            }
          }
          bits += fieldBits
        }
        if (m !== 0) {
          any = true
          bits += fc
        } else settled |= 1 << c
        cMasks[cb + c] = m
        cModes[cb + c] = md
        cModeBits[cb + c] = mb
        cModeCount[cb + c] = nm
      }
      unsettled[e] &= ~settled
      if (!any) {
        baseline.unmarkPending(e)
        continue
      }
      // The own-baseline bit (packets with a baseline), and the own baseline's age.
      const own = ref >= 0 && ref !== baseTick
      cRef[count] = own ? ref : -1
      const ownBits = hasBase ? (own ? 1 + expGolombBits(this.cTickId - ref) : 1) : 0
      bits += ownBits
      if (count > 0) {
        // The same masks, modes and baseline as the entity before (the common case of many movers): one bit says so.
        let same = cRef[count] === cRef[count - 1]
        for (let c = 0; c < nd && same; c++) same = cMasks[cb + c] === cMasks[cb - nd + c] && cModes[cb + c] === cModes[cb - nd + c]
        if (same) {
          bits -= ownBits
          for (let c = 0; c < nd; c++) bits -= cMasks[cb + c] === 0 ? 1 : 1 + fieldCount[c] + cModeCount[cb + c]
        }
      }
      cEid[count] = e
      cSlot[count] = slot
      cBits[count] = bits
      cScan[count] = scan
      prevSlot = slot
      if (emit) this.emit(count)
      count++
    }
    return count
  }

  /** Starts this flush's packets to one receiver (the first packet is opened at once: it carries the acks). */
  private begin(baseline: ReceiverBaseline, ack: AckTracker, relAck: number, now: number, send: (bytes: Uint8Array) => void, baseTick: number, priority: PriorityInput | null): void {
    const h = this.header
    h.ackWordCount = ack.ackWords(h.ackWords)
    h.ack = ack.highestReceived
    h.ackDelay = ack.ackDelay(now)
    h.time = now
    h.relAck = relAck
    this.wBaseline = baseline
    this.wAck = ack
    this.wNow = now
    this.wSend = send
    this.wPriority = priority
    this.wTickId = ack.nextSeq
    this.wBaseAge = baseTick >= 0 ? this.wTickId - baseTick : 0
    this.wPackets = 0
    this.wBytes = 0
    this.wEntities = 0
    this.wBits = 0
    this.open()
  }

  private open(): void {
    const h = this.header
    const seq = this.wAck!.nextOutgoing(this.wNow)
    this.wBaseline!.beginPacket(seq, this.wPackets === 0)
    h.seq = seq
    h.index = seq - this.wTickId
    h.flush = this.wBaseline!.flushes & 15
    this.writer.reset()
    writeHeader(this.writer, h)
    this.wPrevSlot = -1
    this.wPrev = -1
    this.wInPacket = 0
  }

  private close(): void {
    const w = this.writer
    w.writeExpGolomb(0)
    const packet = w.finish()
    this.wBytes += packet.length
    this.wSend!(packet)
    this.wPackets++
  }

  /** Writes candidate `k` into the current packet (or, when it is full, the next); logs what it carries. */
  private emit(k: number): void {
    const w = this.writer
    const baseline = this.wBaseline!
    const nd = this.layout.delta.length
    const e = this.c.eid[k]
    const slot = this.c.slot[k]
    let mark = w.bitLength
    for (let attempt = 0; attempt < 2; attempt++) {
      mark = w.bitLength
      this.writeEntity(k, this.wPrev, slot - this.wPrevSlot, this.wInPacket === 0 ? this.wBaseAge : -1, e * this.detector.stride, this.c.ref[k])
      if (w.bitLength + 1 <= this.maxBits || this.wInPacket === 0) break
      w.truncate(mark)
      this.close()
      this.open()
    }
    this.wBits += w.bitLength - mark
    this.wEntities++
    this.wInPacket++
    this.wPrevSlot = slot
    this.wPrev = k
    const wire = this.detector.wire
    for (let c = 0; c < nd; c++) {
      this.componentBits[c] += this.entityBits[c]
      const m = this.c.masks[k * nd + c]
      if (m !== 0) baseline.logSentMask(e, m, this.firstField[c], wire)
    }
    baseline.markPending(e)
    this.wPriority?.sent(e)
  }

  private end(): void {
    this.close()
    this.wBaseline = null
    this.wAck = null
    this.wSend = null
    this.wPriority = null
  }

  /**
   * Writes candidate `k` (slot gap, the packet's base age when `baseAge` ≥ 0 = first entity, then its components),
   * repeating no masks when they equal those of candidate `prev`. A method of its own so V8 inlines the bit
   * writer's calls here.
   */
  private writeEntity(k: number, prev: number, slotGap: number, baseAge: number, row: number, ref: number): void {
    const w = this.writer
    const nd = this.layout.delta.length
    const nf = this.layout.deltaFields.length
    const { masks: cMasks, modes: cModes, modeBits: cModeBits, modeCount: cModeCount, coded: cCoded } = this.c
    const { fieldCount, firstField, writeCode } = this
    const wire = this.detector.wire
    const cb = k * nd
    const pb = prev * nd
    w.writeExpGolomb(slotGap)
    if (baseAge >= 0) w.writeExpGolomb(baseAge)
    let same = baseAge < 0 && prev >= 0 && ref === this.c.ref[prev]
    for (let c = 0; c < nd && same; c++) if (cMasks[cb + c] !== cMasks[pb + c] || cModes[cb + c] !== cModes[pb + c]) same = false
    w.writeBits(same ? 1 : 0, 1)
    if (!same && this.wBaseAge > 0) {
      // Own baseline: 1 and its age (flush ids), or 0 = the packet's.
      if (ref >= 0) {
        w.writeBits(1, 1)
        w.writeExpGolomb(this.wTickId - ref)
      } else w.writeBits(0, 1)
    }
    const entityBits = this.entityBits
    for (let c = 0; c < nd; c++) {
      const m = cMasks[cb + c]
      const count = fieldCount[c]
      entityBits[c] = 0
      if (m === 0) {
        if (!same) w.writeBits(0, 1)
        continue
      }
      const start = w.bitLength
      const f0 = firstField[c]
      const md = cModes[cb + c]
      if (!same) {
        // Present bit and change mask in one write (≤ 32 bits: at most 31 fields per component), then the
        // mode bits in one.
        w.writeBits(1 | (m << 1), count + 1)
        if (cModeCount[cb + c] > 0) w.writeBits(cModeBits[cb + c], cModeCount[cb + c])
      }
      for (let j = 0; j < count; j++) {
        if (((m >>> j) & 1) === 0) continue
        const f = f0 + j
        if (((md >>> j) & 1) !== 0) w.writeExpGolomb(cCoded[k * nf + f])
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
      entityBits[c] = w.bitLength - start
    }
  }
}
