// What a game listens to instead of keeping its own books: `entitySpawned` / `entityDespawned` for remote entities,
// `ownershipChanged` (gained, lost, transferred; request, heir, claim), and events sent with `self: true`.
// Three peers over the in-memory hub, each with its own clock origin.
import { entityExists, hasComponent } from 'bitecs'
import { describe, expect, it } from 'vitest'
import type { EntityEvent, OwnershipChange } from '../../src/ecs/index.js'
import { Chat } from '../helpers/test-schema.js'
import { createHarness, replicaOf, type TestPeer } from './helpers/peers.js'

function record(peer: TestPeer) {
  const log: string[] = []
  const spawned: EntityEvent[] = []
  const changes: OwnershipChange[] = []
  peer.net.events.on('entitySpawned', (e) => {
    spawned.push(e)
    log.push(`spawned ${e.id.n}@${e.id.origin} owner ${e.owner} x=${peer.s.Transform.x[e.eid].toFixed(1)}`)
  })
  peer.net.events.on('entityDespawned', (e) => {
    // Still in the world, with its components, during the call.
    const there = entityExists(peer.world, e.eid) && hasComponent(peer.world, e.eid, peer.s.Transform)
    log.push(`despawned ${e.id.n}@${e.id.origin} owner ${e.owner} ${e.reason} ${there ? 'in world' : 'gone'}`)
  })
  peer.net.events.on('ownershipChanged', (c) => {
    changes.push(c)
    log.push(`${c.change} ${c.id.n}@${c.id.origin} ${c.previous}→${c.owner} ${c.reason}`)
  })
  return { log, spawned, changes }
}

describe('entity and ownership events', () => {
  it('remote spawns and despawns are told once, with the entity still readable as it leaves', () => {
    const h = createHarness(3)
    const [a, b, c] = h.peers
    const logs = h.peers.map(record)
    h.step(3)
    const eid = h.spawnMover(a, { x: 7 })
    h.step(5)
    expect(logs[0].log).toEqual([]) // our own entity: not "spawned" for us
    for (const [i, p] of [[1, b], [2, c]] as const) {
      expect(logs[i].log).toEqual(['spawned 0@p0 owner p0 x=7.0'])
      expect(logs[i].spawned[0].eid).toBe(replicaOf(a, eid, p))
    }
    a.net.despawn(eid)
    h.step(5)
    for (const i of [1, 2]) expect(logs[i].log.at(-1)).toBe('despawned 0@p0 owner p0 despawned in world')
    expect(logs[0].log).toEqual([])
  })

  it('a late joiner is told of every entity it receives', () => {
    const h = createHarness(1)
    h.spawnMover(h.peers[0], { x: 1 })
    h.spawnMover(h.peers[0], { x: 2 })
    h.step(2)
    const late = h.addPeer('late')
    const log = record(late).log
    h.step(6)
    expect(log.sort()).toEqual(['spawned 0@p0 owner p0 x=1.0', 'spawned 1@p0 owner p0 x=2.0'])
  })

  it('ownership: the winner gains, the old owner loses, the third peer sees a transfer; an heir inherits, the rest go with their owner', async () => {
    const h = createHarness(3)
    const [a, b, c] = h.peers
    const logs = h.peers.map(record)
    h.step(3)
    const crate = h.spawnMover(a, { persistent: true })
    const avatar = h.spawnMover(a)
    h.step(5)
    for (const l of logs) l.log.length = 0
    const won = b.net.requestOwnership(replicaOf(a, crate, b)!)
    h.step(6)
    expect(await won).toBe(true)
    expect(logs[0].log).toEqual(['lost 0@p0 p0→p1 request'])
    expect(logs[1].log).toEqual(['gained 0@p0 p0→p1 request'])
    expect(logs[2].log).toEqual(['transferred 0@p0 p0→p1 request'])
    expect(logs[1].changes[0].eid).toBe(replicaOf(a, crate, b))
    for (const l of logs) l.log.length = 0

    // b leaves: the crate (persistent) passes to the heir, the peer admitted first: a.
    b.transport.close()
    b.net.close()
    h.peers.splice(1, 1)
    h.step(6)
    expect(logs[0].log).toEqual(['gained 0@p0 p1→p0 heir'])
    expect(logs[2].log).toEqual(['transferred 0@p0 p1→p0 heir'])
    for (const l of logs) l.log.length = 0

    // a leaves: the crate passes to c; a's avatar (not persistent) goes with it.
    expect(replicaOf(a, avatar, c)).toBeDefined()
    a.transport.close()
    a.net.close()
    h.peers.splice(0, 1)
    h.step(6)
    expect(logs[2].log.sort()).toEqual(['despawned 1@p0 owner p0 ownerLeft in world', 'gained 0@p0 p0→p2 heir'])
  })

  it('an event sent with self: true reaches our own handlers at the next receive(), decoded, from us; the others get it once', () => {
    const h = createHarness(2)
    const [a, b] = h.peers
    h.step(3)
    const got = h.peers.map(() => [] as string[])
    h.peers.forEach((p, i) => p.net.on(Chat, (m, from) => got[i].push(`${from.id}: ${m.text}`)))
    const sent = { text: 'hello' }
    a.net.send(Chat, sent, { self: true })
    a.net.send(Chat, { text: 'only to them' })
    a.net.send(Chat, { text: 'to b and me' }, { to: 'p1', self: true })
    expect(got[0]).toEqual([]) // not inside send()
    h.step(4)
    expect(got[0]).toEqual(['p0: hello', 'p0: to b and me'])
    expect(got[1]).toEqual(['p0: hello', 'p0: only to them', 'p0: to b and me'])
    h.step(4)
    expect(got[0]).toHaveLength(2) // once
    sent.text = 'changed after send'
    expect(got[0][0]).toBe('p0: hello')
  })
})
