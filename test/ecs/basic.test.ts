import { describe, expect, it } from 'vitest'
import { createHarness, replicaOf } from './helpers/peers.js'

describe('replication basics', () => {
  it('spawns and moves an entity from one peer to another', () => {
    const h = createHarness(2)
    const [a, b] = h.peers
    h.step(3)
    expect(a.net.peers.map((p) => p.id)).toEqual(['p1'])
    const e = h.spawnMover(a, { x: 1.5 })
    h.step(3)
    const r = replicaOf(a, e, b)!
    expect(r).toBeDefined()
    expect(b.s.Transform.x[r]).toBeCloseTo(1.5, 3)
    a.s.Transform.x[e] = 7.25
    a.s.Transform.yaw[e] = 1
    h.step(3)
    expect(b.s.Transform.x[r]).toBeCloseTo(7.25, 3)
    expect(Math.abs(b.s.Transform.yaw[r] - 1)).toBeLessThan(Math.PI / 2048 + 1e-6)
    expect(b.net.ownerOf(r)).toBe('p0')
    expect(a.net.ownerOf(e)).toBe('p0')
  })
})
