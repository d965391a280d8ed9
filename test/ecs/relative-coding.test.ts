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
function run(link: LinkOptions, seed: number) {
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
      if (rng() < 0.2) continue
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

  it(`a packet reordered behind more than ${HISTORY_DEPTH} flushes refers to a baseline no longer held: skipped, not applied, healed`, () => {
    const r = run({ latency: 20, jitter: 10, loss: 0.1, reorder: 0.15, reorderDelay: (HISTORY_DEPTH + 4) * TICK_MS }, 5)
    expect(r.foreign).toBe(0)
    expect(r.malformed).toBe(0)
    expect(r.stale).toBeGreaterThan(0)
    expect(r.ticks).toBeLessThanOrEqual(10)
  })
})
