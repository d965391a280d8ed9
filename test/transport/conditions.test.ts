// withLinkConditions: loss only on unreliable, latency + jitter on both, reliable order kept, pass-through when off.
// Two in-memory transports carry the bytes (delivered on hub.advance(0)); the decorator's delays run on
// vitest's fake timers (setTimeout + performance.now).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryNetwork, type MemoryNetwork, type MemoryTransport } from '../../src/transport/memory/index.js'
import { withLinkConditions } from '../../src/transport/conditions.js'
import type { Channel } from '../../src/transport/transport.js'

let hub: MemoryNetwork
let a: MemoryTransport
let b: MemoryTransport
let got: { from: string; channel: Channel; n: number; at: number }[]

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
  hub = createMemoryNetwork()
  a = hub.join('a')
  b = hub.join('b')
  hub.advance(0)
  got = []
  b.on('message', (from, channel, data) => got.push({ from, channel, n: new DataView(data.buffer, data.byteOffset).getUint32(0), at: performance.now() }))
})
afterEach(() => {
  hub.dispose()
  vi.useRealTimers()
})

const msg = (n: number): Uint8Array => {
  const d = new Uint8Array(8)
  new DataView(d.buffer).setUint32(0, n)
  return d
}
/** Moves fake time on by `ms` (decorator timers) and lets the memory network deliver what was sent meanwhile. */
const run = (ms: number, step = 1): void => {
  for (let t = 0; t < ms; t += step) {
    vi.advanceTimersByTime(step)
    hub.advance(0)
  }
}

describe('withLinkConditions', () => {
  it('passes everything through synchronously when all conditions are zero, and keeps the rest of the transport', () => {
    const t = withLinkConditions(a, {})
    t.send('b', 'unreliable', msg(1))
    t.send('*', 'reliable', msg(2))
    hub.advance(0)
    expect(got.map((g) => [g.channel, g.n])).toEqual([['unreliable', 1], ['reliable', 2]])
    expect(t.self).toBe(a.self)
    expect(t.self).toMatchObject({ id: 'a', did: null })
    expect([...t.peers.keys()]).toEqual(['b'])
    expect(t.conditions).toEqual({ loss: 0, latency: 0, jitter: 0, bandwidth: 0, direction: 'both' })
  })

  it('bandwidth: both channels queue through one bottleneck; unreliable messages that would wait over 1 s are dropped', () => {
    const t = withLinkConditions(a, { bandwidth: 8000 }) // 64 kbit/s
    const sentAt = performance.now()
    const big = new Uint8Array(4000)
    new DataView(big.buffer).setUint32(0, 1)
    t.send('b', 'reliable', big) // 500 ms of the link
    t.send('b', 'unreliable', msg(2)) // behind it
    for (let i = 3; i < 30; i++) t.send('b', 'unreliable', (() => { const d = new Uint8Array(400); new DataView(d.buffer).setUint32(0, i); return d })())
    run(3000, 5)
    const at = new Map(got.map((g) => [g.n, g.at - sentAt]))
    expect(at.get(1)).toBeGreaterThanOrEqual(500)
    expect(at.get(2)).toBeGreaterThanOrEqual(at.get(1)!) // it waited for the reliable message ahead of it
    // 1 s of queue holds 8000 bytes: the 400-byte messages beyond it are dropped, the rest arrive spaced 50 ms apart.
    const delivered = got.filter((g) => g.n >= 3).map((g) => g.n)
    expect(t.conditionsCounters.droppedSent).toBe(27 - delivered.length)
    expect(delivered.length).toBeGreaterThan(5)
    expect(delivered.length).toBeLessThan(15)
    expect(Math.max(...delivered.map((n) => at.get(n)!))).toBeLessThanOrEqual(1000 + 60)
  })

  it('delays both channels by the latency (one way) and never delivers early', () => {
    const t = withLinkConditions(a, { latency: 80 })
    const sentAt = performance.now()
    t.send('b', 'reliable', msg(1))
    t.send('b', 'unreliable', msg(2))
    run(79)
    expect(got).toEqual([])
    run(2)
    expect(got.map((g) => g.n).sort()).toEqual([1, 2])
    for (const g of got) expect(g.at - sentAt).toBeGreaterThanOrEqual(80)
  })

  it('drops unreliable messages at the loss rate, never reliable ones; reliable stays in order under jitter', () => {
    const t = withLinkConditions(a, { loss: 0.3, latency: 20, jitter: 60 }, { seed: 7 })
    for (let i = 0; i < 1000; i++) {
      t.send('b', 'reliable', msg(i))
      t.send('b', 'unreliable', msg(i))
      run(1)
    }
    run(200)
    const reliable = got.filter((g) => g.channel === 'reliable').map((g) => g.n)
    const unreliable = got.filter((g) => g.channel === 'unreliable').map((g) => g.n)
    expect(reliable).toEqual([...Array(1000).keys()])
    // Binomial(1000, 0.7): mean 700, sd ~14.5; ±5 sd.
    expect(unreliable.length).toBeGreaterThan(627)
    expect(unreliable.length).toBeLessThan(773)
    expect(t.conditionsCounters.droppedSent).toBe(1000 - unreliable.length)
    // Jitter reorders the unreliable channel (as a real network may).
    expect(unreliable.some((n, i) => i > 0 && n < unreliable[i - 1])).toBe(true)
  })

  it('applies to received messages too (direction both), and only there with direction receive', () => {
    const tb = withLinkConditions(b, { latency: 50, direction: 'receive' })
    const seen: number[] = []
    tb.on('message', (_from, _ch, data) => seen.push(data[3]))
    a.send('b', 'reliable', msg(9))
    hub.advance(0)
    expect(got.map((g) => g.n)).toEqual([9]) // the raw listener on b sees it at once
    expect(seen).toEqual([])
    run(51)
    expect(seen).toEqual([9])
    // Sending from b is not delayed with direction 'receive'.
    const ga: number[] = []
    a.on('message', (_f, _c, d) => ga.push(d[3]))
    tb.send('a', 'reliable', msg(4))
    hub.advance(0)
    expect(ga).toEqual([4])
  })

  it('turning the conditions off while messages are delayed keeps reliable order', () => {
    const t = withLinkConditions(a, { latency: 100 })
    t.send('b', 'reliable', msg(1))
    run(10)
    t.setConditions({})
    t.send('b', 'reliable', msg(2))
    run(1)
    expect(got).toEqual([])
    run(100)
    expect(got.map((g) => g.n)).toEqual([1, 2])
    t.send('b', 'reliable', msg(3)) // nothing in flight any more: synchronous again
    hub.advance(0)
    expect(got.map((g) => g.n)).toEqual([1, 2, 3])
  })

  it('close() drops what is in flight and closes the wrapped transport', () => {
    const t = withLinkConditions(a, { latency: 30 })
    t.send('b', 'reliable', msg(1))
    t.close()
    run(50)
    expect(got).toEqual([])
    hub.advance(0)
    expect([...b.peers.keys()]).toEqual([])
  })

  it('refuses nonsense', () => {
    expect(() => withLinkConditions(a, { loss: 2 })).toThrow(RangeError)
    expect(() => withLinkConditions(a, { latency: -1 })).toThrow(RangeError)
  })
})
