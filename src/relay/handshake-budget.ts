/**
 * The handshake budget: how many joins may wait on the network at once (an issuer key or a handle being fetched),
 * relay-wide (`maxConcurrentHandshakes`) and per client address (`maxHandshakesPerAddress`; IPv6 counted per /64).
 * A join takes its place lazily, on its first network wait: a join whose issuer key is cached takes none, so it is
 * never refused nor delayed by joins waiting on slow DID hosts.
 *
 * `HandshakeBudget` is the seam (a shared implementation counts across relay processes and keeps these rules:
 * refuse at once rather than queue, both caps checked, places released exactly once); `LocalHandshakeBudget` is the
 * in-process default.
 */
import { isIPv6 } from 'node:net'
import type { BeforeFetch } from './did-key-cache.js'
import { ErrorCode, RelayError } from './errors.js'
import type { Slot } from './slots.js'

export type HandshakeLimitScope = 'relay' | 'address'

export interface HandshakeBudget {
  /** Takes a place for one join from `address`, or says which cap is full. */
  tryAcquire(address: string): Slot | HandshakeLimitScope
  /** Places held now. */
  readonly inFlight: number
}

export class LocalHandshakeBudget implements HandshakeBudget {
  private total = 0
  private readonly perAddress = new Map<string, number>()

  constructor(private readonly limits: { relay: number; perAddress: number }) {}

  get inFlight(): number {
    return this.total
  }

  tryAcquire(address: string): Slot | HandshakeLimitScope {
    const key = addressKey(address)
    const n = this.perAddress.get(key) ?? 0
    if (n >= this.limits.perAddress) return 'address'
    if (this.total >= this.limits.relay) return 'relay'
    this.perAddress.set(key, n + 1)
    this.total++
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        this.total--
        const m = (this.perAddress.get(key) ?? 1) - 1
        if (m <= 0) this.perAddress.delete(key)
        else this.perAddress.set(key, m)
      },
    }
  }
}

/** What one client address counts as: an IPv4 address, or the /64 of an IPv6 one (IPv4-mapped IPv6 as IPv4). */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1]
  if (!isIPv6(address)) return address
  const [head, tail = ''] = address.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`
}

/**
 * One join's use of the budget: `enter` (a `BeforeFetch`) takes the join's place on the first network wait and is
 * a no-op after that; over a cap it throws `RelayError(RELAY_BUSY)`. `release` gives the place back (idempotent);
 * `enter` after `release` throws, so work that outlives its join (past the deadline) cannot take a place again.
 */
export function handshakeGate(budget: HandshakeBudget, address: string, onLimited: (scope: HandshakeLimitScope) => void): { enter: BeforeFetch; release(): void } {
  let place: Slot | undefined
  let closed = false
  return {
    enter() {
      if (closed) throw new RelayError(ErrorCode.RELAY_BUSY, 'join verification already ended')
      if (place) return
      const got = budget.tryAcquire(address)
      if (typeof got === 'string') {
        onLimited(got)
        throw new RelayError(
          ErrorCode.RELAY_BUSY,
          got === 'address' ? 'too many joins from your address are being verified, retry shortly' : 'too many joins are being verified, retry shortly',
        )
      }
      place = got
    },
    release() {
      closed = true
      place?.release()
    },
  }
}
