/**
 * The send budget and what goes first within it: `maxSendRate` caps what one peer is sent; when the changes do not
 * all fit, the highest accumulated priority goes first (the `priority` option, the components' priority), nothing
 * waits for ever, and the reliable channel (events, spawns) keeps its share. The budget following a real
 * bottleneck is the 64 kbit/s goal of netcode-goals.test.ts.
 */
import { addComponent, addEntity, createWorld } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createNetwork, type NetworkOptions } from '../../src/ecs/index.js'
import { MIN_RATE } from '../../src/ecs/congestion.js'
import { defineComponent, defineSchema, type ComponentDef } from '../../src/protocol/index.js'
import { createMemoryNetwork } from '../../src/transport/memory/index.js'
import { Chat } from '../helpers/test-schema.js'
import { createHarness, replicaOf, TICK_MS, type Harness, type TestPeer } from './helpers/peers.js'

/** `n` walkers on p0 (x += 0.1 per tick), and a receiver p1. */
function walkers(n: number, net: Partial<NetworkOptions>, link = {}): { h: Harness; a: TestPeer; b: TestPeer; es: number[]; walk: () => void } {
  const h = createHarness(0, { link, capacity: 2048 })
  const a = h.addPeer('p0', net)
  const b = h.addPeer('p1')
  h.step(3)
  const es = Array.from({ length: n }, (_, i) => h.spawnMover(a, { x: (i % 50) * 2 - 50 }))
  const walk = (): void => {
    for (const e of es) a.s.Transform.x[e] += 0.1
    h.step()
  }
  return { h, a, b, es, walk }
}

/** How many ticks behind `a`'s value of x the receiver's copy is (in steps of 0.1). */
const lag = (a: TestPeer, e: number, b: TestPeer): number => {
  const r = replicaOf(a, e, b)
  return r === undefined ? Number.POSITIVE_INFINITY : Math.round((a.s.Transform.x[e] - b.s.Transform.x[r]) / 0.1)
}

