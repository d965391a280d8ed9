// Entity references (`(multiuser.entity) = true` on a uint32): every peer's store holds its own eid of the entity the
// field names, whatever eid the sender had; a reference to an entity that has not arrived yet reads 0 and is written
// in when it arrives; one to an entity that leaves reads 0. The schema is generated from
// test/ecs/fixtures/entity-refs/refs.proto by the real generator; three peers with their own clocks and eid spaces.
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { generate } from '../../src/codegen/index.js'
import { createNetwork, type Network } from '../../src/ecs/index.js'
import type { EventDef, Schema } from '../../src/protocol/index.js'
import { createMemoryNetwork, type MemoryNetwork } from '../../src/transport/memory/index.js'
import { tempDir } from '../codegen/helpers.js'

interface RefsSchema {
  schema: Schema
  Body: { x: Float32Array }
  Link: { carriedBy: Uint32Array; follows: Uint32Array; weight: Uint32Array }
}
let createRefsSchema: (capacity: number) => RefsSchema
let Hit: EventDef<{ target: number; damage: number }>

beforeAll(async () => {
  const out = join(tempDir(), 'generated')
  generate({ protoDir: fileURLToPath(new URL('./fixtures/entity-refs', import.meta.url)), outDir: out })
  const mod = (await import(join(out, 'refs', 'schema.ts'))) as { createRefsSchema: typeof createRefsSchema; Hit: typeof Hit }
  createRefsSchema = mod.createRefsSchema
  Hit = mod.Hit
})

interface Peer extends RefsSchema {
  id: string
  world: World
  net: Network
}

function room(hub: MemoryNetwork) {
  const peers: Peer[] = []
  const add = (id: string, padding: number): Peer => {
    const s = createRefsSchema(256)
    const world = createWorld()
    for (let i = 0; i < padding; i++) addEntity(world) // every peer's eids differ
    const p = { id, world, net: createNetwork(world, { schema: s.schema, transport: hub.join(id), maxEntities: 256 }), ...s }
    peers.push(p)
    return p
  }
  const step = (n = 1): void => {
    for (let i = 0; i < n; i++) {
      for (const p of peers) p.net.receive()
      for (const p of peers) p.net.flush()
      hub.advance(1000 / 30)
    }
  }
  /** An entity of `p` with Body (and Link), spawned. */
  const spawn = (p: Peer, link?: Partial<Record<'carriedBy' | 'follows' | 'weight', number>>): number => {
    const e = addEntity(p.world)
    addComponent(p.world, e, p.Body)
    if (link) {
      addComponent(p.world, e, p.Link)
      for (const [k, v] of Object.entries(link)) p.Link[k as 'carriedBy'][e] = v
    }
    p.net.spawn(e)
    return e
  }
  /** `owner`'s entity `eid` as `p` sees it. */
  const on = (p: Peer, owner: Peer, eid: number): number => (p === owner ? eid : (p.net.eidOf(owner.net.netIdOf(eid)!) ?? -1))
  return { peers, add, step, spawn, on }
}

