// The owner of a persistent entity leaves while a newcomer is still joining (issue: the newcomer never got the entity,
// and every later reliable message from the heir waited forever for it). Whatever the timing, the newcomer ends with
// the entity, owned by the heir, and the heir's later messages reach it.
import { addComponent, addEntity } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { Chat } from '../helpers/test-schema.js'
import { createHarness, replicaOf } from './helpers/peers.js'

describe('owner leaves while a newcomer joins', () => {
  for (const seed of [1, 2, 3]) {
    for (const after of [0, 1, 2, 3, 4, 6]) {
      it(`seed ${seed}: the owner leaves ${after} ticks after the newcomer's createNetwork`, () => {
        const h = createHarness(2, { seed, link: { latency: 15, jitter: 10 } })
        const [owner, heir] = h.peers
        h.step(3)
        const e = addEntity(owner.world)
        addComponent(owner.world, e, owner.s.Transform)
        owner.s.Transform.x[e] = 7
        owner.net.spawn(e, { persistent: true })
        h.step(5)
        const newcomer = h.addPeer('p2')
        h.step(after)
        owner.transport.close()
        owner.net.close()
        h.peers.splice(h.peers.indexOf(owner), 1)
        h.step(30)
        const onHeir = replicaOf(owner, e, heir) ?? heir.net.eidOf({ origin: 'p0', n: 0 })!
        expect(heir.net.isOwner(onHeir)).toBe(true)
        const id = heir.net.netIdOf(onHeir)!
        const onNew = newcomer.net.eidOf(id)
        expect(onNew, 'the newcomer has the entity').toBeDefined()
        expect(newcomer.net.ownerOf(onNew!)).toBe(heir.id)
        expect(newcomer.s.Transform.x[onNew!]).toBeCloseTo(7, 3)
        // The heir's stream to the newcomer flows: a move and an event arrive.
        const got: string[] = []
        newcomer.net.on(Chat, (m) => got.push(m.text))
        heir.s.Transform.x[onHeir] = 9
        heir.net.send(Chat, { text: 'still here' })
        h.step(10)
        expect(newcomer.s.Transform.x[onNew!]).toBeCloseTo(9, 3)
        expect(got).toEqual(['still here'])
        expect(newcomer.net.stats.invalid).toBe(0)
      })
    }
  }
})
