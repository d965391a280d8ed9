/**
 * The lobby's request rate per client address (an IPv6 address counts as its /64): one token bucket per address,
 * `burst` requests at once, refilled at `perSec`. At most `maxAddresses` buckets are kept; past that the least
 * recently used one is forgotten (that address starts again with a full bucket: the cap bounds memory, the per-address
 * rate still holds for every address seen recently).
 */
import { addressKey } from '../handshake-budget.js'
import { TokenBucket } from '../rate-limit.js'

export class AddressRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor(private readonly opts: { burst: number; perSec: number; maxAddresses: number }, private readonly now?: () => number) {}

  /** Takes one request's token for `address`; false when its bucket is empty. */
  take(address: string): boolean {
    const key = addressKey(address)
    let bucket = this.buckets.get(key)
    if (bucket) this.buckets.delete(key) // re-inserted below: the Map's order is the order of last use
    else {
      if (this.buckets.size >= this.opts.maxAddresses) this.buckets.delete(this.buckets.keys().next().value as string)
      bucket = new TokenBucket(this.opts.burst, this.opts.perSec, this.now)
    }
    this.buckets.set(key, bucket)
    return bucket.take()
  }

  /** Addresses remembered. */
  get size(): number {
    return this.buckets.size
  }
}
