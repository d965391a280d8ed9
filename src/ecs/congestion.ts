/**
 * The congestion room: each peer's send budget, from a delay-based estimate of its path's capacity (in the spirit of
 * WebRTC's GCC), capped by `maxSendRate`. Everything we send to the peer, both channels, is paced by it
 * (create-network.ts: reliable messages first up to half of it, deltas by priority within the rest).
 *
 * Why delay and not loss: a bottleneck queues before it drops, so the queueing delay (the round trip's rise above
 * its minimum) says "too much" hundreds of milliseconds before any loss; and random loss (Wi-Fi, the 30 % links of
 * the tests) is not congestion, so backing off on it would starve a lossy link for nothing. A queue that has time
 * to fill also delays every delta and event by as much: keeping it short is what keeps state fresh.
 *
 * The estimator, per peer:
 * - round trip: `base` = the smallest sample of the last 10 s (two 5 s windows), `recent` = the smallest of the last
 *   100–150 ms (three 50 ms windows; a minimum, so jitter alone does not raise it), `jitter` = the mean of (sample −
 *   recent) while no queue stands, smoothed 1/16; the queueing delay is `recent − base`;
 * - delivery rate: bytes the peer confirmed (acked delta packets, and reliable frames it processed) since its first
 *   confirmation of the last 500 ms, over the time since;
 * - overuse when the queueing delay exceeds QUEUE_DELAY_MS + twice the jitter + one flush interval (a flush's
 *   packets leave together: the last of them waits for the others, up to one interval at the path's rate). If the
 *   budget was what limited us lately, it drops to DECREASE × the delivery rate (what the path carried while its queue
 *   was filling: its capacity, which becomes `capacity`), and what stands in the queue (the delay beyond one interval
 *   × the delivery rate, at most a quarter second's worth) is left out of the next sends so it drains; if we sent less
 *   than the budget anyway (someone else filled the path, or late packets looked like a queue), it drops to DECREASE ×
 *   itself, never to a fraction of what little we send. Then it holds for a round trip (+100 ms);
 * - otherwise, while the budget is what limits us (something waited): until the path was ever full, slow start (at
 *   most doubling per round trip, and never beyond SLOW_START_LEAD × the delivery rate of the last two round trips
 *   (at least 100 ms), so a join's backlog does not go
 *   into the queue at once); after, back up to TARGET × `capacity` (PROBE_FAR per second within 2 s of a decrease, as
 *   fast as slow start later), and every PROBE_INTERVAL_MS at the target without an overuse `capacity` is assumed
 *   PROBE_STEP larger, so a path that grows is found (overshooting the path by at most that step, until it says so);
 * - the budget never falls below MIN_RATE (acks and a trickle of state always flow) nor exceeds `maxSendRate`.
 *
 * Unused budget is kept for at most BURST_MS (or one and a half flush intervals), so a quiet spell does not turn
 * into a burst that fills the queue.
 */
import { SEQ_RING } from './ack-tracker.js'

/** Bytes per second at the start: 128 kbit/s. */
export const INITIAL_RATE = 16 * 1024
/** Never below 16 kbit/s. */
export const MIN_RATE = 2 * 1024
/** Queueing delay (ms) beyond a flush's own burst and the jitter above which the path is overused. */
export const QUEUE_DELAY_MS = 10
/** On overuse, the budget drops to this times the delivery rate (GCC's β). */
export const DECREASE = 0.85
/** After the first overuse the budget aims at this share of the capacity found (room for bursts and jitter). */
export const TARGET = 0.95
/** Growth per second back to the target after a decrease. */
export const PROBE_FAR = 0.1
/** Every PROBE_INTERVAL_MS at the target without an overuse, the capacity is assumed PROBE_STEP larger. */
export const PROBE_INTERVAL_MS = 10_000
export const PROBE_STEP = 0.02
/** Slow start sends at most this times what the path confirmed (its overshoot, before the queue says stop). */
export const SLOW_START_LEAD = 1.25
/** Unused budget kept at most this long (ms). */
export const BURST_MS = 50
/** Window of the delivery rate (ms). */
export const DELIVERY_WINDOW_MS = 500

const MASK = SEQ_RING - 1
const BASE_WINDOW_MS = 5000
const RECENT_WINDOW_MS = 50
/** Confirmations remembered for the delivery rate (a peer confirms about once per flush: 2 s at 30 Hz). */
const DELIVERY_SAMPLES = 64
/** For this long after a decrease the budget returns to its target at PROBE_FAR per second (then it may double). */
const RECOVER_MS = 2000
/** The budget limited us this recently: an overuse is ours, and the delivery rate measures the path. */
const LIMITED_RECENTLY_MS = 1000