describe('entity references', () => {
  it('name the same entity on every peer, each by its own eid; a local entity nobody else has is none', () => {
    const r = room(createMemoryNetwork({ seed: 5 }))
    const a = r.add('a', 3)
    const b = r.add('b', 10)
    const c = r.add('c', 20)
    r.step(3)
    const horse = r.spawn(a)
    r.step(4)
    const loner = addEntity(b.world) // never spawned
    const rider = r.spawn(b, { carriedBy: r.on(b, a, horse), follows: loner, weight: 70 })
    r.step(5)
    for (const p of [a, c]) {
      const e = r.on(p, b, rider)
      expect(p.Link.carriedBy[e]).toBe(r.on(p, a, horse))
      expect(p.Link.follows[e]).toBe(0)
      expect(p.Link.weight[e]).toBe(70)
    }
    expect(new Set([a, b, c].map((p) => r.on(p, a, horse))).size).toBe(3) // three different eids, one entity
    // A change of reference replicates like any RELIABLE field.
    const cart = r.spawn(c)
    r.step(4)
    b.Link.carriedBy[rider] = r.on(b, c, cart)
    r.step(4)
    for (const p of [a, c]) expect(p.Link.carriedBy[r.on(p, b, rider)]).toBe(r.on(p, c, cart))
  })

  it('a reference to an entity that has not arrived yet reads 0, and names it once it arrives', () => {
    const hub = createMemoryNetwork({ seed: 6 })
    hub.setLink('a', 'c', { latency: 800 }) // a's spawns reach c long after b's
    const r = room(hub)
    const a = r.add('a', 1)
    const b = r.add('b', 2)
    r.step(3)
    const horse = r.spawn(a)
    r.step(4)
    const rider = r.spawn(b, { carriedBy: r.on(b, a, horse) })
    r.step(4)
    const c = r.add('c', 30)
    const seen: number[] = []
    for (let i = 0; i < 40; i++) {
      r.step()
      const e = r.on(c, b, rider)
      if (e >= 0 && seen.at(-1) !== c.Link.carriedBy[e]) seen.push(c.Link.carriedBy[e])
    }
    expect(seen).toEqual([0, r.on(c, a, horse)])
    expect(r.on(c, a, horse)).toBeGreaterThan(30)
  })

  it('a reference to an entity that leaves reads 0 everywhere, the owner\'s store included', () => {
    const r = room(createMemoryNetwork({ seed: 7 }))
    const a = r.add('a', 2)
    const b = r.add('b', 5)
    const c = r.add('c', 9)
    r.step(3)
    const horse = r.spawn(a)
    r.step(4)
    const rider = r.spawn(b, { carriedBy: r.on(b, a, horse), weight: 1 })
    r.step(4)
    expect(c.Link.carriedBy[r.on(c, b, rider)]).not.toBe(0)
    a.net.despawn(horse)
    r.step(6)
    for (const p of [b, c]) expect(p.Link.carriedBy[r.on(p, b, rider)]).toBe(0)
  })

  it('entities spawned in one tick may name each other: a reference sent before its entity had a net id is sent again', () => {
    const r = room(createMemoryNetwork({ seed: 8 }))
    const a = r.add('a', 4)
    const b = r.add('b', 11)
    r.step(3)
    const rider = addEntity(a.world)
    const horse = addEntity(a.world)
    addComponent(a.world, rider, a.Link)
    a.Link.carriedBy[rider] = horse
    a.net.spawn(rider) // the horse has no net id yet: none goes out
    addComponent(a.world, horse, a.Body)
    a.net.spawn(horse)
    r.step(5)
    expect(b.Link.carriedBy[r.on(b, a, rider)]).toBe(r.on(b, a, horse))
  })

  it('an event\'s entity field reaches each handler as that peer\'s eid (0 for one it does not have), the sender\'s with self: true', () => {
    const r = room(createMemoryNetwork({ seed: 9 }))
    const a = r.add('a', 2)
    const b = r.add('b', 13)
    r.step(3)
    const target = r.spawn(a)
    r.step(4)
    const got = new Map<Peer, string[]>([[a, []], [b, []]])
    for (const p of [a, b]) p.net.on(Hit, (m, from) => got.get(p)!.push(`${from.id} hit ${m.target} for ${m.damage}`))
    a.net.send(Hit, { target, damage: 3 }, { self: true })
    a.net.send(Hit, { target: addEntity(a.world), damage: 1 }) // not replicated
    r.step(4)
    expect(got.get(a)).toEqual([`a hit ${target} for 3`])
    expect(got.get(b)).toEqual([`a hit ${r.on(b, a, target)} for 3`, 'a hit 0 for 1'])
    expect(r.on(b, a, target)).not.toBe(target)
  })
})
