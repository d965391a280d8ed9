/** The in-process caches behind admission: issuer keys (TTL, LRU bound, negative entries, refresh limits) and jti replay. */
import { describe, expect, it } from 'vitest'
import { CachingDidKeyResolver, MemoryReplayCache, RelayError } from '../../src/relay/index.js'

function resolver(opts: Partial<{ ttlMs: number; maxEntries: number; negativeTtlMs: number; minRefreshIntervalMs: number }> = {}) {
  let now = 1_000_000
  const calls: string[] = []
  let fail = false
  const r = new CachingDidKeyResolver({
    fetchIdentity: async (did) => {
      calls.push(did)
      await new Promise((res) => setTimeout(res, 5))
      if (fail) throw new Error('down')
      return { did, signingKey: `did:key:${did}:${calls.length}` }
    },
    ttlMs: opts.ttlMs ?? 300_000,
    maxEntries: opts.maxEntries ?? 10_000,
    negativeTtlMs: opts.negativeTtlMs ?? 60_000,
    minRefreshIntervalMs: opts.minRefreshIntervalMs ?? 10_000,
    now: () => now,
  })
  return { r, calls, tick: (ms: number) => (now += ms), setFail: (f: boolean) => (fail = f) }
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
