/**
 * A remote sender's clock as this peer sees it, from the 16-bit millisecond timestamp in every delta header:
 *
 * - `observe` unwraps the timestamp around the sender time expected now (our clock minus the offset), so a sender
 *   whose flushes run slow (a busy tab) still stamps real time, and returns the sample time interpolation uses;
 * - `offset` = local time − sender time, the smallest seen (the least-delayed packet: one-way delay plus the clocks'
 *   difference), drifting upward slowly to follow clock skew;
 * - `interval` is the sender's mean time between flushes (ignoring long silences), for holding still entities and
 *   for how far back a slow sender is rendered: `renderTime(now, delay)`.
 */
import { unwrapSeq } from '../protocol/seq.js'

/** A gap between two of a sender's flushes this long or longer is a silence, not its flush interval. */
export const MAX_INTERVAL_GAP_MS = 2000
/** Weight of a new gap in the mean flush interval. */
const INTERVAL_SMOOTHING = 0.1
/** Weight of a larger offset than the smallest seen (the offset follows clock skew slowly). */
const OFFSET_DRIFT = 0.01
/** A sender is rendered at least this many of its flush intervals behind, so there is a sample on each side. */
const INTERVALS_BEHIND = 1.5

export class SenderClock {
  /** The newest sender time seen (ms, unwrapped), and the newest before it (the sender's previous flush heard). */
  lastSenderTime = 0
  previousSenderTime = Number.NEGATIVE_INFINITY
  /** Local time minus sender time (ms): the smoothed minimum. */
  offset = 0
  /** False until the first packet. */
  synced = false
  /** The sender's mean interval between flushes (ms). */
  interval: number

  constructor(expectedInterval: number) {
    this.interval = expectedInterval
  }

  /** A packet stamped `wireTime` (sender ms mod 2^16) arrived at `now` (ours): returns its sender time, unwrapped. */
  observe(wireTime: number, now: number): number {
    const expected = this.synced ? now - this.offset : wireTime
    const sampleTime = unwrapSeq(wireTime, Math.round(expected))
    if (this.synced && sampleTime > this.lastSenderTime) {
      const gap = sampleTime - this.lastSenderTime
      if (gap < MAX_INTERVAL_GAP_MS) this.interval += (gap - this.interval) * INTERVAL_SMOOTHING
    }
    if (!this.synced || sampleTime > this.lastSenderTime) {
      this.previousSenderTime = this.synced ? this.lastSenderTime : Number.NEGATIVE_INFINITY
      this.lastSenderTime = sampleTime
    }
    const offset = now - sampleTime
    if (!this.synced || offset < this.offset) {
      this.offset = offset
      this.synced = true
    } else this.offset += (offset - this.offset) * OFFSET_DRIFT
    return sampleTime
  }

  /**
   * The sender time to render at our `now`: `delay` behind, or further for a sender flushing slower than the delay
   * covers (max(delay, 1.5 × its flush interval)). +∞ (the newest state) before the first packet.
   */
  renderTime(now: number, delay: number): number {
    return this.synced ? now - this.offset - Math.max(delay, INTERVALS_BEHIND * this.interval) : Number.POSITIVE_INFINITY
  }
}
