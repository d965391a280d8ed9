import { SEQ_RING } from './ack-tracker.js'
import type { Layout } from './layout.js'

/** Bit of `known` meaning the receiver has the entity at all (processed its spawn/claim). */
export const ENTITY_KNOWN = 1 << 31
const MASK = SEQ_RING - 1
/** Slots of a field in `ReceiverBaseline.vals` (× 4) and `seqs` (× 2). */
export const KNOWN = 0
export const ACKED = 1
export const SENT = 2
export const TICK = 3
const ACKED_SEQ = 0
const RUN = 1

/**
 * What one receiver has of our owned entities: the ack-based baseline, per field (Fiedler / Quake 3 model).
 *
 * ACKED (in `vals`) is the canonical value the receiver acknowledged: the value carried by the newest
 * acknowledged packet (or confirmed reliable message) that carried the field. A field goes into a delta
 * whenever the current value differs from it, so a lost packet's change is simply sent again in the next
 * delta (no retransmission of old packets), and an idle field costs nothing once acknowledged.
 *
 * Every field sent is logged with its packet; on ack the log updates ACKED, and a packet found lost makes its
 * fields unknown (NaN) so they are sent again. A field is left out only when it equals KNOWN, the value the
 * receiver surely holds: the newest value sent, once a packet of its run (sent since it last changed) is
 * acknowledged. While another value is in flight the receiver may hold that one, so a value back at the acknowledged
 * one still goes (x goes 0 → 1 → 0: the final 0 goes at once, not after the 1 is acknowledged).
 */
export class ReceiverBaseline {
  /**
   * Per field of each entity (index `x = eid * stride + f`, entity-major so one entity's fields share cache lines),
   * four numbers side by side at `vals[x * 4 + …]`, so the encoder's compare reads one place per field:
   * - KNOWN: the value the receiver surely holds (NaN: unsure); what the encoder compares with;
   * - ACKED: the value carried by the newest acknowledged packet (or confirmed reliable message) that carried the
   *   field: what relative values are coded against;
   * - SENT: the newest value sent;
   * - TICK: the flush (tickId: seq of its first packet) of the acknowledged packet behind ACKED, or -1 when the value
   *   came from a reliable message or is unknown: a field may be coded relative to ACKED only when its flush is the
   *   packet's baseline flush (the receiver keeps the values it received per flush).
   * And two sequence numbers at `seqs[x * 2 + …]`: ACKED_SEQ, behind ACKED (an older ack never overwrites a newer
   * one); RUN, the first packet that carried SENT (once a packet of the run is acknowledged, the receiver holds it).
   */
  readonly vals: Float64Array
  readonly seqs: Int32Array
  readonly stride: number
  /** Per sequence number (ring): the flush it belonged to, and that flush's counter (for the baseline age). */
  private readonly seqTag = new Int32Array(SEQ_RING).fill(-1)
  private readonly seqTickId = new Int32Array(SEQ_RING)
  private readonly seqFlush = new Int32Array(SEQ_RING)
  /** Flushes (encode calls) for this receiver so far. */
  flushes = 0
  private currentTickId = -1
  /** Per entity: bit i = the receiver has DELTA component i (confirmed); ENTITY_KNOWN = it has the entity. */
  readonly known: Uint32Array
  /** Entities to examine at the next flush even if unchanged (unacknowledged fields, fresh confirmations). */
  private readonly pendingFlag: Uint8Array
  readonly pending: Int32Array
  pendingCount = 0
  /**
   * In-flight log: entries (eid, field, value) per packet; packets are contiguous runs in a growable ring, in
   * sequence order. A packet's run is dead once it is acknowledged or resolved; dead runs at the head are freed
   * at once, so on a healthy link the ring holds about one round trip of packets and stays in cache.
   */
  private logEid: Int32Array
  private logField: Int32Array
  private logVal: Float64Array
  private logHead = 0
  private logSize = 0
  private readonly packetStart = new Int32Array(SEQ_RING)
  private readonly packetCount = new Int32Array(SEQ_RING)
  /** Per sequence number (ring): the packet whose run is live, -1 once acknowledged or resolved. */
  private readonly packetSeq = new Int32Array(SEQ_RING).fill(-1)
  private currentSeq = -1
  /** The oldest packet whose run is still in the ring (sequence numbers are consecutive), -1 before the first. */
  private oldestSeq = -1
  /** Reliable messages awaiting confirmation: message index, eid, ownership generation, delta components, seq then. */
  private confirmIndex: number[] = []
  private confirmEid: number[] = []
  private confirmGen: number[] = []
  private confirmBits: number[] = []
  private confirmHead = 0