export class SendBudget {
  /** The budget (bytes per second). */
  rate = INITIAL_RATE
  /** The path's capacity as last measured at an overuse (bytes per second), 0 until the path was ever full. */
  capacity = 0
  /** Bytes that may go now (negative: sent ahead of the budget). */
  private tokens = 0
  private lastRefill = Number.NaN
  private lastDecrease = Number.NEGATIVE_INFINITY
  private lastProbe = Number.NEGATIVE_INFINITY
  private lastLimited = Number.NEGATIVE_INFINITY
  /** The mean time between flushes (ms). */
  private interval = 1000 / 30
  /** Whether the last flush left something out for lack of budget. */
  limited = false
  // Round trips: two windows each of the minimum.
  private baseMin = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]
  private baseStart = Number.NEGATIVE_INFINITY
  private recentMin = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]
  private recentStart = Number.NEGATIVE_INFINITY
  jitter = 0
  private srtt = 0
  // Delivery: per confirmation time (a ring), the bytes confirmed so far.
  private readonly sizeOf = new Int32Array(SEQ_RING)
  private readonly confirmedAt = new Float64Array(DELIVERY_SAMPLES).fill(Number.NEGATIVE_INFINITY)
  private readonly confirmedBytes = new Float64Array(DELIVERY_SAMPLES)
  private confirmations = 0
  private confirmed = 0
  /** Reliable frames sent and not yet known processed: the index of their last message, their bytes. */
  private readonly frameEnd: number[] = []
  private readonly frameBytes: number[] = []
  private frameHead = 0

  constructor(private readonly maxRate: number) {
    this.rate = Math.min(INITIAL_RATE, maxRate)
  }

  /** The queueing delay now (ms): the recent minimum round trip above the base one (0 before samples). */
  get queueDelay(): number {
    const base = Math.min(this.baseMin[0], this.baseMin[1])
    const recent = Math.min(this.recentMin[0], this.recentMin[1], this.recentMin[2])
    return Number.isFinite(base) && Number.isFinite(recent) ? Math.max(0, recent - base) : 0
  }

  /** A round-trip sample (ms) measured at `now`. */
  onRtt(sample: number, now: number): void {
    if (now - this.baseStart >= BASE_WINDOW_MS) {
      this.baseMin[1] = this.baseMin[0]
      this.baseMin[0] = Number.POSITIVE_INFINITY
      this.baseStart = now
    }
    if (now - this.recentStart >= RECENT_WINDOW_MS) {
      this.recentMin[2] = this.recentMin[1]
      this.recentMin[1] = this.recentMin[0]
      this.recentMin[0] = Number.POSITIVE_INFINITY
      this.recentStart = now
    }
    if (sample < this.baseMin[0]) this.baseMin[0] = sample
    if (sample < this.recentMin[0]) this.recentMin[0] = sample
    const recent = Math.min(this.recentMin[0], this.recentMin[1], this.recentMin[2])
    // Learnt while nothing stands in the queue: a filling queue spreads the samples too, and must not hide itself.
    if (this.queueDelay <= QUEUE_DELAY_MS + this.interval) this.jitter += (sample - recent - this.jitter) / 16
    this.srtt = this.srtt === 0 ? sample : this.srtt + (sample - this.srtt) / 8
  }

  /** Delta packet `seq` of `bytes` went out. */
  onPacketSent(seq: number, bytes: number): void {
    this.sizeOf[seq & MASK] = bytes
  }

  /** The peer acknowledged delta packet `seq` at `now`. */
  onPacketAcked(seq: number, now: number): void {
    this.deliver(this.sizeOf[seq & MASK], now)
  }

  /** A reliable frame of `bytes` went out; its last message has index `lastIndex` in the peer's stream. */
  onFrameSent(lastIndex: number, bytes: number): void {
    this.frameEnd.push(lastIndex)
    this.frameBytes.push(bytes)
  }

  /** The peer says (at `now`) it processed our reliable messages up to `processed`. */
  onProcessed(processed: number, now: number): void {
    while (this.frameHead < this.frameEnd.length && this.frameEnd[this.frameHead] <= processed) this.deliver(this.frameBytes[this.frameHead++], now)
    if (this.frameHead > 256 && this.frameHead * 2 > this.frameEnd.length) {
      this.frameEnd.splice(0, this.frameHead)
      this.frameBytes.splice(0, this.frameHead)
      this.frameHead = 0
    }
  }

  private deliver(bytes: number, now: number): void {
    this.confirmed += bytes
    const last = (this.confirmations - 1 + DELIVERY_SAMPLES) % DELIVERY_SAMPLES
    if (this.confirmations > 0 && this.confirmedAt[last] === now) {
      this.confirmedBytes[last] = this.confirmed
      return
    }
    const k = this.confirmations++ % DELIVERY_SAMPLES
    this.confirmedAt[k] = now
    this.confirmedBytes[k] = this.confirmed
  }

  /**
   * Bytes per second the peer confirmed over the last `window` ms: what was confirmed after the first confirmation of
   * the window, over the time since it (0 when the window holds less than 50 ms of them).
   */
  deliveryRate(now: number, window = DELIVERY_WINDOW_MS): number {
    const n = Math.min(this.confirmations, DELIVERY_SAMPLES)
    if (n < 2) return 0
    const newest = (this.confirmations - 1) % DELIVERY_SAMPLES
    let first = newest
    for (let i = 1; i < n; i++) {
      const k = (newest - i + DELIVERY_SAMPLES) % DELIVERY_SAMPLES
      if (this.confirmedAt[k] < now - window) break
      first = k
    }
    const span = this.confirmedAt[newest] - this.confirmedAt[first]
    return span >= 50 ? ((this.confirmedBytes[newest] - this.confirmedBytes[first]) * 1000) / span : 0
  }

  /**
   * A flush at `now`: adjusts the budget (see the file's comment) and returns the bytes that may go now (≤ 0: only
   * the ack-carrying packet).
   */
  allowance(now: number): number {
    const dt = Number.isNaN(this.lastRefill) ? 0 : Math.max(0, now - this.lastRefill)
    this.lastRefill = now
    this.adjust(now, dt)
    const cap = (this.rate * Math.max(BURST_MS, 1.5 * dt)) / 1000
    this.tokens = Math.min(this.tokens + (this.rate * dt) / 1000, Math.max(cap, this.tokens))
    if (dt === 0 && this.tokens === 0) this.tokens = this.rate / 30 // the first flush: one tick's worth
    return this.tokens
  }

  /** What the flush sent, and whether it had to leave something out. */
  spend(bytes: number, limited: boolean, now: number): void {
    this.tokens -= bytes
    this.limited = limited
    if (limited) this.lastLimited = now
  }

  private adjust(now: number, dt: number): void {
    if (dt > 0) this.interval += (Math.min(dt, 1000) - this.interval) / 8
    const q = this.queueDelay
    // A flush's packets leave together, so the last of them waits for the others: up to one flush interval when we
    // send at the path's rate. Only a queue beyond that stands from flush to flush.
    const threshold = Math.max(QUEUE_DELAY_MS, 2 * this.jitter) + this.interval
    if (q > threshold) {
      if (now - this.lastDecrease < Math.max(this.srtt, 0) + 100) return
      const delivered = this.deliveryRate(now)
      if (delivered <= 0) return
      if (now - this.lastLimited < LIMITED_RECENTLY_MS) {
        this.capacity = delivered
        this.rate = Math.max(MIN_RATE, Math.min(this.rate, DECREASE * delivered))
        // Leave out what stands in the queue: it drains instead of delaying everything that follows.
        this.tokens = Math.min(this.tokens, 0) - Math.min(((q - this.interval) * delivered) / 1000, this.rate / 4)
      } else this.rate = Math.max(MIN_RATE, DECREASE * this.rate)
      this.lastDecrease = this.lastProbe = now
      return
    }
    if (!this.limited || dt === 0) return
    const grow = 2 ** (dt / Math.max(this.srtt, 50))
    // Never full so far: slow start, at most twice what the path has confirmed (the first round trip: INITIAL_RATE).
    // (The delivery over the last two round trips, not half a second: an average that old would hold a ramp back.)
    if (this.capacity === 0) {
      const recent = this.deliveryRate(now, Math.max(100, 2 * this.srtt))
      this.rate = Math.max(this.rate, Math.min(this.rate * grow, Math.max(INITIAL_RATE, SLOW_START_LEAD * recent)))
    }
    else {
      const target = TARGET * this.capacity
      // Back to the target: gently after a decrease (the queue it left drains meanwhile), else fast.
      if (this.rate < target) this.rate = Math.min(target, now - this.lastDecrease < RECOVER_MS ? this.rate * (1 + (PROBE_FAR * dt) / 1000) : this.rate * grow)
      else if (now - this.lastProbe >= PROBE_INTERVAL_MS) {
        // At the target with nothing standing in the queue for a while: the path may carry more now.
        this.capacity *= 1 + PROBE_STEP
        this.lastProbe = now
      }
    }
    this.rate = Math.min(this.rate, this.maxRate)
  }
}