describe('send budget', () => {
  it('maxSendRate caps what a peer is sent, both channels, whatever the demand', () => {
    const { h, a, walk } = walkers(1000, { maxSendRate: 8192 })
    for (let t = 0; t < 60; t++) walk()
    const sent = () => {
      const c = h.hub.counters('p0', 'p1')
      return c.reliable.sentBytes + c.unreliable.sentBytes
    }
    for (let s = 0; s < 3; s++) {
      const before = sent()
      for (let t = 0; t < 30; t++) walk()
      expect(sent() - before).toBeLessThanOrEqual(8192 * 1.02) // one second: within the cap (and one tick's rounding)
      expect(sent() - before).toBeGreaterThan(8192 * 0.8) // and it is used
    }
    expect(a.net.peers[0].sendBudget).toBeLessThanOrEqual(8192)
    expect(a.net.stats.congestion.deferred).toBeGreaterThan(0) // 1 000 walkers do not fit
    expect(a.net.stats.congestion.budget).toBe(a.net.peers[0].sendBudget)
    expect(() => walkers(1, { maxSendRate: MIN_RATE - 1 })).toThrow(RangeError)
  })

  it('within the budget the highest priority goes first, and nothing waits for ever', () => {
    const urgent = new Set<number>()
    const { a, b, es, walk } = walkers(300, { maxSendRate: 6000, priority: (eid) => (urgent.has(eid) ? 50 : 1) })
    for (const e of es.slice(0, 3)) urgent.add(e)
    for (let t = 0; t < 90; t++) walk()
    let worstUrgent = 0
    let worstOther = 0
    for (let t = 0; t < 150; t++) {
      walk()
      for (const e of es) {
        const l = lag(a, e, b)
        if (urgent.has(e)) worstUrgent = Math.max(worstUrgent, l)
        else worstOther = Math.max(worstOther, l)
      }
    }
    // The urgent ones are a tick (and the tick the harness waits) behind at most; the rest wait their turn, but get it.
    expect(worstUrgent).toBeLessThanOrEqual(2)
    expect(worstOther).toBeGreaterThan(2)
    expect(worstOther).toBeLessThan(60)
  })

  it("a component's priority weighs its changes: entities whose Hot component changed go before those whose Cold did", () => {
    const make = (name: string, id: number, priority?: number): ComponentDef =>
      defineComponent({ id, name, sync: 'DELTA', priority, fields: [{ name: 'v', number: 1, kind: 'f32', quantize: { min: 0, max: 1000, precision: 0.01 } }] })
    const Hot = make('t.Hot', 1, 20)
    const Cold = make('t.Cold', 2)
    expect(Hot.priority).toBe(20)
    expect(Cold.priority).toBe(1)
    const hub = createMemoryNetwork({ seed: 3 })
    const peer = (id: string, net: Partial<NetworkOptions> = {}) => {
      const stores = { hot: Hot.createStore(512), cold: Cold.createStore(512) }
      const schema = defineSchema({ components: [{ def: Hot, store: stores.hot }, { def: Cold, store: stores.cold }], events: [], fingerprint: 'hot-cold' })
      const world = createWorld()
      return { world, stores, net: createNetwork(world, { schema, transport: hub.join(id), maxEntities: 512, ...net }) }
    }
    const a = peer('a', { maxSendRate: 3000 })
    const b = peer('b')
    const step = () => {
      a.net.receive()
      b.net.receive()
      a.net.flush()
      b.net.flush()
      hub.advance(TICK_MS)
    }
    for (let t = 0; t < 3; t++) step()
    const hot: number[] = []
    const cold: number[] = []
    for (let i = 0; i < 200; i++) {
      const e = addEntity(a.world)
      addComponent(a.world, e, i < 20 ? a.stores.hot : a.stores.cold)
      ;(i < 20 ? hot : cold).push(e)
      a.net.spawn(e)
    }
    for (let t = 0; t < 150; t++) step()
    const sent = (es: number[], store: { v: Float32Array }, other: { v: Float32Array }) => es.filter((e) => other.v[b.net.eidOf(a.net.netIdOf(e)!)!] === store.v[e]).length
    for (let t = 1; t <= 60; t++) {
      for (const e of hot) a.stores.hot.v[e] = t
      for (const e of cold) a.stores.cold.v[e] = t
      step()
    }
    step()
    // Right after the last change: every Hot entity holds the newest value, most Cold ones do not yet.
    expect(sent(hot, a.stores.hot as { v: Float32Array }, b.stores.hot as { v: Float32Array })).toBe(20)
    expect(sent(cold, a.stores.cold as { v: Float32Array }, b.stores.cold as { v: Float32Array })).toBeLessThan(90)
  })

  it('the reliable channel keeps its share: events arrive at once, and a burst of spawns does not stop the deltas', () => {
    const { h, a, b, es, walk } = walkers(400, { maxSendRate: 8000, priority: (eid) => (eid === es[0] ? 50 : 1) })
    const latency: number[] = []
    b.net.on(Chat, (m) => latency.push(h.hub.now - Number(m.text)))
    for (let t = 0; t < 90; t++) walk()
    // 1 000 spawns at once (≈ 12 kB, 1.5 s of the budget) while events go out every 5 ticks.
    for (let i = 0; i < 1000; i++) h.spawnMover(a, { x: i % 100 })
    let worst = 0
    for (let t = 0; t < 120; t++) {
      if (t % 5 === 0) a.net.send(Chat, { text: String(h.hub.now) })
      walk()
      worst = Math.max(worst, lag(a, es[0], b))
    }
    h.step(60)
    expect(b.net.stats.entities.remote).toBe(1400) // the burst got through
    expect(Math.max(...latency)).toBeLessThanOrEqual(2 * TICK_MS + 1) // events never waited behind it
    expect(worst).toBeLessThanOrEqual(2) // nor did the urgent walker
  })
})
