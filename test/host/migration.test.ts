// Host migration: the host leaves; the client admitted first takes over with the state it has, the others make it
// their host, no entity is lost, and play resumes (inputs, state) within a bounded pause.
import { addComponent, addEntity } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { MoveInput } from '../../generated/game/schema.js'
import type { HostChange } from '../../src/index.js'
import { createHostHarness, TICK_MS } from './helpers.js'

describe('host mode: host migration', () => {
  it('the host leaves: c0 (admitted first) takes every entity, c1 and c2 re-target it, inputs and state flow again', () => {
    const h = createHostHarness(3, { link: { latency: 20 }, host: { hostMigration: true }, client: () => ({ hostMigration: true }) })
    h.step(5)
    const [c0, c1, c2] = h.clients
    for (const c of h.clients) {
      expect(c.net.peers.map((p) => p.id)).toEqual(['host']) // the links between clients stay, idle
      expect(c.transport.peers.size).toBe(3)
    }
    const crates: number[] = []
    for (let i = 0; i < 8; i++) crates.push(h.spawnFor(c0, i))
    h.step(5)
    const ids = crates.map((e) => h.host.net.netIdOf(e)!)
    const changes: HostChange[][] = h.clients.map((c) => {
      const list: HostChange[] = []
      c.net.events.on('hostChanged', (x) => list.push(x))
      return list
    })
    for (const c of h.clients) expect(c.net.stats.entities.remote).toBe(8)

    h.host.transport.close()
    const leftAt = h.hub.now
    h.hub.advance(1)
    for (const c of h.clients) c.net.receive()
    for (const [i, c] of h.clients.entries()) {
      expect(changes[i]).toEqual([{ previous: 'host', host: 'c0' }])
      expect(c.net.hostId).toBe('c0')
      expect(c.net.stats.host.migrations).toBe(1)
    }
    // No entity lost: c0 owns them all now, the others still have them, owned by c0.
    expect(c0.net.stats.entities).toEqual({ owned: 8, remote: 0 })
    for (const c of [c1, c2]) {
      expect(c.net.stats.entities).toEqual({ owned: 0, remote: 8 })
      for (const id of ids) expect(c.net.ownerOf(c.net.eidOf(id)!)).toBe('c0')
      expect(c.net.peers.map((p) => p.id)).toEqual(['c0'])
    }
    expect(c0.net.peers.map((p) => p.id).sort()).toEqual(['c1', 'c2'])

    // c0 runs the game now: c1's inputs reach it, and its state reaches c1 and c2.
    const applied: number[] = []
    c0.net.onInput(MoveInput, (_input, from, seq) => from.id === 'c1' && applied.push(seq))
    const first = c0.net.eidOf(ids[0])!
    let resumedAt = -1
    const watch = c1.net.eidOf(ids[0])!
    for (let t = 0; t < 60; t++) {
      for (const c of h.clients) c.net.receive()
      if (resumedAt < 0 && c1.g.Transform.x[watch] > 100) resumedAt = h.hub.now
      c1.net.sendInput(MoveInput, { dx: 1, dz: 0, jump: false })
      c0.g.Transform.x[first] = 100 + t
      for (const c of h.clients) c.net.flush()
      h.hub.advance(TICK_MS)
    }
    for (const c of h.clients) c.net.receive()
    expect(applied.length).toBeGreaterThan(50)
    for (let k = 1; k < applied.length; k++) expect(applied[k]).toBe(applied[k - 1] + 1)
    expect(c2.g.Transform.x[c2.net.eidOf(ids[0])!]).toBeCloseTo(159, 3)
    expect(resumedAt).toBeGreaterThan(0)
    expect(resumedAt - leftAt).toBeLessThan(2000) // the pause, in virtual ms
    expect(c0.net.stats.host.inputsLost).toBe(0)
    // A new entity of the new host reaches everyone.
    const e = addEntity(c0.world)
    addComponent(c0.world, e, c0.g.Transform)
    c0.g.Transform.x[e] = 42
    c0.net.spawn(e)
    h.step(3)
    for (const c of [c1, c2]) expect(c.g.Transform.x[c.net.eidOf(c0.net.netIdOf(e)!)!]).toBeCloseTo(42, 3)
  })

  it('without hostMigration the host\'s entities leave with it', () => {
    const h = createHostHarness(2)
    h.step(5)
    h.spawnFor(h.clients[0])
    h.step(3)
    expect(h.clients[0].net.stats.entities.remote).toBe(1)
    h.host.transport.close()
    h.step(2)
    for (const c of h.clients) {
      expect(c.net.stats.entities.remote).toBe(0)
      expect(c.net.hostId).toBeNull()
    }
  })
})