  constructor(
    readonly layout: Layout,
    capacity: number,
  ) {
    const nf = layout.deltaFields.length
    this.stride = nf
    this.vals = new Float64Array(capacity * nf * 4)
    for (let x = 0; x < capacity * nf; x++) {
      this.vals[x * 4 + KNOWN] = Number.NaN
      this.vals[x * 4 + TICK] = -1
    }
    this.seqs = new Int32Array(capacity * nf * 2)
    this.known = new Uint32Array(capacity)
    this.pendingFlag = new Uint8Array(capacity)
    this.unsettled = new Int32Array(capacity)
    this.pending = new Int32Array(capacity)
    this.logEid = new Int32Array(1024)
    this.logField = new Int32Array(1024)
    this.logVal = new Float64Array(1024)
  }

  /**
   * Per entity: DELTA components (bit = deltaIndex) that may differ from what the receiver acknowledged, besides
   * those whose values changed this tick. Set whenever the acknowledged values move or a component is sent or
   * confirmed; cleared by the encoder when it finds the component equal. Lets the encoder skip settled components.
   */
  readonly unsettled: Int32Array

  markPending(eid: number, componentBits = -1): void {
    this.unsettled[eid] |= componentBits
    if (this.pendingFlag[eid] === 1) return
    this.pendingFlag[eid] = 1
    this.pending[this.pendingCount++] = eid
  }

  unmarkPending(eid: number): void {
    this.pendingFlag[eid] = 0
  }

  isPending(eid: number): boolean {
    return this.pendingFlag[eid] === 1
  }

  /** Keeps only pending entities still flagged (call after a flush pass). */
  compactPending(): void {
    let n = 0
    for (let i = 0; i < this.pendingCount; i++) {
      const e = this.pending[i]
      if (this.pendingFlag[e] === 1) this.pending[n++] = e
    }
    this.pendingCount = n
  }

  /**
   * The baseline flush for a packet of the flush about to be encoded, given the newest sequence number the
   * receiver acknowledged: its tickId, or -1 when there is none young enough for the receiver to still hold.
   */
  baselineTick(highestAcked: number, depth: number): number {
    if (highestAcked < 1) return -1
    const i = highestAcked & MASK
    if (this.seqTag[i] !== highestAcked || this.flushes - this.seqFlush[i] >= depth) return -1
    return this.seqTickId[i]
  }

  /**
   * Whether flush `tickId` may be an entity's own baseline in the flush about to be encoded: it is one of ours, and it
   * is younger than `depth` flushes counted from `flushes` (the counter before that flush began), as for
   * {@link baselineTick}.
   */
  isYoungFlush(tickId: number, depth: number, flushes: number): boolean {
    if (tickId < 1) return false
    const i = tickId & MASK
    return this.seqTag[i] === tickId && this.seqTickId[i] === tickId && flushes - this.seqFlush[i] < depth
  }

