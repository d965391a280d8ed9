/**
 * Issuer key lookup for token verification: DID -> `#atproto` signing key (as did:key) and the handle the DID
 * document claims. `DidKeyResolver` is the seam (a shared cache implements it, keeping its contract);
 * `CachingDidKeyResolver` is the in-process default: LRU of `maxEntries` for `ttlMs`, concurrent lookups for one DID
 * coalesced into one fetch with at most `maxWaiters` waiting on it, definite failures remembered for
 * `negativeTtlMs`, forced refreshes (signature mismatch) rate-limited per DID, and a good key never replaced by a
 * failed fetch.
 */
import { HandleResolver, IdResolver, getPds } from '@atproto/identity'
import type { DidDocumentLike } from '../signaling/ticket.js'
import { atprotoKeyFromDidDocument } from './did-document-key.js'
import { Coalescer } from './coalesce.js'
import { ErrorCode, RelayError } from './errors.js'
import { isFetchBusyError, isTransientFetchError } from './fetch-limiter.js'

export interface DidIdentity {
  did: string
  /** The `#atproto` verification key as a did:key (ES256 or ES256K). */
  signingKey: string
  /** Handle claimed by the DID document (`alsoKnownAs: at://...`), not verified. */
  claimedHandle?: string
  /** The account's PDS (the `#atproto_pds` endpoint), where its repo is read (the social graph). */
  pds?: string
}

/**
 * Called by a lookup before it waits on the network; throws (e.g. `RelayError(RELAY_BUSY)`) to refuse the wait.
 * The join handler passes one that takes the join's place in the handshake budget.
 */
export type BeforeFetch = () => void

export interface DidKeyResolver {
  /**
   * The issuer key of `did`. The contract every implementation keeps (the relay's defences rely on it):
   * - A cached key is answered at once: never after waiting on a fetch (its own or one in flight for the DID), and
   *   without calling `beforeFetch`.
   * - `beforeFetch` is called before the lookup waits on any fetch (starting one or joining one in flight); if it
   *   throws, the lookup fails with that error and fetches nothing.
   * - At most `maxWaiters` lookups wait on one DID's fetch; one more fails at once with `RELAY_BUSY`.
   * - `forceRefresh` (the signature did not verify under the cached key) refetches at most once per
   *   `minRefreshIntervalMs` per DID, failed attempts included; otherwise the cached key is answered.
   * - A failed fetch never replaces a good key: a failed refresh answers the cached key; when the refetch of an
   *   expired key fails transiently, the old key is answered for up to `staleIfErrorMs` past its expiry.
   * - Only a definite failure (no such DID, no usable `#atproto` key, a document we refuse) is remembered, for
   *   `negativeTtlMs`, as `AUTH_DID_UNRESOLVABLE`. An upstream that cannot answer now (timeout, 429, 5xx) is
   *   `AUTH_DID_UNAVAILABLE` and our own fetch caps are `RELAY_BUSY`; neither is remembered.
   */
  resolve(did: string, forceRefresh: boolean, beforeFetch?: BeforeFetch): Promise<DidIdentity>
}

export interface DidKeyCacheStats {
  hits: number
  misses: number
  negativeHits: number
  /** Expired keys answered because their refetch failed transiently. */
  staleHits: number
  fetches: number
  coalesced: number
  /** Lookups refused because `maxWaiters` were already waiting on the DID's fetch. */
  waitersRefused: number
  size: number
}

export interface CachingDidKeyResolverOptions {
  /** Fetches and parses a DID document; throws on failure (transient errors flagged `transient: true`). */
  fetchIdentity: (did: string) => Promise<DidIdentity>
  ttlMs: number
  maxEntries: number
  negativeTtlMs: number
  minRefreshIntervalMs: number
  /** Lookups that may wait on one DID's fetch at once (the one that started it included). */
  maxWaiters: number
  /** How long past its expiry a key is still answered while its refetch fails transiently. */
  staleIfErrorMs: number
  /** Called when a lookup is refused for `maxWaiters` (metrics). */
  onWaitersFull?: () => void
  now?: () => number
}

interface Entry {
  value?: DidIdentity
  error?: string
  fetchedAt: number
  expiresAt: number
  /** Start of the last fetch for this DID, failed or not: rate-limits refreshes. */
  attemptedAt: number
}

