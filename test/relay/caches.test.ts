/** The in-process caches behind admission: issuer keys (TTL, LRU bound, negative entries, refresh limits) and jti replay. */
import { describe, expect, it } from 'vitest'
import { CachingDidKeyResolver, CachingHandleVerifier, MemoryReplayCache, RelayError } from '../../src/relay/index.js'
import { FetchBusyError } from '../../src/relay/fetch-limiter.js'

type Failure = false | 'definite' | 'transient' | 'busy'
type ResolverOpts = { ttlMs: number; maxEntries: number; negativeTtlMs: number; minRefreshIntervalMs: number; maxWaiters: number; staleIfErrorMs: number; delayMs: number }

function resolver(opts: Partial<ResolverOpts> = {}) {
  let now = 1_000_000
  const calls: string[] = []
  let fail: Failure = false
  const r = new CachingDidKeyResolver({
    fetchIdentity: async (did) => {
      calls.push(did)
      const failure = fail
      await new Promise((res) => setTimeout(res, opts.delayMs ?? 5))
      if (failure === 'definite') throw new Error('down')
      if (failure === 'transient') throw Object.assign(new Error('429 from the PLC directory'), { transient: true })
      if (failure === 'busy') throw new FetchBusyError('plc', 'plc')
      return { did, signingKey: `did:key:${did}:${calls.length}` }
    },
    ttlMs: opts.ttlMs ?? 300_000,
    maxEntries: opts.maxEntries ?? 10_000,
    negativeTtlMs: opts.negativeTtlMs ?? 60_000,
    minRefreshIntervalMs: opts.minRefreshIntervalMs ?? 10_000,
    maxWaiters: opts.maxWaiters ?? 8,
    staleIfErrorMs: opts.staleIfErrorMs ?? 600_000,
    now: () => now,
  })
  return { r, calls, tick: (ms: number) => (now += ms), setFail: (f: Failure | boolean) => (fail = f === true ? 'definite' : f) }
}

/** A `beforeFetch` that counts its calls, and refuses when told to. */
function gate(refuse = false) {
  const g = {
    calls: 0,
    enter: () => {
      g.calls++
      if (refuse) throw new RelayError('RELAY_BUSY', 'no place')
    },
  }
  return g
}

describe('CachingDidKeyResolver', () => {
  it('caches for ttlMs, then fetches again', async () => {
    const { r, calls, tick } = resolver({ ttlMs: 1000 })
    await r.resolve('did:a', false)
    await r.resolve('did:a', false)
    expect(calls).toEqual(['did:a'])
    tick(1001)
    await r.resolve('did:a', false)
    expect(calls).toEqual(['did:a', 'did:a'])
  })

  it('coalesces concurrent lookups, including forced refreshes', async () => {
    const { r, calls, tick } = resolver()
    await Promise.all([r.resolve('did:a', false), r.resolve('did:a', false), r.resolve('did:a', false)])
    expect(calls).toHaveLength(1)
    expect(r.stats.coalesced).toBe(2)
    tick(20_000)
    await Promise.all([r.resolve('did:a', true), r.resolve('did:a', true)])
    expect(calls).toHaveLength(2)
  })

  it('a forced refresh within minRefreshIntervalMs of the last fetch reuses it', async () => {
    const { r, calls, tick } = resolver({ minRefreshIntervalMs: 10_000 })
    await r.resolve('did:a', false)
    await r.resolve('did:a', true)
    expect(calls).toHaveLength(1)
    tick(10_001)
    await r.resolve('did:a', true)
    expect(calls).toHaveLength(2)
  })

  it('keeps at most maxEntries, evicting the least recently used', async () => {
    const { r, calls } = resolver({ maxEntries: 2 })
    await r.resolve('did:a', false)
    await r.resolve('did:b', false)
    await r.resolve('did:a', false) // touch a
    await r.resolve('did:c', false) // evicts b
    expect(r.stats.size).toBe(2)
    await r.resolve('did:a', false)
    expect(calls).toEqual(['did:a', 'did:b', 'did:c'])
    await r.resolve('did:b', false)
    expect(calls).toEqual(['did:a', 'did:b', 'did:c', 'did:b'])
  })

  it('remembers failures for negativeTtlMs as AUTH_DID_UNRESOLVABLE', async () => {
    const { r, calls, tick, setFail } = resolver({ negativeTtlMs: 60_000 })
    setFail(true)
    await expect(r.resolve('did:x', false)).rejects.toMatchObject({ code: 'AUTH_DID_UNRESOLVABLE' })
    setFail(false)
    const again = await r.resolve('did:x', false).catch((e: unknown) => e)
    expect(again).toBeInstanceOf(RelayError)
    expect(calls).toHaveLength(1)
    tick(60_001)
    expect((await r.resolve('did:x', false)).did).toBe('did:x')
    expect(calls).toHaveLength(2)
  })
})

