// Host mode's authority: the host owns every replicated entity, clients talk to the host only (star topology), and
// host mode never mixes with owner authority.
import { addComponent, addEntity, createWorld } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createGameSchema } from '../../generated/game/schema.js'
import { createNetwork, ErrorCode, type Refused } from '../../src/index.js'
import { buildFrame, encodeMessage } from '../../src/protocol/reliable-codec.js'
import { createMemoryNetwork } from '../../src/transport/memory/index.js'
import { createHostHarness, TICK_MS } from './helpers.js'

describe('host mode: authority', () => {
  it('star topology: each client keeps the host only; the host\'s entities reach every client, owned by the host', () => {
    const h = createHostHarness(3)
    h.step(5)
    expect(h.host.net.peers.map((p) => p.id).sort()).toEqual(['c0', 'c1', 'c2'])
    for (const c of h.clients) {
      expect(c.net.peers.map((p) => p.id)).toEqual(['host'])
      expect(c.net.hostId).toBe('host')
      expect(c.net.stats.host.starDropped).toBe(2)
      expect([...c.transport.peers.keys()]).toEqual(['host']) // the links between clients were closed
    }
    expect(h.host.net.hostId).toBe('host')
    const e = h.spawnFor(h.clients[0], 3.5)
    h.step(3)
    for (const c of h.clients) {
      const r = h.replica(c, e)!
      expect(c.g.Transform.x[r]).toBeCloseTo(3.5, 3)
      expect(c.net.ownerOf(r)).toBe('host')
    }
  })

  it('a client may not spawn, despawn or ask for ownership (NOT_HOST); the host strikes such messages from a client', async () => {
    const h = createHostHarness(1)
    h.step(5)
    const c = h.clients[0]
    const eid = addEntity(c.world)
    addComponent(c.world, eid, c.g.Transform)
    expect(() => c.net.spawn(eid)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_HOST }))
    const e = h.spawnFor(c)
    h.step(3)
    const r = h.replica(c, e)!
    expect(() => c.net.despawn(r)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_HOST }))
    expect(() => c.net.requestOwnership(r)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_HOST }))
    // A forged ownership request, straight on the client's transport.
    const id = h.host.net.netIdOf(e)!
    c.transport.send('host', 'reliable', buildFrame([encodeMessage({ body: { $case: 'ownershipRequest', value: { id, requestId: 1 } } })]))
    h.step(2)
    expect(h.host.net.stats.dropped.notOwner).toBe(1)
    expect(h.host.net.ownerOf(e)).toBe('host')
  })

  it('host mode and owner authority refuse each other, and so do two hosts (AUTHORITY_MISMATCH)', () => {
    const hub = createMemoryNetwork({ seed: 3 })
    const make = (id: string, o: { authority?: 'host' | 'owner'; host?: boolean }) => {
      const g = createGameSchema(64)
      const net = createNetwork(createWorld(), { schema: g.schema, transport: hub.join(id), maxEntities: 64, ...o })
      const refused: Refused[] = []
      net.events.on('refused', (r) => refused.push(r))
      return { net, refused }
    }
    const host = make('h', { authority: 'host', host: true })
    const owner = make('o', {})
    const second = make('h2', { authority: 'host', host: true })
    for (let i = 0; i < 5; i++) {
      for (const p of [host, owner, second]) p.net.receive()
      for (const p of [host, owner, second]) p.net.flush()
      hub.advance(TICK_MS)
    }
    for (const p of [host, owner, second]) expect(p.net.peers).toEqual([])
    expect(host.refused.map((r) => [r.peerId, r.code]).sort()).toEqual([['h2', 'AUTHORITY_MISMATCH'], ['o', 'AUTHORITY_MISMATCH']])
    expect(owner.refused.map((r) => r.code)).toEqual(['AUTHORITY_MISMATCH', 'AUTHORITY_MISMATCH'])
  })
})
