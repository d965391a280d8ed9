import { describe, expect, it } from 'vitest'
import { createMemoryNetwork, type LinkOptions } from '../../src/transport/memory/index.js'

function collect(seed: number, link: LinkOptions) {
  const hub = createMemoryNetwork({ seed, link })
  const a = hub.join('a')
  const b = hub.join('b', { did: 'did:plc:bob' })
  const got: { ch: string; n: number; t: number }[] = []
  b.on('message', (_from, ch, data) => got.push({ ch, n: data[0] | (data[1] << 8), t: hub.now }))
  hub.advance(0)
  for (let i = 0; i < 1000; i++) {
    a.send('b', 'unreliable', new Uint8Array([i & 0xff, i >> 8]))
    a.send('b', 'reliable', new Uint8Array([i & 0xff, i >> 8]))
    hub.advance(1)
  }
  hub.advance(2000)
  return { hub, a, b, got }
}

describe('MemoryTransport link simulator', () => {
  it('joins announce both sides with identities; disconnect and close announce leaves', () => {
    const hub = createMemoryNetwork()
    const a = hub.join('a')
    const events: string[] = []
    a.on('peerJoined', (p) => events.push(`join ${p.id} ${p.did}`))
    a.on('peerLeft', (id, why) => events.push(`left ${id} ${why}`))
    const b = hub.join('b', { did: 'did:plc:b' })
    hub.advance(0)
    expect(events).toEqual(['join b did:plc:b'])
    expect([...b.peers.keys()]).toEqual(['a'])
    b.disconnect('a', 'bye')
    hub.advance(0)
    expect(events).toEqual(['join b did:plc:b', 'left b bye'])
    expect(a.peers.size).toBe(0)
  })

  it('a listener that throws does not keep the others from hearing the message; the error is reported, not lost', async () => {
    const hub = createMemoryNetwork()
    const a = hub.join('a')
    const b = hub.join('b')
    const heard: string[] = []
    b.on('message', () => {
      throw new Error('first listener fails')
    })
    b.on('message', (from, ch) => heard.push(`${from} ${ch}`))
    hub.advance(0)
    const reported: unknown[] = []
    const onError = (e: unknown) => reported.push(e)
    process.on('uncaughtException', onError)
    try {
      a.send('b', 'reliable', new Uint8Array([1]))
      hub.advance(1)
      await new Promise((r) => setTimeout(r, 0))
    } finally {
      process.off('uncaughtException', onError)
    }
    expect(heard).toEqual(['a reliable'])
    expect(reported.map((e) => (e as Error).message)).toEqual(['first listener fails'])
  })

  it('admittedAt is the order of joins, the same in every peer\'s view (peers joining in one instant included)', () => {
    const hub = createMemoryNetwork()
    hub.advance(10_000_000)
    const a = hub.join('zed')
    const b = hub.join('amy') // same instant, smaller id: still after zed
    hub.advance(5)
    const c = hub.join('kim')
    hub.advance(0)
    expect(a.self.admittedAt).toBeLessThan(b.self.admittedAt)
    expect(b.self.admittedAt).toBeLessThan(c.self.admittedAt)
    for (const t of [a, b, c]) for (const p of t.peers.values()) expect(p.admittedAt).toBe([a, b, c].find((x) => x.self.id === p.id)!.self.admittedAt)
  })

  it('reliable is ordered and lossless under loss (delayed instead); unreliable loses, reorders and duplicates', () => {
    const { got, hub } = collect(7, { latency: 20, jitter: 10, loss: 0.3, reorder: 0.1, duplicate: 0.05 })
    const rel = got.filter((g) => g.ch === 'reliable').map((g) => g.n)
    expect(rel).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    const unrel = got.filter((g) => g.ch === 'unreliable').map((g) => g.n)
    const unique = new Set(unrel)
    expect(unique.size).toBeGreaterThan(650)
    expect(unique.size).toBeLessThan(750)
    expect(unrel.length).toBeGreaterThan(unique.size) // duplicates
    expect(unrel.some((n, i) => i > 0 && n < unrel[i - 1])).toBe(true) // reordered
    const c = hub.counters('a', 'b')
    expect(c.unreliable.dropped + unique.size).toBe(1000)
  })

  it('is reproducible from its seed', () => {
    const link = { latency: 5, jitter: 20, loss: 0.2, reorder: 0.2, duplicate: 0.1 }
    expect(collect(42, link).got).toEqual(collect(42, link).got)
    expect(collect(42, link).got).not.toEqual(collect(43, link).got)
  })

  it('bandwidth cap serializes messages and tail-drops unreliable ones beyond maxQueueDelay', () => {
    const hub = createMemoryNetwork({ link: { bandwidth: 10_000, maxQueueDelay: 100 } })
    const a = hub.join('a')
    const b = hub.join('b')
    const times: number[] = []
    b.on('message', () => times.push(hub.now))
    hub.advance(0)
    for (let i = 0; i < 20; i++) a.send('b', 'unreliable', new Uint8Array(100)) // 10 ms each at 10 kB/s
    hub.advance(1000)
    expect(times.length).toBe(11) // 0..100 ms of queue
    expect(times[1] - times[0]).toBeCloseTo(10, 6)
    expect(hub.counters().unreliable.dropped).toBe(9)
  })

  it('can run on real timers', async () => {
    const hub = createMemoryNetwork({ realTime: true, link: { latency: 5 } })
    const a = hub.join('a')
    const b = hub.join('b')
    const got = new Promise<string>((resolve) => b.on('message', (from, ch) => resolve(`${from} ${ch}`)))
    await new Promise((r) => setTimeout(r, 10))
    a.send('b', 'reliable', new Uint8Array([1]))
    expect(await got).toBe('a reliable')
    hub.dispose()
  })
})
