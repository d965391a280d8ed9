// Session whitelisting: a host admits only peers with a relay-signed session ticket of its session (real P-256
// signatures, the relay's own signing code); the others are refused before the game hears from them.
import { P256Keypair } from '@atproto/crypto'
import { describe, expect, it } from 'vitest'
import { Chat } from '../../generated/game/schema.js'
import { sessionWhitelist, type Refused } from '../../src/index.js'
import { signRelayToken } from '../../src/relay/ticket-sign.js'
import { SESSION_TYP, type SessionTicketClaims } from '../../src/signaling/session-ticket.js'
import { createHostHarness, type HostHarness } from './helpers.js'

const members = [{ id: 'm-anon', did: null }, { id: 'm-alice', did: 'did:plc:alice' }]

async function ticket(key: P256Keypair, claims: Partial<SessionTicketClaims>): Promise<string> {
  const iat = Math.floor(Date.now() / 1000)
  return signRelayToken(key, { iss: key.did(), session: 's1', queue: 'arena', room: 'match-1', member: 'm-anon', members, iat, exp: iat + 300, ...claims }, SESSION_TYP)
}

/** Steps until every pending ticket check settled (they are real signature checks, off the virtual clock). */
async function settle(h: HostHarness, ticks = 30): Promise<void> {
  for (let i = 0; i < ticks; i++) {
    h.step(1)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('host mode: session whitelisting', () => {
  it('admits members with a valid ticket; refuses no ticket, another session, another relay, another DID (NOT_IN_SESSION)', async () => {
    const relay = await P256Keypair.create()
    const stranger = await P256Keypair.create()
    const clients: Array<{ sessionTicket?: string; did?: string }> = [
      { sessionTicket: await ticket(relay, {}) }, // c0: the anonymous member
      { sessionTicket: await ticket(relay, { member: 'm-alice', did: 'did:plc:alice' }), did: 'did:plc:alice' }, // c1: alice
      {}, // c2: no ticket
      { sessionTicket: await ticket(relay, { session: 's2' }) }, // c3: another session
      { sessionTicket: await ticket(stranger, {}) }, // c4: not signed by the relay
      { sessionTicket: await ticket(relay, { member: 'm-alice', did: 'did:plc:alice' }), did: 'did:plc:mallory' }, // c5: alice's ticket, mallory's link
    ]
    const h = createHostHarness(clients.length, { host: { admit: sessionWhitelist({ session: 's1', relay: relay.did() }) }, client: (i) => clients[i] })
    const hostRefused: Refused[] = []
    h.host.net.events.on('refused', (r) => hostRefused.push(r))
    const left: string[][] = h.clients.map((c) => {
      const list: string[] = []
      c.net.events.on('peerLeft', (id, reason) => list.push(`${id}: ${reason}`))
      return list
    })
    const heard: string[] = []
    h.host.net.on(Chat, (_m, from) => heard.push(from.id))
    h.step(3)
    // Every client took the host's hello, so it already talks to it: the refused ones are never heard.
    for (const c of h.clients) {
      expect(c.net.hostId).toBe('host')
      c.net.send(Chat, { text: `hi from ${c.id}` })
    }
    expect(h.host.net.peers).toEqual([]) // the checks are under way
    await settle(h)
    expect(h.host.net.peers.map((p) => p.id).sort()).toEqual(['c0', 'c1'])
    expect(heard.sort()).toEqual(['c0', 'c1'])
    expect(h.host.net.stats.host.refused).toBe(4)
    expect(hostRefused.map((r) => `${r.peerId} ${r.code}`).sort()).toEqual(['c2', 'c3', 'c4', 'c5'].map((id) => `${id} NOT_IN_SESSION`))
    // The refused ones lost their host (the link closed with the code); the admitted ones kept it.
    for (const i of [2, 3, 4, 5]) {
      expect(left[i]).toEqual(['host: NOT_IN_SESSION'])
      expect(h.clients[i].net.peers).toEqual([])
    }
    for (const i of [0, 1]) expect(left[i]).toEqual([])
    // The admitted ones replicate.
    const e = h.spawnFor(h.clients[0], 1.25)
    await settle(h, 3)
    expect(h.clients[0].g.Transform.x[h.replica(h.clients[0], e)!]).toBeCloseTo(1.25, 3)
    expect(h.replica(h.clients[2], e)).toBeUndefined()
  })

  it('without `admit` a host takes every client (the default)', async () => {
    const h = createHostHarness(2)
    await settle(h, 3)
    expect(h.host.net.peers.length).toBe(2)
    expect(h.host.net.stats.host.refused).toBe(0)
  })
})
