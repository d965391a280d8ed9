// A RELIABLE component's 64-bit integer beyond ±2^53 (ts-proto carries it as a number): the sender refuses it with a
// typed error (net.spawn throws; later changes are left out and reported as an `error` event), so the receiver never
// sees a message it must refuse, and nobody is counted invalid.
import { addComponent, addEntity, createWorld } from 'bitecs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { generate } from '../../src/codegen/index.js'
import { createNetwork, type Network } from '../../src/ecs/index.js'
import type { ComponentStore, Schema } from '../../src/protocol/index.js'
import { ErrorCode, MultiuserError } from '../../src/shared/errors.js'
import { createMemoryNetwork } from '../../src/transport/memory/index.js'
import { tempDir } from '../codegen/helpers.js'

type ScoreStore = ComponentStore & { name: unknown[]; points: unknown[]; total: unknown[] }
let makeSchema: (capacity: number) => { schema: Schema; Score: ScoreStore }

beforeAll(async () => {
  const out = join(tempDir(), 'generated')
  generate({ protoDir: fileURLToPath(new URL('./fixtures/int64', import.meta.url)), outDir: out })
  makeSchema = ((await import(join(out, 'score', 'schema.ts'))) as { createScoreSchema: typeof makeSchema }).createScoreSchema
})

function pair() {
  const hub = createMemoryNetwork({ seed: 3 })
  const peer = (id: string) => {
    const g = makeSchema(64)
    const world = createWorld()
    const net: Network = createNetwork(world, { schema: g.schema, transport: hub.join(id), maxEntities: 64 })
    const errors: unknown[] = []
    net.events.on('error', (e) => errors.push(e))
    return { world, net, Score: g.Score, errors }
  }
  const a = peer('a')
  const b = peer('b')
  const step = (n = 1) => {
    for (let i = 0; i < n; i++) {
      a.net.receive(), b.net.receive(), a.net.flush(), b.net.flush()
      hub.advance(1000 / 30)
    }
  }
  step(3)
  return { a, b, step }
}

describe('64-bit integers beyond ±2^53 in a RELIABLE component', () => {
  it('net.spawn refuses the entity with VALUE_UNSENDABLE and replicates nothing', () => {
    const { a, b, step } = pair()
    const e = addEntity(a.world)
    addComponent(a.world, e, a.Score)
    a.Score.name[e] = 'ada'
    a.Score.points[e] = 2 ** 60
    let thrown: unknown
    try {
      a.net.spawn(e)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(MultiuserError)
    expect((thrown as MultiuserError).code).toBe(ErrorCode.VALUE_UNSENDABLE)
    expect((thrown as Error).message).toMatch(/^score\.Score\.points: .*MAX_SAFE_INTEGER.*not sent/)
    expect(a.net.isReplicated(e)).toBe(false)
    step(5)
    expect(b.net.stats.entities.remote).toBe(0)
    expect(b.net.stats.invalid).toBe(0)
  })

  it('a later change beyond 2^53 is left out (an error event on the sender); the rest arrives, nobody is struck', () => {
    const { a, b, step } = pair()
    const e = addEntity(a.world)
    addComponent(a.world, e, a.Score)
    a.Score.name[e] = 'ada'
    a.Score.points[e] = 12
    a.Score.total[e] = 2 ** 53 - 1 // the largest safe value travels
    a.net.spawn(e)
    step(5)
    const r = b.net.eidOf(a.net.netIdOf(e)!)!
    expect([b.Score.name[r], b.Score.points[r], b.Score.total[r]]).toEqual(['ada', 12, 2 ** 53 - 1])

    a.Score.points[e] = -(2 ** 62)
    a.Score.name[e] = 'grace'
    step(5)
    expect(a.errors).toHaveLength(1)
    expect((a.errors[0] as MultiuserError).code).toBe(ErrorCode.VALUE_UNSENDABLE)
    expect([b.Score.name[r], b.Score.points[r]]).toEqual(['grace', 12])
    expect(b.net.stats.invalid).toBe(0)
    expect(a.net.stats.invalid).toBe(0)
    expect(b.net.peers.map((p) => p.id)).toEqual(['a'])
  })
})
