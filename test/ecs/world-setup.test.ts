import { addComponent, addEntity, createWorld, hasComponent } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createNetwork } from '../../src/ecs/index.js'
import { createMemoryNetwork } from '../../src/transport/memory/index.js'
import { createTestSchema } from '../helpers/test-schema.js'

describe('a world set up before createNetwork', () => {
  it('replicates entities whose components were added before the network was attached', () => {
    const hub = createMemoryNetwork({ seed: 3 })
    const sa = createTestSchema(64)
    const sb = createTestSchema(64)
    const wa = createWorld()
    const wb = createWorld()
    // The game builds its world first...
    const eid = addEntity(wa)
    addComponent(wa, eid, sa.Transform)
    sa.Transform.x[eid] = 4.5
    // ...then attaches the network.
    const a = createNetwork(wa, { schema: sa.schema, transport: hub.join('a'), maxEntities: 64 })
    const b = createNetwork(wb, { schema: sb.schema, transport: hub.join('b'), maxEntities: 64 })
    expect(hasComponent(wa, eid, sa.Transform)).toBe(true)
    a.spawn(eid)
    const step = (n: number) => {
      for (let i = 0; i < n; i++) {
        a.receive(); b.receive(); a.flush(); b.flush(); hub.advance(1000 / 30)
      }
    }
    step(5)
    sa.Transform.x[eid] = 7.25
    step(5)
    const remote = b.eidOf(a.netIdOf(eid)!)!
    expect(remote).toBeDefined()
    expect(hasComponent(wb, remote, sb.Transform)).toBe(true)
    expect(sb.Transform.x[remote]).toBeCloseTo(7.25, 3)
  })
})
