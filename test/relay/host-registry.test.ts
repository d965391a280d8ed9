/**
 * For host mode: the in-process host registry picks the least-loaded live host of a region with seats free, counts
 * what it hands out until the next heartbeat, and fails over when a host stops heartbeating. Virtual clock.
 */
import { describe, expect, it } from 'vitest'
import { LocalHostRegistry } from '../../src/relay/index.js'

const t0 = 1_800_000_000_000 + Math.floor(Math.random() * 1e9)

describe('LocalHostRegistry', () => {
  it('picks the least loaded live host of the region with the seats free, and counts the seats it handed out', () => {
    const r = new LocalHostRegistry({ ttlMs: 10_000, maxHosts: 8 })
    r.heartbeat({ id: 'eu-a', region: 'eu', capacity: 16, load: 8 }, t0)
    r.heartbeat({ id: 'eu-b', region: 'eu', capacity: 32, load: 8 }, t0)
    r.heartbeat({ id: 'us-a', region: 'us', capacity: 64, load: 0 }, t0)
    expect(r.pick('eu', 4, t0)?.id).toBe('eu-b') // 8/32 < 8/16
    expect(r.pick('eu', 4, t0)?.id).toBe('eu-b') // 12/32 < 8/16
    expect(r.pick('eu', 4, t0)?.id).toBe('eu-a') // 16/32 = 8/16: the smaller id
    expect(r.pick('eu', 40, t0)).toBeNull()
    expect(r.pick('ap', 1, t0)).toBeNull()
  })

  it('fails over: a host silent for ttlMs is no longer picked; a full registry refuses a new host', () => {
    const r = new LocalHostRegistry({ ttlMs: 10_000, maxHosts: 2 })
    r.heartbeat({ id: 'a', region: 'eu', capacity: 10, load: 0 }, t0)
    r.heartbeat({ id: 'b', region: 'eu', capacity: 10, load: 5 }, t0)
    expect(r.heartbeat({ id: 'c', region: 'eu', capacity: 10, load: 0 }, t0 + 1)).toBe(false)
    expect(r.pick('eu', 2, t0 + 1)?.id).toBe('a')
    r.heartbeat({ id: 'b', region: 'eu', capacity: 10, load: 5 }, t0 + 9_000)
    expect(r.pick('eu', 2, t0 + 10_000)?.id).toBe('b') // a went silent
    expect(r.list(t0 + 10_000).map((h) => h.id)).toEqual(['b'])
    expect(r.heartbeat({ id: 'c', region: 'eu', capacity: 10, load: 0 }, t0 + 10_000)).toBe(true)
  })
})