describe('CachingDidKeyResolver contract (what a shared implementation keeps)', () => {
  it('a cached key is answered at once, without beforeFetch, even while a refresh of it is in flight', async () => {
    const { r, calls, tick } = resolver({ delayMs: 50, minRefreshIntervalMs: 1000 })
    const g = gate()
    const first = await r.resolve('did:a', false, g.enter)
    expect(g.calls).toBe(1)
    tick(2000)
    let refreshed = false
    const refreshing = r.resolve('did:a', true, g.enter).then(() => (refreshed = true)) // a bad signature: refetch (50 ms)
    expect(g.calls).toBe(2)
    const cachedGate = gate(true) // would refuse: must not be asked
    expect(await r.resolve('did:a', false, cachedGate.enter)).toEqual(first)
    expect(await r.resolve('did:a', true, cachedGate.enter)).toEqual(first) // another bad signature: rate-limited, from the cache
    expect(refreshed).toBe(false) // answered while the refetch is still in flight: they did not wait behind it
    expect(cachedGate.calls).toBe(0)
    await refreshing
    expect(calls).toHaveLength(2)
  })

  it('beforeFetch is asked before any wait on a fetch; when it refuses, nothing is fetched', async () => {
    const { r, calls } = resolver()
    await expect(r.resolve('did:a', false, gate(true).enter)).rejects.toMatchObject({ code: 'RELAY_BUSY' })
    expect(calls).toHaveLength(0)
    const g = gate()
    const starting = r.resolve('did:b', false, g.enter)
    const joining = r.resolve('did:b', false, g.enter) // joins the fetch in flight: asked too
    await Promise.all([starting, joining])
    expect(g.calls).toBe(2)
    expect(calls).toEqual(['did:b'])
  })

  it('at most maxWaiters lookups wait on one DID; one more is refused at once with RELAY_BUSY', async () => {
    const { r, calls } = resolver({ maxWaiters: 3, delayMs: 30 })
    const waiting = [r.resolve('did:a', false), r.resolve('did:a', false), r.resolve('did:a', false)]
    await expect(r.resolve('did:a', false)).rejects.toMatchObject({ code: 'RELAY_BUSY' })
    expect((await r.resolve('did:b', false)).did).toBe('did:b') // other DIDs are not affected
    await Promise.all(waiting)
    expect(calls).toEqual(['did:a', 'did:b'])
    expect(r.stats.waitersRefused).toBe(1)
    expect((await r.resolve('did:a', false)).did).toBe('did:a') // cached: no wait at all
  })

  it.each(['transient', 'definite', 'busy'] as const)('a failed refresh (%s) never replaces the good key, and failed attempts are rate-limited too', async (failure) => {
    const { r, calls, tick, setFail } = resolver({ minRefreshIntervalMs: 1000 })
    const good = await r.resolve('did:a', false)
    tick(1001)
    setFail(failure)
    expect(await r.resolve('did:a', true)).toEqual(good) // the caller verifies against the cached key (and fails as before)
    expect(await r.resolve('did:a', true)).toEqual(good) // within minRefreshIntervalMs of the failed attempt: not refetched
    expect(calls).toHaveLength(2)
    expect(await r.resolve('did:a', false)).toEqual(good)
    setFail(false)
    tick(1001)
    expect(await r.resolve('did:a', true)).not.toEqual(good) // the upstream answers again: the refresh goes through
  })

  it('an upstream outage is AUTH_DID_UNAVAILABLE and our own caps RELAY_BUSY; neither is remembered', async () => {
    const { r, calls, setFail } = resolver()
    setFail('transient')
    await expect(r.resolve('did:x', false)).rejects.toMatchObject({ code: 'AUTH_DID_UNAVAILABLE' })
    setFail('busy')
    await expect(r.resolve('did:x', false)).rejects.toMatchObject({ code: 'RELAY_BUSY' })
    setFail(false)
    expect((await r.resolve('did:x', false)).did).toBe('did:x') // at once: no negative entry
    expect(calls).toHaveLength(3)
  })

  it('an expired key whose refetch fails transiently is answered for staleIfErrorMs past its expiry, then refused', async () => {
    const { r, calls, tick, setFail } = resolver({ ttlMs: 1000, staleIfErrorMs: 5000, minRefreshIntervalMs: 100 })
    const good = await r.resolve('did:a', false)
    tick(1500)
    setFail('transient')
    expect(await r.resolve('did:a', false)).toEqual(good)
    expect(await r.resolve('did:a', false)).toEqual(good) // tried a moment ago: not asked again
    expect(calls).toHaveLength(2)
    tick(200)
    expect(await r.resolve('did:a', false)).toEqual(good)
    expect(calls).toHaveLength(3)
    expect(r.stats.staleHits).toBe(3)
    tick(5000)
    await expect(r.resolve('did:a', false)).rejects.toMatchObject({ code: 'AUTH_DID_UNAVAILABLE' })
    setFail('definite') // the authority says the DID has no key any more: an expired key is not kept
    tick(200)
    await expect(r.resolve('did:a', false)).rejects.toMatchObject({ code: 'AUTH_DID_UNRESOLVABLE' })
  })
})

