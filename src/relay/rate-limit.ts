/**
 * Per-sender limits of one PeerJS socket, checked before a message is parsed or routed:
 *
 * - `TokenBucket`: every client message costs one token; the bucket holds `burst` tokens and refills at `perSec`.
 * - `TargetWindow`: within a fixed window of `windowMs`, at most `maxPerTarget` signals to one target id, and at most
 *   `maxTargets` distinct target ids (id probing). Memory is bounded: the table never holds more than `maxTargets`
 *   ids (one more ends the socket), and it is dropped at each window boundary.
 */

export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly burst: number,
    private readonly perSec: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = burst
    this.last = this.now()
  }

  /** Takes one token; false if the bucket is empty. */
  take(): boolean {
    const t = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSec)
    this.last = t
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

export type TargetVerdict = 'ok' | 'target-burst' | 'too-many-targets'

export class TargetWindow {
  private counts = new Map<string, number>()
  private windowStart: number

  constructor(
    private readonly opts: { windowMs: number; maxPerTarget: number; maxTargets: number },
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.windowStart = this.now()
  }

  /** Counts one signal to `target` and says whether it may go. */
  check(target: string): TargetVerdict {
    const t = this.now()
    if (t - this.windowStart >= this.opts.windowMs) {
      this.counts = new Map()
      this.windowStart = t
    }
    const n = this.counts.get(target)
    if (n === undefined) {
      if (this.counts.size >= this.opts.maxTargets) return 'too-many-targets'
      this.counts.set(target, 1)
      return 'ok'
    }
    if (n >= this.opts.maxPerTarget) return 'target-burst'
    this.counts.set(target, n + 1)
    return 'ok'
  }
}
