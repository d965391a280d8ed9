/**
 * Concurrency caps for the relay's outbound fetches. Untrusted hosts (did:web documents, handle well-knowns): at
 * most `perHost` at once to one host name (ports share it) and `global` at once relay-wide. The trusted origin (the
 * PLC directory) has a cap of its own, `trusted`, apart from `global`: an attack through did:web hosts never starves
 * did:plc resolution, and PLC requests stay bounded. Over a cap the fetch is refused at once with a
 * `FetchBusyError` (no queue: the join is answered 503 RELAY_BUSY and may retry); that error is transient, so the
 * DID and handle caches never remember it as a failure of the DID.
 *
 * A shared (multi-process) limiter must keep these rules: refuse at once rather than queue, and keep the trusted
 * origin's budget apart from the untrusted one.
 */

export type FetchLimitScope = 'host' | 'global' | 'plc'

export class FetchBusyError extends Error {
  /** Says nothing about the DID: never negatively cached. */
  readonly transient = true
  constructor(readonly scope: FetchLimitScope, host: string) {
    super(scope === 'host' ? `too many concurrent fetches to ${host}` : scope === 'plc' ? 'too many concurrent PLC directory fetches' : 'too many concurrent DID fetches')
    this.name = 'FetchBusyError'
  }
}

/** Whether `err` or one of its causes passes `test`. */
function inCauses(err: unknown, test: (e: Error) => boolean): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (test(e)) return true
  }
  return false
}

/** True if `err` or one of its causes is transient: our own fetch caps, or an upstream that cannot answer now. */
export function isTransientFetchError(err: unknown): boolean {
  return inCauses(err, (e) => (e as { transient?: unknown }).transient === true)
}

/** True if `err` or one of its causes is a `FetchBusyError` (our own caps, not the upstream's). */
export function isFetchBusyError(err: unknown): boolean {
  return inCauses(err, (e) => e instanceof FetchBusyError)
}

export class FetchLimiter {
  private readonly perHostInFlight = new Map<string, number>()
  private untrusted = 0
  private trustedInFlight = 0

  constructor(
    private readonly limits: { perHost: number; global: number; trusted: number },
    private readonly onLimited: (scope: FetchLimitScope) => void = () => {},
  ) {}

  /** Fetches in flight, trusted origin included. */
  get inFlight(): number {
    return this.untrusted + this.trustedInFlight
  }

  /** Takes a place for a fetch to the trusted origin (PLC); returns its release (idempotent). Throws `FetchBusyError` when full. */
  acquireTrusted(): () => void {
    if (this.trustedInFlight >= this.limits.trusted) {
      this.onLimited('plc')
      throw new FetchBusyError('plc', 'plc')
    }
    this.trustedInFlight++
    return once(() => this.trustedInFlight--)
  }

  /** Takes a place for a fetch to untrusted `host`; returns its release (idempotent). Throws `FetchBusyError` when full. */
  acquire(host: string): () => void {
    const h = host.toLowerCase()
    const n = this.perHostInFlight.get(h) ?? 0
    if (n >= this.limits.perHost) {
      this.onLimited('host')
      throw new FetchBusyError('host', h)
    }
    if (this.untrusted >= this.limits.global) {
      this.onLimited('global')
      throw new FetchBusyError('global', h)
    }
    this.perHostInFlight.set(h, n + 1)
    this.untrusted++
    return once(() => {
      this.untrusted--
      const m = (this.perHostInFlight.get(h) ?? 1) - 1
      if (m <= 0) this.perHostInFlight.delete(h)
      else this.perHostInFlight.set(h, m)
    })
  }
}

function once(fn: () => void): () => void {
  let held = true
  return () => {
    if (!held) return
    held = false
    fn()
  }
}