describe('CachingHandleVerifier', () => {
  it('answers a cached handle without beforeFetch; a refused or crowded wait gives no handle and caches nothing', async () => {
    const lookups: string[] = []
    const v = new CachingHandleVerifier(
      async (h) => {
        lookups.push(h)
        await new Promise((r) => setTimeout(r, 20))
        return 'did:a'
      },
      { ttlMs: 60_000, maxEntries: 10, maxWaiters: 2 },
    )
    expect(await v.verify('did:a', 'a.test', gate(true).enter)).toBeUndefined() // no place to wait: admitted without a handle
    expect(lookups).toEqual([])
    const waiting = [v.verify('did:a', 'a.test'), v.verify('did:a', 'a.test')]
    expect(await v.verify('did:a', 'a.test')).toBeUndefined() // a third waiter on the same handle
    expect(await Promise.all(waiting)).toEqual(['a.test', 'a.test'])
    const g = gate(true)
    expect(await v.verify('did:a', 'a.test', g.enter)).toBe('a.test') // cached: the gate is not asked
    expect(g.calls).toBe(0)
    expect(lookups).toEqual(['a.test'])
  })
})

describe('MemoryReplayCache', () => {
  it('refuses a key until it expires, and fails closed when full of live keys', async () => {
    let now = 0
    const c = new MemoryReplayCache({ maxEntries: 2, now: () => now })
    expect(await c.checkAndStore('a', 1000)).toBe('fresh')
    expect(await c.checkAndStore('a', 1000)).toBe('replayed')
    expect(await c.checkAndStore('b', 5000)).toBe('fresh')
    expect(await c.checkAndStore('c', 5000)).toBe('full')
    now = 1001 // 'a' expired: swept to make room
    expect(await c.checkAndStore('c', 5000)).toBe('fresh')
    expect(await c.checkAndStore('a', 9000)).toBe('full')
    expect(c.size).toBe(2)
  })
})
