import { describe, expect, it } from 'vitest'
import { createRng, type LinkOptions } from '../../src/transport/memory/index.js'
import { HISTORY_DEPTH } from '../../src/protocol/delta-format.js'
import { createHarness, replicaOf, TICK_MS } from './helpers/peers.js'
import { TransformDef } from '../helpers/test-schema.js'

const FIELDS = ['x', 'y', 'z', 'yaw'] as const

/**
 * Fields are coded relative to the value the receiver acknowledged (a flush it keeps). A wrong baseline would
 * show as a replica value the owner never had: every tick, every replica field must be one of its owner's past
 * quantized values, and all must converge once motion stops.
 */
function run(link: LinkOptions, seed: number, restShare = 0.2) {
  const h = createHarness(2, { seed, link })
  const [a, b] = h.peers
  h.step(5)
  const eids = Array.from({ length: 12 }, (_, i) => h.spawnMover(a, { x: i, velocity: true }))
  h.step(10)
  const seen = eids.map(() => FIELDS.map(() => new Set<number>()))
  const record = (): void =>
    eids.forEach((e, i) => FIELDS.forEach((name, j) => seen[i][j].add(TransformDef.fields[j].toWire(a.s.Transform[name][e]))))
  record()
  const rng = createRng(seed * 31)
  let foreign = 0
  const check = (): void =>
    eids.forEach((e, i) => {
      const r = replicaOf(a, e, b)!
      FIELDS.forEach((name, j) => {
        if (!seen[i][j].has(TransformDef.fields[j].toWire(b.s.Transform[name][r]))) foreign++
      })
    })
  for (let t = 0; t < 200; t++) {
    for (const e of eids) {
      if (rng() < restShare) continue
      a.s.Transform.x[e] += (rng() - 0.3) * 0.2 // small steps: relative coding pays
      a.s.Transform.y[e] += (rng() - 0.5) * 0.01
      a.s.Transform.z[e] -= rng() * 0.1
      a.s.Transform.yaw[e] += (rng() - 0.5) * 0.02 // crosses ±π now and then (wraps)
      if (a.s.Transform.yaw[e] >= Math.PI) a.s.Transform.yaw[e] -= 2 * Math.PI
      if (a.s.Transform.yaw[e] < -Math.PI) a.s.Transform.yaw[e] += 2 * Math.PI
    }
    record()
    h.step()
    check()
  }
  let ticks = 0
  for (; ticks < 30; ticks++) {
    const diff = eids.filter((e) => {
      const r = replicaOf(a, e, b)!
      return FIELDS.some((name, j) => TransformDef.fields[j].toWire(a.s.Transform[name][e]) !== TransformDef.fields[j].toWire(b.s.Transform[name][r]))
    }).length
    if (diff === 0) break
    h.step()
  }
  return { foreign, ticks, stale: b.net.stats.dropped.stale, malformed: b.net.stats.dropped.malformed }
}

describe('relative (baseline) coding of quantized fields', () => {
  it('never decodes a value the owner did not have, at 30 % loss with reordering and duplication', () => {
    const r = run({ latency: 20, jitter: 10, loss: 0.3, reorder: 0.1, duplicate: 0.05 }, 3)
    expect(r.foreign).toBe(0)
    expect(r.malformed).toBe(0)
    expect(r.ticks).toBeLessThanOrEqual(10)
  })

  it('entities that move again after a rest (coded against the flush of their last move) never decode a foreign value either', () => {
    const r = run({ latency: 20, jitter: 10, loss: 0.3, reorder: 0.1, duplicate: 0.05 }, 7, 0.85)
    expect(r.foreign).toBe(0)
    expect(r.malformed).toBe(0)
    expect(r.ticks).toBeLessThanOrEqual(10)
  })

  it('an entity moving again after a rest is coded against the flush of its last move: small steps cost few bits', () => {
    const h = createHarness(2, { seed: 2 })
    const [a] = h.peers
    h.step(5)
    // 8 entities, 2 moving per tick: each rests ~3 ticks between moves (its last move stays a baseline ≤ 12 flushes old).
    const eids = Array.from({ length: 8 }, (_, i) => h.spawnMover(a, { x: i }))
    h.step(20)
    const rng = createRng(5)
    const sent = (): number => h.hub.counters('p0', 'p1').unreliable.sentBytes
    const before = sent()
    h.step(20)
    const header = (sent() - before) / 20
    const move = (e: number): void => {
      a.s.Transform.x[e] += 0.01
      a.s.Transform.y[e] += 0.01
      a.s.Transform.z[e] -= 0.01
      a.s.Transform.yaw[e] += 0.01
    }
    // Every entity moves once first (so each has a flush of its own), then two random ones per tick.
    for (const e of eids) move(e)
    h.step(3)
    const start = sent()
    let moved = 0
    for (let t = 0; t < 100; t++) {
      const first = Math.floor(rng() * eids.length)
      for (const e of [eids[first], eids[(first + 1 + Math.floor(rng() * (eids.length - 1))) % eids.length]]) {
        move(e)
        moved++
      }
      h.step()
    }
    const bitsPerMove = ((sent() - start - 100 * header) * 8) / moved
    // Each move goes twice (again in the next flush, before its ack is back). Relative to the flush of the last move
    // (10-step differences: 9, 9, 9, 7 bits, and that flush's age) this seeded run costs 92 bits a move; with only
    // the packet's baseline (the flush just acknowledged, which rarely carried the entity) 119.
    expect(bitsPerMove).toBeLessThan(100)
  })

  it(`a packet reordered behind more than ${HISTORY_DEPTH} flushes refers to a baseline no longer held: skipped, not applied, healed`, () => {
    const r = run({ latency: 20, jitter: 10, loss: 0.1, reorder: 0.15, reorderDelay: (HISTORY_DEPTH + 4) * TICK_MS }, 5)
    expect(r.foreign).toBe(0)
    expect(r.malformed).toBe(0)
    expect(r.stale).toBeGreaterThan(0)
    expect(r.ticks).toBeLessThanOrEqual(10)
  })
})
