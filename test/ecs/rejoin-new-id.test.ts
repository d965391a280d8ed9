// Our own peer id changes under us (PEER_ID_CHANGED: a relay restarted without its key could not resume it): to the
// others we left and came back as a new player, and the world converges as if we had: our entities come back under
// new net ids, the persistent one stays with the heir the others elected, nothing is doubled, nobody is struck.
import { addComponent, addEntity, createWorld } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createNetwork, type Network } from '../../src/ecs/index.js'
import { Emitter } from '../../src/shared/emitter.js'
import { createMemoryNetwork, type MemoryNetwork, type MemoryTransport } from '../../src/transport/memory/index.js'
import type { PeerIdentity, Transport, TransportEvents } from '../../src/transport/transport.js'
import { createTestSchema, type TestSchema } from '../helpers/test-schema.js'

/** A transport whose peer id can change, as the PeerJS transport's does when the relay cannot resume it. */
function renamable(hub: MemoryNetwork, id: string): Transport & { renameTo(next: string): void } {
  const events = new Emitter<TransportEvents>()
  let current: MemoryTransport
  let unsubscribe: (() => void)[] = []
  const attach = (t: MemoryTransport): void => {
    current = t
    unsubscribe = (['peerJoined', 'peerLeft', 'message'] as const).map((e) => t.on(e, ((...args: unknown[]) => (events.emit as (e: string, ...a: unknown[]) => void)(e, ...args)) as never))
  }
  attach(hub.join(id))
  return {
    get clock() {
      return current.clock
    },
    get self(): PeerIdentity {
      return current.self
    },
    get peers() {
      return current.peers
    },
    send: (to, channel, data) => current.send(to, channel, data),
    on: (event, listener) => events.on(event, listener),
    disconnect: (peerId, reason) => current.disconnect(peerId, reason),
    close: () => current.close(),
    renameTo(next) {
      const old = current
      for (const u of unsubscribe) u()
      const gone = [...old.peers.keys()]
      old.close()
      for (const p of gone) events.emit('peerLeft', p, 'rejoined under a new peer id')
      attach(hub.join(next))
    },
  }
}

interface P {
  net: Network
  s: TestSchema
  world: ReturnType<typeof createWorld>
}

describe('our peer id changes (the relay could not resume it)', () => {
  it('we come back as a new player: our avatar under a new net id, the persistent crate with the heir, nothing doubled', () => {
    const hub = createMemoryNetwork({ seed: 4, link: { latency: 10 } })
    const ta = renamable(hub, 'a')
    const mk = (t: Transport): P => {
      const s = createTestSchema(256)
      const world = createWorld()
      return { s, world, net: createNetwork(world, { schema: s.schema, transport: t, maxEntities: 256 }) }
    }
    const a = mk(ta)
    hub.advance(100)
    const b = mk(hub.join('b'))
    hub.advance(100)
    const c = mk(hub.join('c'))
    const all = [a, b, c]
    const step = (n: number) => {
      for (let i = 0; i < n; i++) {
        for (const p of all) p.net.receive()
        for (const p of all) p.net.flush()
        hub.advance(1000 / 30)
      }
    }
    step(3)
    const spawn = (persistent: boolean, x: number) => {
      const e = addEntity(a.world)
      addComponent(a.world, e, a.s.Transform)
      a.s.Transform.x[e] = x
      a.net.spawn(e, { persistent })
      return e
    }
    const avatar = spawn(false, 1)
    spawn(true, 2)
    step(6)
    for (const p of [b, c]) expect(p.net.stats.entities.remote).toBe(2)

    ta.renameTo('a2')
    step(20)
    expect(a.net.selfId).toBe('a2')
    // Our avatar: still ours, under a net id of our new id, seen once by each of the others.
    expect(a.net.isOwner(avatar)).toBe(true)
    expect(a.net.netIdOf(avatar)!.origin).toBe('a2')
    for (const p of [b, c]) {
      const r = p.net.eidOf(a.net.netIdOf(avatar)!)!
      expect(p.s.Transform.x[r]).toBeCloseTo(1, 3)
      expect(p.net.ownerOf(r)).toBe('a2')
    }
    // The crate: with b (admitted first of those who stayed), everywhere, once.
    const crateId = { origin: 'a', n: 1 }
    for (const p of all) {
      const r = p.net.eidOf(crateId)
      expect(r, 'the crate is known').toBeDefined()
      expect(p.net.ownerOf(r!)).toBe('b')
      expect(p.s.Transform.x[r!]).toBeCloseTo(2, 3)
    }
    expect(b.net.stats.entities).toEqual({ owned: 1, remote: 1 })
    expect(c.net.stats.entities).toEqual({ owned: 0, remote: 2 })
    expect(a.net.stats.entities).toEqual({ owned: 1, remote: 1 })
    // And it keeps working: a move of ours arrives.
    a.s.Transform.x[avatar] = 5
    step(5)
    expect(b.s.Transform.x[b.net.eidOf(a.net.netIdOf(avatar)!)!]).toBeCloseTo(5, 3)
    for (const p of all) expect(p.net.stats.invalid).toBe(0)
  })
})
