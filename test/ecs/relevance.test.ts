/**
 * Interest management (createNetwork's `relevance`): an entity entering a peer's view arrives with its full state at
 * once, one leaving it is removed from that peer's world (an `entityDespawned` event with reason `culled` says so) and comes back correctly; however
 * often that happens, over a lossy link, nothing leaks and nothing is spawned twice; ownership works for entities out
 * of some peer's view; persistent entities go to everyone; gridRelevance sees what is near.
 */
import { addComponent, entityExists, getAllEntities } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { gridRelevance, type NetPeer, type RelevanceFn } from '../../src/ecs/index.js'
import { createRng } from '../../src/transport/memory/index.js'
import { Chat, TransformDef } from '../helpers/test-schema.js'
import { createHarness, replicaOf, type Harness, type TestPeer } from './helpers/peers.js'

/** A relevance function the test steers: `visible` per peer id (absent: sees everything). */
function steered(): { fn: RelevanceFn; visible: Map<string, Set<number>> } {
  const visible = new Map<string, Set<number>>()
  const fn: RelevanceFn = (eid, peer) => visible.get(peer.id)?.has(eid) ?? true
  return { fn, visible }
}

/** An entity of `p` with Transform, Velocity and Color (a RELIABLE component with a string). */
function full(h: Harness, p: TestPeer, x: number): number {
  const e = h.spawnMover(p, { x, velocity: true })
  addComponent(p.world, e, p.s.Color)
  p.s.Color.rgb[e] = 0x100 + x
  p.s.Color.label[e] = `e${x}`
  return e
}

const same = (a: TestPeer, e: number, b: TestPeer): boolean => {
  const r = replicaOf(a, e, b)
  if (r === undefined) return false
  const f = TransformDef.fields
  return f.every((d) => d.toWire(a.s.Transform[d.name as 'x'][e]) === d.toWire(b.s.Transform[d.name as 'x'][r])) &&
    a.s.Velocity.x[e] === b.s.Velocity.x[r] && a.s.Color.rgb[e] === b.s.Color.rgb[r] && a.s.Color.label[e] === b.s.Color.label[r]
}

