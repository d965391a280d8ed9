import { isTransientFetchError } from './fetch-limiter.js'

/**
 * Bidirectional handle check: a DID document may claim any handle, so the relay puts a handle in rosters and tickets
 * only when resolving that handle gives back the same DID. Results (both outcomes) are cached per DID.
 */
export interface HandleVerifier {
  /** Returns the handle if `claimedHandle` resolves back to `did`, else undefined. Never throws. */
  verify(did: string, claimedHandle: string | undefined): Promise<string | undefined>
}

export class CachingHandleVerifier implements HandleVerifier {
  private readonly cache = new Map<string, { handle: string | undefined; claimed: string | undefined; expiresAt: number }>()
  private readonly inflight = new Map<string, Promise<string | undefined>>()

  constructor(
    private readonly resolveHandle: (handle: string) => Promise<string | undefined>,
    private readonly opts: { ttlMs: number; maxEntries: number; now?: () => number },
  ) {}

  async verify(did: string, claimedHandle: string | undefined): Promise<string | undefined> {
    if (!claimedHandle) return undefined
    const now = (this.opts.now ?? Date.now)()
    const hit = this.cache.get(did)
    if (hit && hit.expiresAt > now && hit.claimed === claimedHandle) return hit.handle
    const key = `${did} ${claimedHandle}`
    const pending = this.inflight.get(key)
    if (pending) return pending
    const p = (async () => {
      let handle: string | undefined
      try {
        handle = (await this.resolveHandle(claimedHandle)) === did ? claimedHandle : undefined
      } catch (err) {
        if (isTransientFetchError(err)) return undefined // our fetch caps were full: not an answer, not cached
        handle = undefined
      }
      this.cache.delete(did)
      this.cache.set(did, { handle, claimed: claimedHandle, expiresAt: (this.opts.now ?? Date.now)() + this.opts.ttlMs })
      while (this.cache.size > this.opts.maxEntries) this.cache.delete(this.cache.keys().next().value as string)
      return handle
    })().finally(() => this.inflight.delete(key))
    this.inflight.set(key, p)
    return p
  }
}

/** Never reports a handle (`verifyHandles: false`). */
export const noHandles: HandleVerifier = { verify: async () => undefined }
