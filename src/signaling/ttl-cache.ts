/**
 * A bounded cache whose entries expire: at most `maxEntries` (the least recently used goes first), each for `ttlMs`.
 * The social graph's caches (repo snapshots, relationships) on both sides, the relay and the client.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>()

  constructor(
    private readonly opts: { ttlMs: number; maxEntries: number },
    private readonly now: () => number = Date.now,
  ) {
    if (!(opts.maxEntries >= 1)) throw new TypeError(`maxEntries must be at least 1, got ${opts.maxEntries}`)
  }

  get size(): number {
    return this.entries.size
  }

  /** The value if present and not expired (and marks it recently used). */
  get(key: K): V | undefined {
    const e = this.entries.get(key)
    if (!e) return undefined
    this.entries.delete(key)
    if (e.expiresAt <= this.now()) return undefined
    this.entries.set(key, e)
    return e.value
  }

  set(key: K, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt: this.now() + this.opts.ttlMs })
    while (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value as K)
  }

  delete(key: K): void {
    this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }
}
