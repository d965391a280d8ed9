import { describe, expect, it } from 'vitest'
import { createRng } from '../../src/transport/memory/index.js'
import { createHarness, replicaOf } from './helpers/peers.js'

/**
 * render() walks only the remote entities a buffer woke since they last settled (interpolation.ts). What that must
 * never change: an entity that sleeps (its output holds its last value) follows again as soon as it moves, and one
 * that never moves keeps its spawn value; so after every burst, once the interpolation delay has passed, every
 * replica's interpolated output equals its owner's value.
 */
describe('interpolation render list', () => {
  it('wakes a sleeping entity when it moves again, and leaves idle ones at their values', () => {
    const h = createHarness(2, { seed: 5 })
    const [a, b] = h.peers
    h.step(5)
    const eids = Array.from({ length: 60 }, (_, i) => h.spawnMover(a, { x: i }))
    h.step(40)
    const view = b.net.interpolated(b.s.Transform)
    const rand = createRng(9)
    const off = (): number => Math.max(...eids.map((e) => Math.abs(view.x[replicaOf(a, e, b)!] - a.s.Transform.x[e])))
    for (let burst = 0; burst < 6; burst++) {
      // A random few move for a few ticks (the others sleep), then everyone stands.
      const movers = eids.filter(() => rand() < 0.15)
      for (let t = 0; t < 5; t++) {
        for (const e of movers) a.s.Transform.x[e] += 0.5
        h.step()
      }
      h.step(40)
      expect(off()).toBeLessThanOrEqual(0.0005)
    }
  })
})

describe('interpolated view of our own entities', () => {
  it('mirrors the store after every receive, in runs between the others\' entities, and across a change of owner', async () => {
    const h = createHarness(2, { seed: 8 })
    const [a, b] = h.peers
    h.step(3)
    // Interleaved eids on a: its own, then b's, then its own again (two runs of ours).
    const first = Array.from({ length: 5 }, (_, i) => h.spawnMover(a, { x: i }))
    h.step(3)
    for (let i = 0; i < 5; i++) h.spawnMover(b, { x: 10 + i })
    h.step(5)
    const second = Array.from({ length: 5 }, (_, i) => h.spawnMover(a, { x: 20 + i }))
    h.step(5)
    const view = a.net.interpolated(a.s.Transform)
    const mine = [...first, ...second]
    for (let t = 0; t < 5; t++) {
      for (const e of mine) a.s.Transform.x[e] += 1
      a.net.receive()
      for (const e of mine) expect(view.x[e]).toBe(a.s.Transform.x[e])
      h.step()
    }
    // One of b's entities becomes ours: from then on its view mirrors our store too.
    const bEids = Array.from({ length: 40 }, (_, e) => e).filter((e) => b.net.isReplicated(e) && b.net.netIdOf(e) && replicaOf(b, e, a) !== undefined && !mine.includes(replicaOf(b, e, a)!))
    const taken = replicaOf(b, bEids[0], a)!
    const granted = a.net.requestOwnership(taken)
    h.step(10)
    expect(await granted).toBe(true)
    a.s.Transform.x[taken] = 123.5
    a.net.receive()
    expect(view.x[taken]).toBe(123.5)
  })
})