  // ----- in-flight log -----
  /** Starts a packet; `first` = the first packet of a flush (its seq becomes the flush's tickId). */
  beginPacket(seq: number, first = false): void {
    const i = seq & MASK
    if (first) {
      this.flushes++
      this.currentTickId = seq
    }
    this.seqTag[i] = seq
    this.seqTickId[i] = this.currentTickId
    this.seqFlush[i] = this.flushes
    this.packetSeq[i] = seq
    this.packetStart[i] = (this.logHead + this.logSize) % this.logEid.length
    this.packetCount[i] = 0
    this.currentSeq = seq
    if (this.oldestSeq < 0) this.oldestSeq = seq
  }

  /** The fields of `mask` (bit j = field f0 + j) of `eid` went in the current packet, values from `wire`. */
  logSentMask(eid: number, mask: number, f0: number, wire: Float64Array): void {
    // Room for all of the mask's fields at once (≤ 32, the ring holds ≥ 1024): one check per component.
    const n = popcount(mask)
    if (this.logSize + n > this.logEid.length) this.growLog()
    const logEid = this.logEid
    const logField = this.logField
    const logVal = this.logVal
    const vals = this.vals
    const wrap = logEid.length - 1
    const row = eid * this.stride + f0
    const seq = this.currentSeq
    let at = this.logHead + this.logSize
    for (let j = 0, m = mask; m !== 0; j++, m >>>= 1) {
      if ((m & 1) === 0) continue
      const k = at++ & wrap
      const x = row + j
      const v = wire[x]
      logEid[k] = eid
      logField[k] = f0 + j
      logVal[k] = v
      if (v !== vals[x * 4 + SENT]) {
        // A new run: until a packet of it is acknowledged the receiver may hold this value or an older one.
        vals[x * 4 + SENT] = v
        vals[x * 4 + KNOWN] = Number.NaN
        this.seqs[x * 2 + RUN] = seq
      }
    }
    this.logSize += n
    this.packetCount[this.currentSeq & MASK] += n
  }

  private growLog(): void {
    const n = this.logEid.length
    const eid = new Int32Array(n * 2)
    const field = new Int32Array(n * 2)
    const val = new Float64Array(n * 2)
    for (let k = 0; k < this.logSize; k++) {
      const from = (this.logHead + k) % n
      eid[k] = this.logEid[from]
      field[k] = this.logField[from]
      val[k] = this.logVal[from]
    }
    // Re-base packet starts on the new layout.
    for (let i = 0; i < SEQ_RING; i++) {
      if (this.packetSeq[i] < 0) continue
      this.packetStart[i] = (this.packetStart[i] - this.logHead + n) % n
    }
    this.logEid = eid
    this.logField = field
    this.logVal = val
    this.logHead = 0
  }

  /** The receiver acknowledged packet `seq`: what it carried is now the baseline. */
  onAcked(seq: number): void {
    const i = seq & MASK
    if (this.packetSeq[i] !== seq) return
    const n = this.logEid.length
    let at = this.packetStart[i]
    for (let k = 0; k < this.packetCount[i]; k++, at = at + 1 === n ? 0 : at + 1) {
      const e = this.logEid[at]
      const f = this.logField[at]
      const x = e * this.stride + f
      const v = this.vals
      // A packet of the newest value's run: the receiver holds it (newer packets carried the same).
      if (seq >= this.seqs[x * 2 + RUN] && v[x * 4 + KNOWN] !== v[x * 4 + SENT]) {
        v[x * 4 + KNOWN] = v[x * 4 + SENT]
        this.markPending(e, 1 << this.layout.deltaFieldComponent[f])
      }
      if (seq <= this.seqs[x * 2 + ACKED_SEQ]) continue
      this.seqs[x * 2 + ACKED_SEQ] = seq
      v[x * 4 + ACKED] = this.logVal[at]
      v[x * 4 + TICK] = this.seqTag[i] === seq ? this.seqTickId[i] : -1
      this.markPending(e, 1 << this.layout.deltaFieldComponent[f])
    }
    this.free(i)
  }