export class CachingDidKeyResolver implements DidKeyResolver {
  private readonly entries = new Map<string, Entry>()
  private readonly inflight: Coalescer<DidIdentity>
  private readonly counters = { hits: 0, misses: 0, negativeHits: 0, staleHits: 0, fetches: 0, coalesced: 0, waitersRefused: 0 }
  private readonly now: () => number

  constructor(private readonly opts: CachingDidKeyResolverOptions) {
    this.now = opts.now ?? Date.now
    this.inflight = new Coalescer(opts.maxWaiters)
  }

  get stats(): DidKeyCacheStats {
    return { ...this.counters, size: this.entries.size }
  }

  clear(): void {
    this.entries.clear()
  }

  async resolve(did: string, forceRefresh: boolean, beforeFetch?: BeforeFetch): Promise<DidIdentity> {
    const now = this.now()
    const entry = this.entries.get(did)
    if (entry) {
      const fresh = entry.expiresAt > now
      const triedRecently = now - entry.attemptedAt < this.opts.minRefreshIntervalMs
      if (fresh && (!forceRefresh || !entry.value || triedRecently)) return this.answer(did, entry)
      const refetchedSince = entry.attemptedAt > entry.fetchedAt // a refetch started after this key came: in flight or failed
      if (!fresh && entry.value && refetchedSince && triedRecently && now < entry.expiresAt + this.opts.staleIfErrorMs) {
        // the refetch of this expired key started a moment ago (in flight, or failed): the old key, rather than ask again
        this.counters.staleHits++
        return entry.value
      }
    }
    if (this.inflight.isFull(did)) {
      this.counters.waitersRefused++
      this.opts.onWaitersFull?.()
      throw new RelayError(ErrorCode.RELAY_BUSY, `too many joins waiting for the DID document of ${did}, retry shortly`)
    }
    beforeFetch?.()
    if (this.inflight.has(did)) this.counters.coalesced++
    else {
      this.counters.misses++
      if (entry) entry.attemptedAt = now
    }
    return this.inflight.wait(did, () => this.fetch(did))
  }

  private answer(did: string, entry: Entry): DidIdentity {
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

  private async fetch(did: string): Promise<DidIdentity> {
    this.counters.fetches++
    const attemptedAt = this.now()
    try {
      const value = await this.opts.fetchIdentity(did)
      const t = this.now()
      this.store(did, { value, fetchedAt: t, expiresAt: t + this.opts.ttlMs, attemptedAt })
      return value
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      const transient = isTransientFetchError(err)
      const t = this.now()
      const good = this.entries.get(did)
      if (good?.value) {
        // A failed refresh never replaces a good key: the caller verifies against the cached one (and fails as before).
        if (good.expiresAt > t) return good.value
        if (transient && t < good.expiresAt + this.opts.staleIfErrorMs) {
          this.counters.staleHits++
          return good.value
        }
      }
      // Our own fetch caps, not the DID's fault: answer busy, remember nothing.
      if (isFetchBusyError(err)) throw new RelayError(ErrorCode.RELAY_BUSY, 'too many DID document fetches in flight, retry shortly', { cause: err })
      // The upstream cannot answer now: says nothing about the DID, remember nothing.
      if (transient) throw new RelayError(ErrorCode.AUTH_DID_UNAVAILABLE, `DID document of ${did} unavailable now: ${message}`, { cause: err })
      this.store(did, { error: message, fetchedAt: t, expiresAt: t + this.opts.negativeTtlMs, attemptedAt })
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
    const pds = getPds(doc)
    if (pds) identity.pds = pds
    return identity
  }
}

/**
 * Handle resolution (handle -> DID) with `@atproto/identity` (DNS TXT, then HTTPS well-known through the fetch).
 * `HandleResolver` swallows fetch errors; a transient one (our own concurrency caps, or a host that cannot answer now)
 * is rethrown so that the handle verifier does not cache "no handle" for an honest user.
 */
export function handleResolverFrom(opts: { timeoutMs: number; fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response> }): (handle: string) => Promise<string | undefined> {
  type Fetch = NonNullable<ConstructorParameters<typeof HandleResolver>[0]>['fetch']
  return async (handle) => {
    let transient: unknown
    const fetch = async (input: string | URL | Request, init?: RequestInit) => {
      try {
        return await opts.fetch(input, init)
      } catch (err) {
        if (isTransientFetchError(err)) transient = err
        throw err
      }
    }
    const did = await new HandleResolver({ timeout: opts.timeoutMs, fetch: fetch as Fetch }).resolve(handle)
    if (did === undefined && transient !== undefined) throw transient
    return did
  }
}
