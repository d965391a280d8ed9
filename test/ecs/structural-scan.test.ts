import { addComponent, hasComponent, removeComponent, removeEntity } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createHarness, replicaOf } from './helpers/peers.js'

/**
 * flush() finds structural changes of owned entities (a component added or removed, the entity removed without
 * net.despawn) by reading one bitECS mask word per owned entity: walking every eid when the owned ones are dense in
 * their range, else the owned list (entity-sync.ts). Both walks must catch every kind of change.
 */
describe('structural change detection', () => {
  for (const [what, theirs] of [['dense (ours fill the eid range)', 0], ['sparse (most eids are the other peer\'s)', 80]] as const) {
    it(`catches component add, remove and entity removal: ${what}`, () => {
      const h = createHarness(2, { seed: 3 })
      const [a, b] = h.peers
      h.step(3)
      // b's entities take most of a's eids first (remote on a), then a's own.
      for (let i = 0; i < theirs; i++) h.spawnMover(b, { x: i })
      h.step(10)
      const mine = Array.from({ length: 12 }, (_, i) => h.spawnMover(a, { x: i }))
      h.step(10)
      expect(mine.every((e) => replicaOf(a, e, b) !== undefined)).toBe(true)
      const [added, removed, gone] = [mine[3], mine[7], mine[10]]
      addComponent(a.world, added, a.s.Velocity)
      a.s.Velocity.x[added] = 1.5
      removeComponent(a.world, removed, a.s.Transform)
      const goneReplica = replicaOf(a, gone, b)!
      removeEntity(a.world, gone)
      h.step(10)
      expect(hasComponent(b.world, replicaOf(a, added, b)!, b.s.Velocity)).toBe(true)
      expect(b.s.Velocity.x[replicaOf(a, added, b)!]).toBeCloseTo(1.5, 2)
      expect(hasComponent(b.world, replicaOf(a, removed, b)!, b.s.Transform)).toBe(false)
      expect(b.net.isReplicated(goneReplica)).toBe(false)
      expect(b.net.stats.entities.remote).toBe(11)
    })
  }
})
