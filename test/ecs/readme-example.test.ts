// The README's "Replication" example, verbatim apart from the imports (README: 'bitecs-multiuser'),
// so it stays true. Schema: the hand-written test schema (generated code builds the same with defineComponent).
import { expect, it } from 'vitest'
import { createTestSchema, Chat } from '../helpers/test-schema.js'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { createMemoryNetwork, createNetwork } from '../../src/index.js'

it('README: two peers over MemoryTransport', () => {
  // --- README example start ---
  const hub = createMemoryNetwork({ seed: 1, link: { latency: 30, jitter: 10, loss: 0.1 } })

  function peer(id: string) {
    const { schema, Transform } = createTestSchema(1024) // generated: createGameSchema(1024)
    const world = createWorld()
    const net = createNetwork(world, { schema, transport: hub.join(id), maxEntities: 1024 })
    return { world, net, Transform }
  }
  const alice = peer('alice')
  const bob = peer('bob')
  const chat: string[] = []
  bob.net.on(Chat, (msg, from) => chat.push(`${from.id}: ${msg.text}`))

  const me = addEntity(alice.world)
  addComponent(alice.world, me, alice.Transform)
  alice.net.spawn(me) // owned by alice, replicated to everyone (late joiners get it too)

  for (let tick = 0; tick < 60; tick++) {
    alice.Transform.x[me] = tick * 0.1 // plain typed-array writes are detected
    if (tick === 10) alice.net.send(Chat, { text: 'hi' }) // events go to peers connected at that time
    for (const p of [alice, bob]) p.net.receive() // apply what arrived
    for (const p of [alice, bob]) p.net.flush() // detect changes, send deltas
    hub.advance(1000 / 30) // virtual time: one 30 Hz tick
  }
  for (let tick = 0; tick < 10; tick++) {
    for (const p of [alice, bob]) p.net.receive(), p.net.flush()
    hub.advance(1000 / 30)
  }
  const copy = bob.net.eidOf(alice.net.netIdOf(me)!)!
  console.log(bob.Transform.x[copy], bob.net.ownerOf(copy)) // ≈ 5.9 'alice'
  console.log(bob.net.interpolated(bob.Transform).x[copy]) // what a renderer draws
  console.log(chat) // [ 'alice: hi' ]
  // --- README example end ---
  expect(bob.Transform.x[copy]).toBeCloseTo(5.9, 3)
  expect(bob.net.ownerOf(copy)).toBe('alice')
  expect(chat).toEqual(['alice: hi'])
  expect(bob.net.interpolated(bob.Transform).x[copy]).toBeCloseTo(5.9, 3)
})
