/**
 * Replay protection for service-auth tokens: a token (`iss` + `jti`) is admitted once; the entry lives until the
 * token's `exp`. `ReplayCache` is the seam (redis/redis-replay-cache.ts, `SET NX PXAT`, shares it between the
 * processes of a `redis` deployment); `MemoryReplayCache` is the in-process default.
 */
export type ReplayCheck = 'fresh' | 'replayed' | 'full'

/** Remembers used token ids (`jti`) until they expire (the relay's seam; default {@link MemoryReplayCache}). */
export interface ReplayCache {
  /** Atomically records `key` until `expiresAtMs`. 'replayed' if it was already there, 'full' if it cannot be stored. */
  checkAndStore(key: string, expiresAtMs: number): Promise<ReplayCheck>
}

/** The in-process replay cache (fails closed when full). */
export class MemoryReplayCache implements ReplayCache {
  private readonly entries = new Map<string, number>()
  private nextSweep = 0

  constructor(private readonly opts: { maxEntries: number; now?: () => number }) {}

  /** Entries held. */
  get size(): number {
    return this.entries.size
  }

  /** Stores `key` until `expiresAtMs`; says whether it was new. */
  async checkAndStore(key: string, expiresAtMs: number): Promise<ReplayCheck> {
    const now = (this.opts.now ?? Date.now)()
    const prev = this.entries.get(key)
    if (prev !== undefined && prev > now) return 'replayed'
    if (this.entries.size >= this.opts.maxEntries || now >= this.nextSweep) this.sweep(now)
    if (this.entries.size >= this.opts.maxEntries) return 'full'
    this.entries.set(key, expiresAtMs)
    return 'fresh'
  }

  private sweep(now: number): void {
    for (const [k, exp] of this.entries) if (exp <= now) this.entries.delete(k)
    this.nextSweep = now + 10_000
  }
}
