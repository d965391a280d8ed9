import type { Channel } from '../transport.js'
import type { Rng } from './rng.js'

/** How one direction of a link between two in-memory peers behaves. */
export interface LinkOptions {
  /** Probability (0..1) that an unreliable message is lost. On the reliable channel a loss costs a retransmission delay instead. Default 0. */
  loss?: number
  /** One-way base latency in ms. Default 0. */
  latency?: number
  /** Uniform random extra delay in [0, jitter) ms. Default 0. */
  jitter?: number
  /** Probability (0..1) that an unreliable message is held back by an extra `reorderDelay` ms (so later ones overtake it). Default 0. */
  reorder?: number
  /** Extra delay of a reordered message, ms. Default 2 × latency + jitter + 1. */
  reorderDelay?: number
  /** Probability (0..1) that an unreliable message is delivered twice. Default 0. */
  duplicate?: number
  /** Bytes per second; 0 = unlimited. Messages queue behind each other; unreliable ones that would wait longer than `maxQueueDelay` are dropped. Default 0. */
  bandwidth?: number
  /** Unreliable tail drop threshold when bandwidth-limited, ms. Default 1000. */
  maxQueueDelay?: number
  /** Retransmission timeout added per lost attempt on the reliable channel, ms. Default max(2 × latency, 10). */
  rto?: number
}

/** What one direction of a link carried. */
export interface LinkCounters {
  /** Messages sent. */
  sent: number
  /** Bytes sent. */
  sentBytes: number
  /** Messages delivered. */
  delivered: number
  /** Bytes delivered. */
  deliveredBytes: number
  /** Messages lost. */
  dropped: number
  /** Messages delivered twice. */
  duplicated: number
}

/** One direction of a link: turns a send into zero, one or two delivery times. */
export class Link {
  readonly counters: Record<Channel, LinkCounters> = {
    reliable: { sent: 0, sentBytes: 0, delivered: 0, deliveredBytes: 0, dropped: 0, duplicated: 0 },
    unreliable: { sent: 0, sentBytes: 0, delivered: 0, deliveredBytes: 0, dropped: 0, duplicated: 0 },
  }
  private busyUntil = 0
  private lastReliable = 0

  constructor(
    public options: LinkOptions,
    private readonly rng: Rng,
  ) {}

  /** Delivery times (ms, absolute) for a message sent at `now`; empty when it is lost. */
  schedule(now: number, channel: Channel, bytes: number): number[] {
    const o = this.options
    const c = this.counters[channel]
    c.sent++
    c.sentBytes += bytes
    const latency = o.latency ?? 0
    const jitter = o.jitter ?? 0
    const loss = o.loss ?? 0
    let start = now
    if (o.bandwidth && o.bandwidth > 0) {
      start = Math.max(now, this.busyUntil)
      if (channel === 'unreliable' && start - now > (o.maxQueueDelay ?? 1000)) {
        c.dropped++
        return []
      }
      this.busyUntil = start + (bytes * 1000) / o.bandwidth
      start = this.busyUntil
    }
    const delay = (): number => latency + (jitter > 0 ? this.rng() * jitter : 0)
    if (channel === 'reliable') {
      // SCTP reliable/ordered: a lost attempt costs a retransmission timeout; delivery stays in order.
      let t = start + delay()
      const rto = o.rto ?? Math.max(2 * latency, 10)
      for (let i = 0; i < 64 && loss > 0 && this.rng() < loss; i++) t += rto
      t = Math.max(t, this.lastReliable)
      this.lastReliable = t
      return [t]
    }
    if (loss > 0 && this.rng() < loss) {
      c.dropped++
      return []
    }
    const reorderDelay = o.reorderDelay ?? 2 * latency + jitter + 1
    const one = (): number => start + delay() + ((o.reorder ?? 0) > 0 && this.rng() < (o.reorder ?? 0) ? reorderDelay : 0)
    const times = [one()]
    if ((o.duplicate ?? 0) > 0 && this.rng() < (o.duplicate ?? 0)) {
      c.duplicated++
      times.push(one())
    }
    return times
  }
}
