import type { BeforeFetch } from './did-key-cache.js'
import { Coalescer } from './coalesce.js'
import { isTransientFetchError } from './fetch-limiter.js'

/**
 * Bidirectional handle check: a DID document may claim any handle, so the relay puts a handle in rosters and tickets
 * only when resolving that handle gives back the same DID. Results (both outcomes) are cached per DID.
 */
export interface HandleVerifier {
  /**
   * Returns the handle if `claimedHandle` resolves back to `did`, else undefined. Never throws. Like
   * `DidKeyResolver.resolve`: a cached answer comes at once without calling `beforeFetch`; `beforeFetch` is called
   * before any wait on the network, and if it throws (or too many lookups already wait on this handle, or the fetch
   * fails transiently) the answer is undefined and nothing is cached.
   */
  verify(did: string, claimedHandle: string | undefined, beforeFetch?: BeforeFetch): Promise<string | undefined>
}

export interface CachingHandleVerifierOptions {
  ttlMs: number
  maxEntries: number
  /** Lookups that may wait on one handle's resolution at once (default 8). */
  maxWaiters?: number
  now?: () => number
}

export class CachingHandleVerifier implements HandleVerifier {
  private readonly cache = new Map<string, { handle: string | undefined; claimed: string | undefined; expiresAt: number }>()
  private readonly inflight: Coalescer<string | undefined>

  constructor(
    private readonly resolveHandle: (handle: string) => Promise<string | undefined>,
    private readonly opts: CachingHandleVerifierOptions,
  ) {
    this.inflight = new Coalescer(opts.maxWaiters ?? 8)
  }

  async verify(did: string, claimedHandle: string | undefined, beforeFetch?: BeforeFetch): Promise<string | undefined> {
    if (!claimedHandle) return undefined
    const now = (this.opts.now ?? Date.now)()
    const hit = this.cache.get(did)
    if (hit && hit.expiresAt > now && hit.claimed === claimedHandle) return hit.handle
    const key = `${did} ${claimedHandle}`
    if (this.inflight.isFull(key)) return undefined
    try {
      beforeFetch?.()
    } catch {
      return undefined // no place to wait on the network: admitted without a handle, nothing cached
    }
    return this.inflight.wait(key, () => this.lookup(did, claimedHandle))
  }

  private async lookup(did: string, claimedHandle: string): Promise<string | undefined> {
    let handle: string | undefined
    try {
      handle = (await this.resolveHandle(claimedHandle)) === did ? claimedHandle : undefined
    } catch (err) {
      if (isTransientFetchError(err)) return undefined // our fetch caps were full, or the host cannot answer now: not an answer, not cached
      handle = undefined
    }
    this.cache.delete(did)
    this.cache.set(did, { handle, claimed: claimedHandle, expiresAt: (this.opts.now ?? Date.now)() + this.opts.ttlMs })
    while (this.cache.size > this.opts.maxEntries) this.cache.delete(this.cache.keys().next().value as string)
    return handle
  }
}

/**
 * Resolves a handle through an XRPC service's `com.atproto.identity.resolveHandle` (`handleResolverUrl`): undefined
 * when the service does not know it (400), a thrown error when it cannot answer.
 */
export function xrpcHandleResolver(serviceUrl: string, opts: { timeoutMs: number; fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response> }): (handle: string) => Promise<string | undefined> {
  const base = serviceUrl.endsWith('/') ? serviceUrl : `${serviceUrl}/`
  return async (handle) => {
    const url = new URL(`xrpc/com.atproto.identity.resolveHandle?handle=${encodeURIComponent(handle)}`, base)
    const res = await opts.fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs), headers: { accept: 'application/json' } })
    if (res.status === 400 || res.status === 404) {
      await res.body?.cancel()
      return undefined
    }
    if (!res.ok) throw new Error(`handle resolver answered ${res.status}`)
    const body = (await res.json()) as { did?: unknown }
    return typeof body.did === 'string' ? body.did : undefined
  }
}

/** Never reports a handle (`verifyHandles: false`). */
export const noHandles: HandleVerifier = { verify: async () => undefined }
