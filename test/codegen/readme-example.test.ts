// The README "Declare your components in .proto" example, run as written against the committed generated/.
import { addComponent, addEntity, createWorld, hasComponent, query } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { BitReader, BitWriter } from '../../src/index.js'
import { Chat, Transform, TransformDef, gameSchema } from '../../generated/game/schema.js'

describe('README example', () => {
  it('addComponent(world, eid, Transform) with the generated store, then encode/decode its fields', () => {
    const world = createWorld()
    const eid = addEntity(world)
    addComponent(world, eid, Transform)
    Transform.x[eid] = 3
    Transform.yaw[eid] = Math.PI / 2
    expect(hasComponent(world, eid, Transform)).toBe(true)
    expect([...query(world, [Transform])]).toEqual([eid])
    expect(gameSchema.componentOfStore(Transform)).toBe(TransformDef)
    expect(gameSchema.eventById(Chat.id)).toBe(Chat)

    const w = new BitWriter()
    TransformDef.encode(w, Transform, eid, TransformDef.fullMask)
    expect(w.bitLength).toBe(72)
    const other = TransformDef.createStore(eid + 1)
    TransformDef.decode(new BitReader(w.finish()), other, eid, TransformDef.fullMask)
    expect(other.x[eid]).toBeCloseTo(3, 3)
    expect(other.yaw[eid]).toBeCloseTo(Math.PI / 2, 3)
  })
})
