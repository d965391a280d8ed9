// What `net.peers` says of each peer: its verified DID and handle (from the transport's verified identity), its
// admission time, and the link's RTT and loss.
import { createWorld } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createNetwork } from '../../src/ecs/index.js'
import { createMemoryNetwork } from '../../src/transport/memory/index.js'
import { createTestSchema } from '../helpers/test-schema.js'

describe('net.peers', () => {
  it('carries the verified DID and handle, and the admission order', () => {
    const hub = createMemoryNetwork({ seed: 5, link: { latency: 5 } })
    const nets = [
      hub.join('alice', { did: 'did:plc:alice', handle: 'alice.test' }),
      hub.join('bob', { did: 'did:plc:bob' }),
      hub.join('guest'),
    ].map((t) => createNetwork(createWorld(), { schema: createTestSchema(64).schema, transport: t, maxEntities: 64 }))
    for (let i = 0; i < 10; i++) {
      for (const n of nets) n.receive(), n.flush()
      hub.advance(20)
    }
    const seen = nets[2].peers.map(({ id, did, handle }) => ({ id, did, handle })).sort((x, y) => x.id.localeCompare(y.id))
    expect(seen).toEqual([
      { id: 'alice', did: 'did:plc:alice', handle: 'alice.test' },
      { id: 'bob', did: 'did:plc:bob', handle: undefined },
    ])
    const [alice, bob] = ['alice', 'bob'].map((id) => nets[2].peers.find((p) => p.id === id)!)
    expect(alice.admittedAt).toBeLessThan(bob.admittedAt)
    expect('handle' in bob).toBe(false)
  })
})