  /** Packet `seq`'s fate is known: `lost` (found missing, never acknowledged) marks its not-newer-acked fields unknown. */
  release(seq: number, lost: boolean): void {
    const i = seq & MASK
    if (this.packetSeq[i] !== seq) return
    const n = this.logEid.length
    const count = this.packetCount[i]
    if (lost) {
      let at = this.packetStart[i]
      for (let k = 0; k < count; k++, at = at + 1 === n ? 0 : at + 1) {
        const e = this.logEid[at]
        const f = this.logField[at]
        const x = e * this.stride + f
        if (seq <= this.seqs[x * 2 + ACKED_SEQ]) continue
        this.seqs[x * 2 + ACKED_SEQ] = seq
        this.vals[x * 4 + ACKED] = Number.NaN
        this.vals[x * 4 + TICK] = -1
        this.markPending(e, 1 << this.layout.deltaFieldComponent[f])
      }
    }
    this.free(i)
  }

  /** Marks packet ring slot `i` dead and frees the dead runs at the head of the log. */
  private free(i: number): void {
    this.packetSeq[i] = -1
    while (this.oldestSeq >= 0 && this.oldestSeq <= this.currentSeq) {
      const j = this.oldestSeq & MASK
      if (this.packetSeq[j] === this.oldestSeq) return
      this.logHead = (this.logHead + this.packetCount[j]) & (this.logEid.length - 1)
      this.logSize -= this.packetCount[j]
      this.oldestSeq++
    }
    // Empty: start over at the front, so a link that keeps up reuses the same (cached) few entries each flush.
    if (this.logSize === 0) this.logHead = 0
  }

  // ----- reliable confirmations -----
  /** The current values `wire` of `deltaBits` components went in reliable message `index` (spawn, claim, add). */
  awaitConfirmation(index: number, eid: number, gen: number, deltaBits: number, wire: (f: number) => number, lastSeq: number): void {
    const L = this.layout
    for (let f = 0; f < L.deltaFields.length; f++) {
      if ((deltaBits & (1 << L.deltaFieldComponent[f])) === 0) continue
      const x = eid * this.stride + f
      const v = wire(f)
      this.vals[x * 4 + ACKED] = v
      this.vals[x * 4 + TICK] = -1
      this.seqs[x * 2 + ACKED_SEQ] = lastSeq
      // The receiver holds this value once it confirms; deltas it got before (seq ≤ lastSeq) never override it.
      this.vals[x * 4 + KNOWN] = v
      this.vals[x * 4 + SENT] = v
      this.seqs[x * 2 + RUN] = lastSeq
    }
    this.confirmIndex.push(index)
    this.confirmEid.push(eid)
    this.confirmGen.push(gen)
    this.confirmBits.push(deltaBits)
  }

  /** The receiver processed our reliable messages up to `processed`: what they carried is known to it. */
  confirmUpTo(processed: number, currentGen: (eid: number) => number): void {
    while (this.confirmHead < this.confirmIndex.length && this.confirmIndex[this.confirmHead] <= processed) {
      const h = this.confirmHead++
      const eid = this.confirmEid[h]
      if (currentGen(eid) !== this.confirmGen[h]) continue
      this.known[eid] |= ENTITY_KNOWN | this.confirmBits[h]
      this.markPending(eid)
    }
    if (this.confirmHead > 1024 && this.confirmHead * 2 > this.confirmIndex.length) {
      this.confirmIndex = this.confirmIndex.slice(this.confirmHead)
      this.confirmEid = this.confirmEid.slice(this.confirmHead)
      this.confirmGen = this.confirmGen.slice(this.confirmHead)
      this.confirmBits = this.confirmBits.slice(this.confirmHead)
      this.confirmHead = 0
    }
  }

  /** The receiver no longer has (or never had) a DELTA component / the entity. */
  forget(eid: number, deltaBits = 0xffffffff): void {
    if (deltaBits === 0xffffffff) this.known[eid] = 0
    else this.known[eid] &= ~deltaBits
  }
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555)
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24)
}
