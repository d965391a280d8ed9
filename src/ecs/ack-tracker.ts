import { ACK_DELAY_CAP, ACK_DELAY_UNIT_MS, MAX_ACK_WORDS } from '../protocol/delta-format.js'
import { unwrapSeq } from '../protocol/seq.js'

/** Sequence numbers kept in the rings below; must exceed the packets sent to one peer within an RTT. */
export const SEQ_RING = 4096
const MASK = SEQ_RING - 1
/** A packet this many packets old can no longer be acknowledged (the ack bitfields reach no further back). */
export const ACK_WINDOW = 32 * MAX_ACK_WORDS
/** A packet not acknowledged while one sent this much later was is lost (reordering by less is not loss). */
export const LOSS_REORDER_MS = 80
/** A packet not acknowledged within this long (or 3 RTTs, if longer) is lost, acks or not. */
export const LOSS_TIMEOUT_MS = 1000
/** Loss estimate window: packets sent in the last LOSS_BUCKETS × LOSS_BUCKET_MS (2 s). */
export const LOSS_BUCKET_MS = 250
export const LOSS_BUCKETS = 8

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
  /** The latest send time of a packet the peer acknowledged. */
  private newestAckedSent = Number.NEGATIVE_INFINITY
  rtt = 0
  private rttSamples = 0
  /** Packets up to here have a known fate (acknowledged or lost): counted in the loss estimate, told to the baselines. */
  private resolvedUpTo = 0
  /** Packets found lost so far. */
  lostPackets = 0
  /** Loss estimate: per send-time bucket, packets counted and lost. */
  private readonly bucketIndex = new Float64Array(LOSS_BUCKETS).fill(-1)
  private readonly bucketSent = new Int32Array(LOSS_BUCKETS)
  private readonly bucketLost = new Int32Array(LOSS_BUCKETS)
  private lastNow = 0

  // incoming
  /** Highest sequence number received from the peer (unwrapped; 0 = none), and when it arrived. */
  highestReceived = 0
  private highestReceivedAt = 0
  private readonly received = new Int32Array(SEQ_RING).fill(-1)
  private lastReportedAck = 0

  /** Called once per packet of ours the peer acknowledged, with the time the ack arrived. */
  onPacketAcked: ((seq: number, now: number) => void) | null = null
  /** Called with each round-trip sample (ms) and when it was taken. */
  onRtt: ((sample: number, now: number) => void) | null = null
  /**
   * Called once per packet of ours, in order, when its fate is known (`lost` if it was found missing): its baseline
   * entries are settled then, within a round trip or two, not when the ack bitfields no longer reach it.
   */
  onPacketResolved: ((seq: number, lost: boolean) => void) | null = null

  /** Allocates the sequence number of a packet about to be sent at `now`. */
  nextOutgoing(now: number): number {
    const s = this.nextSeq++
    this.lastNow = now
    // Recorded before resolving: the walk covers every packet sent so far, this one included, and must see its send
    // time, not the one left in its ring slot by a packet SEQ_RING ago (0 at first: a page's clock is never 0).
    this.sendTime[s & MASK] = now
    this.acked[s & MASK] = -1
    this.resolve(now)
    return s
  }

  /**
   * Settles, in order, the packets whose fate is known: acknowledged, or lost: proven missing (a packet sent
   * LOSS_REORDER_MS or more later was acknowledged, and the ack bitfields, which repeat 32+ packets back, never
   * listed it), unacknowledged after max(LOSS_TIMEOUT_MS, 3 × RTT) (nothing comes back at all), or too old to be
   * acknowledged any more. Each is counted in the loss window and told to the baselines (`onPacketResolved`).
   */
  private resolve(now: number): void {
    const timeout = Math.max(LOSS_TIMEOUT_MS, 3 * this.rtt)
    const last = this.nextSeq - 1
    while (this.resolvedUpTo < last) {
      const s = this.resolvedUpTo + 1
      const i = s & MASK
      const acked = this.acked[i] === s
      const tooOld = s <= last - ACK_WINDOW
      if (!acked && !tooOld && this.newestAckedSent - this.sendTime[i] < LOSS_REORDER_MS && now - this.sendTime[i] < timeout) break
      this.resolvedUpTo = s
      if (!acked) this.lostPackets++
      this.onPacketResolved?.(s, !acked)
      this.count(this.sendTime[i], acked)
    }
  }

  /** Counts a packet sent at `sentAt` into the loss window. */
  private count(sentAt: number, acked: boolean): void {
    const b = Math.floor(sentAt / LOSS_BUCKET_MS)
    const k = ((b % LOSS_BUCKETS) + LOSS_BUCKETS) % LOSS_BUCKETS
    if (this.bucketIndex[k] !== b) {
      if (this.bucketIndex[k] > b) return // older than the window
      this.bucketIndex[k] = b
      this.bucketSent[k] = 0
      this.bucketLost[k] = 0
    }
    this.bucketSent[k]++
    if (!acked) this.bucketLost[k]++
  }

  /** Fraction of our packets sent in the last ~2 s (whose fate is known) that the peer never acknowledged. */
  get loss(): number {
    const newest = Math.floor(this.lastNow / LOSS_BUCKET_MS)
    let sent = 0
    let lost = 0
    for (let k = 0; k < LOSS_BUCKETS; k++) {
      if (this.bucketIndex[k] < 0 || newest - this.bucketIndex[k] >= LOSS_BUCKETS) continue
      sent += this.bucketSent[k]
      lost += this.bucketLost[k]
    }
    return sent === 0 ? 0 : lost / sent
  }

  /** True when the peer acknowledged packet `seq` (false if unknown, lost, or too old to tell). */
  isAcked(seq: number): boolean {
    return this.acked[seq & MASK] === seq
  }

  /**
   * Applies an ack header that arrived at `now`: `ackWire` (16-bit) is the newest sequence the peer got, `words`
   * its bitfield (bit i of word j = seq ack - 1 - (32j + i) received), `ackDelay` how long the peer held that ack
   * before sending it (ACK_DELAY_UNIT_MS units). Returns false if the ack refers to a packet never sent.
   *
   * RTT sample: arrival − send time of packet `ack` − the peer's ack delay (QUIC style), so the estimate is the
   * network's round trip, not the peers' tick intervals. Smoothed 1/8 per sample, as TCP's SRTT.
   */
  onAck(ackWire: number, words: Uint32Array, wordCount: number, now: number, ackDelay: number): boolean {
    const ack = unwrapSeq(ackWire, this.nextSeq - 1)
    if (ack >= this.nextSeq || ack < 1 || ack <= this.nextSeq - 1 - SEQ_RING) return false
    if (ackDelay < ACK_DELAY_CAP) {
      // Clamped, not skipped: the delay's rounding (± half a unit) then averages out instead of biasing upward.
      const sample = Math.max(0, now - this.sendTime[ack & MASK] - ackDelay * ACK_DELAY_UNIT_MS)
      this.rtt = this.rttSamples === 0 ? sample : this.rtt + (sample - this.rtt) * 0.125
      this.rttSamples++
      this.onRtt?.(sample, now)
    }
    this.markAcked(ack, now)
    for (let j = 0; j < wordCount; j++) {
      const w = words[j]
      if (w === 0) continue
      for (let i = 0; i < 32; i++) if ((w >>> i) & 1) this.markAcked(ack - 1 - 32 * j - i, now)
    }
    if (ack > this.highestAcked) this.highestAcked = ack
    this.lastNow = now
    this.resolve(now)
    return true
  }

  private markAcked(seq: number, now: number): void {
    if (seq < 1 || seq <= this.resolvedUpTo) return
    const i = seq & MASK
    if (this.acked[i] === seq) return
    this.acked[i] = seq
    if (this.sendTime[i] > this.newestAckedSent) this.newestAckedSent = this.sendTime[i]
    this.onPacketAcked?.(seq, now)
  }

  /** Unwraps an incoming 16-bit sequence number; returns -1 for a duplicate or one too old to track. */
  acceptIncoming(seqWire: number): number {
    const seq = unwrapSeq(seqWire, this.highestReceived === 0 ? 1 : this.highestReceived)
    if (seq < 1 || seq <= this.highestReceived - SEQ_RING) return -1
    if (this.received[seq & MASK] === seq) return -1
    return seq
  }

  /** Marks an incoming packet (arrived at `at`) as received and applied, so our next headers acknowledge it. */
  markReceived(seq: number, at: number): void {
    this.received[seq & MASK] = seq
    if (seq > this.highestReceived) {
      this.highestReceived = seq
      this.highestReceivedAt = at
    }
  }

  /** Time since the packet our next header acknowledges arrived, in ACK_DELAY_UNIT_MS units (the header's ackDelay). */
  ackDelay(now: number): number {
    return Math.min(ACK_DELAY_CAP, Math.max(0, Math.round((now - this.highestReceivedAt) / ACK_DELAY_UNIT_MS)))
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
