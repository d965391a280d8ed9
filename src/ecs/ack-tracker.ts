import { unwrapSeq } from './seq.js'

/** Sequence numbers kept in the rings below; must exceed the packets sent to one peer within an RTT. */
export const SEQ_RING = 4096
const MASK = SEQ_RING - 1
/** Up to 31 × 32 ack bits per header (5-bit word count). */
export const MAX_ACK_WORDS = 31
/** A packet not acknowledged within this many later packets is resolved as lost. */
export const ACK_WINDOW = 32 * MAX_ACK_WORDS

/**
 * Unreliable-channel bookkeeping for one remote peer, both directions (Fiedler style):
 * - outgoing: our sequence numbers, send times (for RTT), which of them the peer acknowledged, loss estimate;
 * - incoming: which of the peer's sequence numbers we received (and applied), to build our ack header.
 */
export class AckTracker {
  // outgoing
  /** Next sequence number we send (unwrapped, starts at 1). */
  nextSeq = 1
  private readonly sendTime = new Float64Array(SEQ_RING)
  private readonly acked = new Int32Array(SEQ_RING).fill(-1)
  /** Highest of our sequence numbers the peer acknowledged (0 = none). */
  highestAcked = 0
  rtt = 0
  private rttSamples = 0
  private resolvedUpTo = 0
  /** Exponential moving average of the fraction of our packets never acknowledged. */
  loss = 0
  lostPackets = 0

  // incoming
  /** Highest sequence number received from the peer (unwrapped; 0 = none). */
  highestReceived = 0
  private readonly received = new Int32Array(SEQ_RING).fill(-1)
  private lastReportedAck = 0

  /** Called once per packet of ours the peer acknowledged. */
  onPacketAcked: ((seq: number) => void) | null = null
  /** Called once per packet of ours, in order, when it can no longer be acknowledged (`lost` if it never was). */
  onPacketResolved: ((seq: number, lost: boolean) => void) | null = null

  /** Allocates the sequence number of a packet about to be sent at `now`. */
  nextOutgoing(now: number): number {
    const s = this.nextSeq++
    this.resolveUpTo(s - 1 - ACK_WINDOW)
    this.sendTime[s & MASK] = now
    this.acked[s & MASK] = -1
    return s
  }

  private resolveUpTo(horizon: number): void {
    while (this.resolvedUpTo < horizon) {
      const s = ++this.resolvedUpTo
      if (s < 1) continue
      const lost = this.acked[s & MASK] !== s
      if (lost) this.lostPackets++
      this.onPacketResolved?.(s, lost)
      this.loss += ((lost ? 1 : 0) - this.loss) * 0.02
    }
  }

  /** True when the peer acknowledged packet `seq` (false if unknown, lost, or too old to tell). */
  isAcked(seq: number): boolean {
    return this.acked[seq & MASK] === seq
  }

  /**
   * Applies an ack header: `ackWire` (16-bit) is the newest sequence the peer got, `words` its bitfield
   * (bit i of word j = seq ack - 1 - (32j + i) received). Returns false if the ack refers to a packet never sent.
   */
  onAck(ackWire: number, words: Uint32Array, wordCount: number, now: number): boolean {
    const ack = unwrapSeq(ackWire, this.nextSeq - 1)
    if (ack >= this.nextSeq || ack < 1 || ack <= this.nextSeq - 1 - SEQ_RING) return false
    this.markAcked(ack, now)
    for (let j = 0; j < wordCount; j++) {
      const w = words[j]
      if (w === 0) continue
      for (let i = 0; i < 32; i++) if ((w >>> i) & 1) this.markAcked(ack - 1 - 32 * j - i, now)
    }
    if (ack > this.highestAcked) this.highestAcked = ack
    return true
  }

  private markAcked(seq: number, now: number): void {
    if (seq < 1 || seq <= this.resolvedUpTo) return
    const i = seq & MASK
    if (this.acked[i] === seq) return
    this.acked[i] = seq
    this.onPacketAcked?.(seq)
    if (seq === this.highestAcked + 1 || seq > this.highestAcked) {
      const sample = now - this.sendTime[i]
      if (sample >= 0) {
        this.rtt = this.rttSamples === 0 ? sample : this.rtt + (sample - this.rtt) * 0.125
        this.rttSamples++
      }
    }
  }

  /** Unwraps an incoming 16-bit sequence number; returns -1 for a duplicate or one too old to track. */
  acceptIncoming(seqWire: number): number {
    const seq = unwrapSeq(seqWire, this.highestReceived === 0 ? 1 : this.highestReceived)
    if (seq < 1 || seq <= this.highestReceived - SEQ_RING) return -1
    if (this.received[seq & MASK] === seq) return -1
    return seq
  }

  /** Marks an incoming packet as received and applied, so our next headers acknowledge it. */
  markReceived(seq: number): void {
    this.received[seq & MASK] = seq
    if (seq > this.highestReceived) this.highestReceived = seq
  }

  /** Fills `out` with the ack bitfield words for our next header; returns how many (0 = nothing to ack yet). */
  ackWords(out: Uint32Array): number {
    const ack = this.highestReceived
    if (ack === 0) return 0
    const advanced = ack - this.lastReportedAck
    this.lastReportedAck = ack
    const count = Math.max(1, Math.min(MAX_ACK_WORDS, Math.ceil((advanced + 31) / 32)))
    for (let j = 0; j < count; j++) {
      let w = 0
      for (let i = 0; i < 32; i++) {
        const s = ack - 1 - 32 * j - i
        if (s >= 1 && this.received[s & MASK] === s) w |= 1 << i
      }
      out[j] = w >>> 0
    }
    return count
  }
}