describe('relevance', () => {
  it('an entity entering a view arrives whole at once; leaving removes it there (culled); it comes back as it is now', () => {
    const h = createHarness(0)
    const { fn, visible } = steered()
    const o = h.addPeer('o', { relevance: fn, relevanceInterval: 1 })
    const v = h.addPeer('v')
    const culled: [number, string][] = []
    v.net.events.on('entityDespawned', ({ eid, id, owner, reason }) => reason === 'culled' && culled.push([eid, `${id.n}@${id.origin}/${owner}`]))
    h.step(3)
    const es = [1, 2, 3].map((x) => full(h, o, x))
    visible.set('v', new Set([es[0]]))
    h.step(10)
    expect(v.net.stats.entities.remote).toBe(1)
    expect(same(o, es[0], v)).toBe(true)
    expect(replicaOf(o, es[1], v)).toBeUndefined()
    // Changed while out of view, then it enters: its whole current state comes in one go.
    o.s.Transform.x[es[1]] = 42
    o.s.Velocity.x[es[1]] = 7
    o.s.Color.label[es[1]] = 'changed'
    visible.get('v')!.add(es[1])
    let ticks = 0
    while (replicaOf(o, es[1], v) === undefined && ticks++ < 10) h.step()
    expect(same(o, es[1], v)).toBe(true)
    // It leaves: removed from v's world, and v is told.
    const old = replicaOf(o, es[0], v)!
    visible.get('v')!.delete(es[0])
    h.step(4)
    expect(replicaOf(o, es[0], v)).toBeUndefined()
    expect(entityExists(v.world, old)).toBe(false)
    expect(culled).toEqual([[old, `${o.net.netIdOf(es[0])!.n}@o/o`]])
    // Back in view, as it is now.
    o.s.Transform.z[es[0]] = -5
    visible.get('v')!.add(es[0])
    h.step(4)
    expect(same(o, es[0], v)).toBe(true)
    expect(v.net.stats.entities.remote).toBe(2)
    expect(v.net.stats.invalid).toBe(0)
  })

  it('toggled at random over a lossy link: nothing leaks, nothing is spawned twice, every replica ends right', () => {
    const h = createHarness(0, { seed: 4, link: { loss: 0.3, latency: 30, jitter: 20, reorder: 0.1, duplicate: 0.05 } })
    const { fn, visible } = steered()
    const o = h.addPeer('o', { relevance: fn, relevanceInterval: 2 })
    const v = h.addPeer('v')
    h.step(3)
    const es = Array.from({ length: 20 }, (_, i) => full(h, o, i))
    const mine = h.spawnMover(v) // v's own entity: never touched by o's relevance
    const seen = new Set(es.slice(0, 10))
    visible.set('v', seen)
    const rng = createRng(9)
    for (let t = 0; t < 400; t++) {
      for (const e of es) o.s.Transform.x[e] += 0.05
      if (t % 5 === 0) {
        const e = es[Math.floor(rng() * es.length)]
        if (seen.has(e)) seen.delete(e)
        else seen.add(e)
      }
      h.step()
    }
    h.step(60) // the last changes and announcements get through
    const remote = es.filter((e) => replicaOf(o, e, v) !== undefined)
    expect(new Set(remote)).toEqual(seen)
    for (const e of remote) expect(same(o, e, v)).toBe(true)
    // v's world holds its own entity and the entities in view, nothing else.
    expect(getAllEntities(v.world).length).toBe(1 + seen.size)
    expect(v.net.stats.entities.remote).toBe(seen.size)
    expect(v.net.isOwner(mine)).toBe(true)
    expect(v.net.stats.invalid).toBe(0)
    expect(o.net.stats.invalid).toBe(0)
  })

  it('a delta sent before an entity left a view never overwrites it when it comes back', () => {
    const h = createHarness(0, { link: { latency: 10 } })
    const { fn, visible } = steered()
    const o = h.addPeer('o', { relevance: fn, relevanceInterval: 1 })
    const v = h.addPeer('v')
    h.step(3)
    const e = h.spawnMover(o, { x: 1 })
    h.step(10)
    h.hub.setLink('o', 'v', { latency: 10, reorder: 1, reorderDelay: 300 }) // deltas now arrive 300 ms late
    o.s.Transform.x[e] = 2
    h.step() // the delta carrying 2 is on its way
    visible.set('v', new Set())
    h.step() // culled
    o.s.Transform.x[e] = 3
    visible.delete('v')
    h.step(20) // back, as it is now (3); then the late delta carrying 2 arrives
    expect(v.s.Transform.x[replicaOf(o, e, v)!]).toBeCloseTo(3, 3)
  })

  it('ownership works for an entity out of a peer’s view: the transfer does not reach it, nothing waits for it, the new owner decides', async () => {
    const h = createHarness(0)
    const { fn, visible } = steered()
    const a = h.addPeer('a', { relevance: fn, relevanceInterval: 1 })
    const b = h.addPeer('b')
    const c = h.addPeer('c')
    const chats: string[] = []
    c.net.on(Chat, (m, from) => chats.push(`${from.id}:${m.text}`))
    h.step(3)
    const e = full(h, a, 5)
    visible.set('c', new Set())
    h.step(10)
    expect(replicaOf(a, e, b)).toBeDefined()
    expect(replicaOf(a, e, c)).toBeUndefined()
    const won = b.net.requestOwnership(replicaOf(a, e, b)!)
    a.net.send(Chat, { text: 'after' }) // c's stream must not wait for a transfer it never gets
    h.step(6)
    expect(await won).toBe(true)
    expect(chats).toEqual(['a:after'])
    // b has no relevance function: c is in its view, so c gets the entity from b, once, owned by b.
    const r = replicaOf(b, replicaOf(a, e, b)!, c)
    expect(r).toBeDefined()
    expect(c.net.ownerOf(r!)).toBe('b')
    expect(c.net.stats.entities.remote).toBe(1)
    expect(a.net.ownerOf(e)).toBe('b')
    for (const p of [a, b, c]) expect(p.net.stats.invalid).toBe(0)
  })

  it('a request from a peer the entity just left is denied; the owner keeps it', async () => {
    const h = createHarness(0, { link: { latency: 20 } })
    const { fn, visible } = steered()
    const a = h.addPeer('a', { relevance: fn, relevanceInterval: 1 })
    const b = h.addPeer('b')
    h.step(3)
    const e = full(h, a, 5)
    h.step(10)
    const r = replicaOf(a, e, b)!
    visible.set('b', new Set()) // a culls it at its next flush, while b's request is on its way
    const won = b.net.requestOwnership(r)
    h.step(8)
    expect(await won).toBe(false)
    expect(a.net.isOwner(e)).toBe(true)
    expect(replicaOf(a, e, b)).toBeUndefined()
    expect(b.net.stats.invalid).toBe(0)
  })

  it('persistent entities go to every peer whatever relevance says (anyone may inherit them)', () => {
    const h = createHarness(0)
    const o = h.addPeer('o', { relevance: () => false })
    const v = h.addPeer('v')
    h.step(3)
    const kept = h.spawnMover(o, { persistent: true })
    const gone = h.spawnMover(o)
    h.step(10)
    expect(replicaOf(o, kept, v)).toBeDefined()
    expect(replicaOf(o, gone, v)).toBeUndefined()
  })

  it('gridRelevance: each viewer gets what is within its radius (in cells) of its focus, and keeps it one cell longer', () => {
    const h = createHarness(0)
    const focusOf = new Map<string, number>()
    let grid: RelevanceFn | null = null
    const relevance = ((eid, peer, inView) => grid!(eid, peer, inView)) as RelevanceFn
    relevance.begin = () => grid?.begin?.()
    const o = h.addPeer('o', { relevance, relevanceInterval: 1 })
    // Cells of 10, radius 20: a viewer sees the cells within 2 of its own on each axis.
    grid = gridRelevance({ store: o.s.Transform, cellSize: 10, radius: 20, focus: (peer) => focusOf.get(peer.id) })
    const v1 = h.addPeer('v1')
    const v2 = h.addPeer('v2')
    h.step(3)
    const at = [0, 15, 30, 45, 60, 75, 200].map((x) => h.spawnMover(o, { x }))
    const av1 = h.spawnMover(v1, { x: 1 })
    const av2 = h.spawnMover(v2, { x: 61 })
    h.step(3)
    expect(v1.net.stats.entities.remote).toBe(1) // v2's avatar only: o's focus for v1 is not known yet
    focusOf.set('v1', replicaOf(v1, av1, o)!)
    focusOf.set('v2', replicaOf(v2, av2, o)!)
    h.step(6)
    const held = (v: TestPeer) => at.filter((e) => replicaOf(o, e, v) !== undefined).map((e) => o.s.Transform.x[e])
    expect(held(v1)).toEqual([0, 15])
    expect(held(v2)).toEqual([45, 60, 75])
    o.s.Transform.x[at[1]] = 32 // cell 3: one past v1's reach, kept (margin)
    h.step(6)
    expect(held(v1)).toEqual([0, 32])
    o.s.Transform.x[at[1]] = 41 // cell 4: gone for v1, now in v2's view
    h.step(6)
    expect(held(v1)).toEqual([0])
    expect(held(v2)).toEqual([41, 45, 60, 75])
    v1.s.Transform.x[av1] = 190 // v1 walks to the far entity
    h.step(8)
    expect(held(v1)).toEqual([200])
  })
})
