/**
 * Concurrency caps for fetches to untrusted hosts (did:web documents, handle well-knowns): at most `perHost` at once
 * to one host name (ports share it) and `global` at once relay-wide. Over a cap the fetch is refused at once with a
 * `FetchBusyError` (no queue: the join is answered 503 RELAY_BUSY and may retry); that error is transient, so the
 * DID and handle caches never remember it as a failure of the DID.
 */

export type FetchLimitScope = 'host' | 'global'

export class FetchBusyError extends Error {
  /** Not a property of the DID: never negatively cached. */
  readonly transient = true
  constructor(readonly scope: FetchLimitScope, host: string) {
    super(scope === 'host' ? `too many concurrent fetches to ${host}` : 'too many concurrent DID fetches')
    this.name = 'FetchBusyError'
  }
}

/** True if `err` or one of its causes is a `FetchBusyError`. */
export function isTransientFetchError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as { transient?: unknown }).transient === true) return true
  }
  return false
}

export class FetchLimiter {
  private readonly perHostInFlight = new Map<string, number>()
  private total = 0

  constructor(
    private readonly limits: { perHost: number; global: number },
    private readonly onLimited: (scope: FetchLimitScope) => void = () => {},
  ) {}

  get inFlight(): number {
    return this.total
  }

  /** Takes a place for a fetch to `host`; returns its release (idempotent). Throws `FetchBusyError` when full. */
  acquire(host: string): () => void {
    const h = host.toLowerCase()
    const n = this.perHostInFlight.get(h) ?? 0
    if (n >= this.limits.perHost) {
      this.onLimited('host')
      throw new FetchBusyError('host', h)
    }
    if (this.total >= this.limits.global) {
      this.onLimited('global')
      throw new FetchBusyError('global', h)
    }
    this.perHostInFlight.set(h, n + 1)
    this.total++
    let held = true
    return () => {
      if (!held) return
      held = false
      this.total--
      const m = (this.perHostInFlight.get(h) ?? 1) - 1
      if (m <= 0) this.perHostInFlight.delete(h)
      else this.perHostInFlight.set(h, m)
    }
  }
}
