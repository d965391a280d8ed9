/**
 * Issuer key lookup for token verification: DID -> `#atproto` signing key (as did:key) and the handle the DID
 * document claims. `DidKeyResolver` is the seam (a shared cache could implement it); `CachingDidKeyResolver` is the
 * in-process default: LRU of `maxEntries` for `ttlMs`, concurrent lookups for one DID coalesced into one fetch,
 * failures remembered for `negativeTtlMs`, and forced refreshes (signature mismatch) rate-limited per DID.
 */
import { HandleResolver, IdResolver } from '@atproto/identity'
import { atprotoKeyFromDidDocument, type DidDocumentLike } from '../signaling/ticket.js'
import { ErrorCode, RelayError } from './errors.js'
import { isTransientFetchError } from './fetch-limiter.js'

export interface DidIdentity {
  did: string
  /** The `#atproto` verification key as a did:key (ES256 or ES256K). */
  signingKey: string
  /** Handle claimed by the DID document (`alsoKnownAs: at://...`), not verified. */
  claimedHandle?: string
}

export interface DidKeyResolver {
  /** Throws `RelayError(AUTH_DID_UNRESOLVABLE)` when the DID cannot be resolved to a signing key. */
  resolve(did: string, forceRefresh: boolean): Promise<DidIdentity>
}

export interface DidKeyCacheStats {
  hits: number
  misses: number
  negativeHits: number
  fetches: number
  coalesced: number
  size: number
}

export interface CachingDidKeyResolverOptions {
  /** Fetches and parses a DID document; throws on failure. */
  fetchIdentity: (did: string) => Promise<DidIdentity>
  ttlMs: number
  maxEntries: number
  negativeTtlMs: number
  minRefreshIntervalMs: number
  now?: () => number
}

interface Entry {
  value?: DidIdentity
  error?: string
  fetchedAt: number
  expiresAt: number
}

export class CachingDidKeyResolver implements DidKeyResolver {
  private readonly entries = new Map<string, Entry>()
  private readonly inflight = new Map<string, Promise<DidIdentity>>()
  private readonly counters = { hits: 0, misses: 0, negativeHits: 0, fetches: 0, coalesced: 0 }
  private readonly now: () => number

  constructor(private readonly opts: CachingDidKeyResolverOptions) {
    this.now = opts.now ?? Date.now
  }

  get stats(): DidKeyCacheStats {
    return { ...this.counters, size: this.entries.size }
  }

  clear(): void {
    this.entries.clear()
  }

  async resolve(did: string, forceRefresh: boolean): Promise<DidIdentity> {
    const now = this.now()
    const entry = this.entries.get(did)
    if (entry && entry.expiresAt > now) {
      const fresh = now - entry.fetchedAt < this.opts.minRefreshIntervalMs
      if (!forceRefresh || fresh) {
        // LRU touch
        this.entries.delete(did)
        this.entries.set(did, entry)
        if (entry.value) {
          this.counters.hits++
          return entry.value
        }
        this.counters.negativeHits++
        throw new RelayError(ErrorCode.AUTH_DID_UNRESOLVABLE, `DID ${did} could not be resolved (cached): ${entry.error}`)
      }
    }
    const pending = this.inflight.get(did)
    if (pending) {
      this.counters.coalesced++
      return pending
    }
    this.counters.misses++
    const p = this.fetch(did).finally(() => this.inflight.delete(did))
    this.inflight.set(did, p)
    return p
  }

  private async fetch(did: string): Promise<DidIdentity> {
    this.counters.fetches++
    try {
      const value = await this.opts.fetchIdentity(did)
      const t = this.now()
      this.store(did, { value, fetchedAt: t, expiresAt: t + this.opts.ttlMs })
      return value
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      // Our own fetch caps, not the DID's fault: answer busy, remember nothing.
      if (isTransientFetchError(err)) throw new RelayError(ErrorCode.RELAY_BUSY, 'too many DID document fetches in flight, retry shortly', { cause: err })
      const t = this.now()
      this.store(did, { error: message, fetchedAt: t, expiresAt: t + this.opts.negativeTtlMs })
      throw new RelayError(ErrorCode.AUTH_DID_UNRESOLVABLE, `DID ${did} could not be resolved: ${message}`, { cause: err })
    }
  }

  private store(did: string, entry: Entry): void {
    this.entries.delete(did)
    this.entries.set(did, entry)
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
    }
  }
}

/** Fetches a DID document with `@atproto/identity` (through the given fetch) and extracts key and claimed handle. */
export function identityFetcher(opts: { plcUrl: string; timeoutMs: number; fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response> }): (did: string) => Promise<DidIdentity> {
  // No cache inside IdResolver: CachingDidKeyResolver is the cache.
  const resolver = new IdResolver({ plcUrl: opts.plcUrl, timeout: opts.timeoutMs, fetch: opts.fetch as NonNullable<ConstructorParameters<typeof IdResolver>[0]>['fetch'] })
  return async (did: string) => {
    const doc = await resolver.did.resolve(did, true)
    if (!doc) throw new Error('DID document not found')
    const signingKey = atprotoKeyFromDidDocument(doc as DidDocumentLike)
    if (!signingKey) throw new Error('DID document has no usable #atproto key')
    const aka = (doc.alsoKnownAs ?? []).find((a) => a.startsWith('at://'))
    const identity: DidIdentity = { did, signingKey }
    if (aka) identity.claimedHandle = aka.slice('at://'.length).toLowerCase()
    return identity
  }
}

/**
 * Handle resolution (handle -> DID) with `@atproto/identity` (DNS TXT, then HTTPS well-known through the fetch).
 * `HandleResolver` swallows fetch errors; a fetch refused by our own concurrency caps is rethrown so that the handle
 * verifier does not cache "no handle" for an honest user.
 */
export function handleResolverFrom(opts: { timeoutMs: number; fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response> }): (handle: string) => Promise<string | undefined> {
  type Fetch = NonNullable<ConstructorParameters<typeof HandleResolver>[0]>['fetch']
  return async (handle) => {
    let busy: unknown
    const fetch = async (input: string | URL | Request, init?: RequestInit) => {
      try {
        return await opts.fetch(input, init)
      } catch (err) {
        if (isTransientFetchError(err)) busy = err
        throw err
      }
    }
    const did = await new HandleResolver({ timeout: opts.timeoutMs, fetch: fetch as Fetch }).resolve(handle)
    if (did === undefined && busy !== undefined) throw busy
    return did
  }
}
