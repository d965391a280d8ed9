/**
 * Concurrent lookups of one key share one promise (one fetch for many joins naming the same DID or handle), with a
 * bound on how many may wait on it: past `maxWaiters` the caller is told the key is full and refuses at once, so an
 * attacker naming one slow host cannot pile up waiters.
 */
export class Coalescer<T> {
  private readonly inflight = new Map<string, { promise: Promise<T>; waiters: number }>()

  constructor(private readonly maxWaiters: number) {}

  /** A lookup of `key` is under way. */
  has(key: string): boolean {
    return this.inflight.has(key)
  }

  /** `maxWaiters` already wait on `key`. */
  isFull(key: string): boolean {
    return (this.inflight.get(key)?.waiters ?? 0) >= this.maxWaiters
  }

  /** Waits on the lookup of `key` under way, or starts one with `start`; the entry goes when the lookup settles. */
  async wait(key: string, start: () => Promise<T>): Promise<T> {
    let f = this.inflight.get(key)
    if (!f) {
      const started = { waiters: 0, promise: start().finally(() => this.inflight.delete(key)) }
      this.inflight.set(key, started)
      f = started
    }
    f.waiters++
    try {
      return await f.promise
    } finally {
      f.waiters--
    }
  }
}
