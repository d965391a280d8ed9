// snapshotComponents: save and restore the numeric columns of bitECS SoA stores (rollback's two halves).
import { describe, expect, it } from 'vitest'
import { createGameSchema } from '../../generated/game/schema.js'
import { snapshotComponents } from '../../src/index.js'

describe('snapshotComponents', () => {
  it('restores exactly what was saved, for the entities given only, every typed array kind', () => {
    const { Transform, Color } = createGameSchema(16)
    const plain = { hp: new Int16Array(16), big: new Uint32Array(16), name: [] as string[] }
    Transform.x[3] = 1.5
    Transform.yaw[3] = -0.25
    plain.hp[3] = -7
    plain.big[3] = 0xfffffffe
    Color.rgb[5] = 0xabcdef
    const snap = snapshotComponents([Transform, plain, Color], [3, 5])
    expect(snap.columns.length).toBe(4 + 2 + 1) // x y z yaw, hp big, rgb (the plain array is left out)
    Transform.x[3] = 9
    plain.hp[3] = 100
    plain.big[3] = 1
    Color.rgb[5] = 0
    Transform.x[4] = 42 // not in the snapshot
    snap.restore()
    expect([Transform.x[3], Transform.yaw[3], plain.hp[3], plain.big[3], Color.rgb[5], Transform.x[4]]).toEqual([1.5, -0.25, -7, 0xfffffffe, 0xabcdef, 42])
    Transform.x[3] = 2
    snap.save()
    Transform.x[3] = 3
    snap.restore()
    expect(Transform.x[3]).toBe(2)
  })
})
