/**
 * Matchmaking over HTTP: the typed client (`relayClient().matchmake`) and raw event streams against a real relay.
 * Fill to N, parties kept together, cancel (closing the stream), timeouts, a DID queueing twice; the match's room is
 * invite-only to its members, opened by their session tickets (which verify against the relay's DID document and
 * name every member), and a DID member's ticket works only for that DID. The rules' timing (widening) is tested on
 * the queue with a virtual clock (match-queue.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import { verifySessionTicket } from '../../src/signaling/session-ticket.js'
import { joinRoom } from '../../src/auth/join.js'
import { anonymous } from '../../src/auth/token-source.js'
import type { Match } from '../../src/signaling/contract.js'
import { postJoin, refused, until } from './helpers.js'
import { closeAll, gauge, identity, rawStream, startLobbyRelay } from './lobby-helpers.js'

afterAll(closeAll)

const PARTY = 'party-of-friends-0001'

describe('matchmaking', () => {
  it('fills to N: the N players get one room and one session; each ticket verifies, names every member and opens the room', async () => {
    const relay = await startLobbyRelay({ matchQueues: { trio: { size: 3 } } })
    const client = relayClient(relay.url)
    const tickets: string[] = []
    const waits = [0, 1, 2].map(() => client.matchmake({ queue: 'trio' }, { onQueued: (t) => tickets.push(t) }))
    const matches = await Promise.all(waits)
    expect(new Set(matches.map((m) => m.room)).size).toBe(1)
    expect(new Set(matches.map((m) => m.session)).size).toBe(1)
    expect(new Set(matches.map((m) => m.member))).toEqual(new Set(tickets))
    const { room, session } = matches[0]
    for (const m of matches) {
      const claims = await verifySessionTicket(m.ticket, relay.didDocument, { session, room })
      expect(claims).toMatchObject({ iss: relay.did, session, room, queue: 'trio', member: m.member })
      expect(claims.members.map((x) => x.id).sort()).toEqual([...tickets].sort())
      expect(claims.members.every((x) => x.did === null)).toBe(true)
    }
    await expect(verifySessionTicket(matches[0].ticket, relay.didDocument, { session: 'another' })).rejects.toMatchObject({ code: 'TICKET_SESSION_MISMATCH' })
    // The room is the session's: invite-only to the members, never listed, at most 3.
    expect((await client.listRooms()).rooms).toEqual([])
    await refused(relay, 'ROOM_INVITE_REQUIRED', () => postJoin(relay.url, room), 403)
    for (const m of matches) expect((await joinRoom(relay.url, room, anonymous(), { credentials: { session: m.ticket } })).room).toBe(room)
    await refused(relay, 'ROOM_FULL', () => postJoin(relay.url, room, { body: { session: matches[0].ticket } }), 409)
    expect(await gauge(relay, 'bitecs_relay_match_waiting')).toBe(0)
    expect(await gauge(relay, 'bitecs_relay_match_outcomes_total', { outcome: 'matched' })).toBe(1)
  })

  it('a DID member\'s session ticket opens the room for that DID only; another session\'s ticket opens nothing', async () => {
    const relay = await startLobbyRelay()
    const [alice, bob, mallory] = await Promise.all([identity(), identity(), identity()])
    const [ma, mb] = await Promise.all([alice, bob].map((id) => relayClient(relay.url, { token: id.source(relay) }).matchmake({ queue: 'duel' })))
    expect(ma.members.map((m) => m.did).sort()).toEqual([alice.did, bob.did].sort())
    const claims = await verifySessionTicket(ma.ticket, relay.didDocument)
    expect(claims.did).toBe(alice.did)
    await refused(relay, 'ROOM_INVITE_REQUIRED', async () => postJoin(relay.url, ma.room, { token: await mallory.mint(relay), body: { session: ma.ticket } }))
    await refused(relay, 'ROOM_INVITE_REQUIRED', () => postJoin(relay.url, ma.room, { body: { session: ma.ticket } })) // anonymous
    expect((await postJoin(relay.url, ma.room, { token: await alice.mint(relay), body: { session: ma.ticket } })).status).toBe(200)
    expect((await postJoin(relay.url, mb.room, { token: await bob.mint(relay), body: { session: mb.ticket } })).status).toBe(200)
    // Two anonymous players of another match: their tickets do not open this room.
    const anon = relayClient(relay.url)
    const [other] = await Promise.all([anon.matchmake({ queue: 'duel' }), anon.matchmake({ queue: 'duel' })])
    await refused(relay, 'ROOM_INVITE_REQUIRED', () => postJoin(relay.url, ma.room, { body: { session: other.ticket } }))
  })

  it('keeps a party together, and refuses a member who disagrees with it', async () => {
    const relay = await startLobbyRelay({ matchQueues: { squad: { size: 4 } } })
    const client = relayClient(relay.url)
    const party = { id: PARTY, size: 2 }
    const p1 = client.matchmake({ queue: 'squad', party, attributes: { skill: 1000 } })
    const s1 = client.matchmake({ queue: 'squad', attributes: { skill: 1010 } })
    const s2 = client.matchmake({ queue: 'squad', attributes: { skill: 990 } })
    const s3 = client.matchmake({ queue: 'squad', attributes: { skill: 1000 } })
    // Half a party and three solos: no match of 4 without the party's other half.
    await until(async () => (await gauge(relay, 'bitecs_relay_match_waiting')) === 4)
    await expect(client.matchmake({ queue: 'squad', party: { id: PARTY, size: 3 } })).rejects.toMatchObject({ code: 'MATCH_PARTY_MISMATCH', status: 409 })
    const p2 = client.matchmake({ queue: 'squad', party, attributes: { skill: 1000 } })
    const matched = await Promise.race([Promise.all([p1, p2]), new Promise<Match[]>((r) => setTimeout(() => r([]), 5000))])
    expect(matched).toHaveLength(2)
    const [a, b] = matched
    expect(a.session).toBe(b.session)
    expect(a.members.filter((m) => m.party === PARTY)).toHaveLength(2)
    expect(a.members).toHaveLength(4)
    // One of the three solos is left waiting.
    const done = await Promise.race([Promise.allSettled([s1, s2, s3]).then(() => 'all'), new Promise((r) => setTimeout(() => r('one waits'), 300))])
    expect(done).toBe('one waits')
    expect(await gauge(relay, 'bitecs_relay_match_waiting')).toBe(1)
  })

  it('cancel: closing the stream (aborting matchmake) leaves the queue, and nobody is matched with a player gone', async () => {
    const relay = await startLobbyRelay()
    const client = relayClient(relay.url)
    const ac = new AbortController()
    let gone = ''
    const first = client.matchmake({ queue: 'duel' }, { signal: ac.signal, onQueued: (t) => (gone = t) })
    await until(async () => (await gauge(relay, 'bitecs_relay_match_waiting')) === 1)
    ac.abort()
    await expect(first).rejects.toMatchObject({ code: 'MATCH_CANCELLED' })
    await until(async () => (await gauge(relay, 'bitecs_relay_match_waiting')) === 0)
    const [a, b] = await Promise.all([client.matchmake({ queue: 'duel' }), client.matchmake({ queue: 'duel' })])
    expect(a.members.map((m) => m.id)).not.toContain(gone)
    expect(a.session).toBe(b.session)
  })

  it('times out after the queue\'s timeoutMs (MATCH_TIMEOUT), and a DID queueing again ends its earlier wait (MATCH_CANCELLED)', async () => {
    const relay = await startLobbyRelay({ matchQueues: { slow: { size: 2, timeoutMs: 200 }, '*': { size: 2 } } })
    await expect(relayClient(relay.url).matchmake({ queue: 'slow' })).rejects.toMatchObject({ code: 'MATCH_TIMEOUT' })
    expect(await gauge(relay, 'bitecs_relay_match_outcomes_total', { outcome: 'timeout' })).toBe(1)
    const alice = await identity()
    const client = relayClient(relay.url, { token: alice.source(relay) })
    const earlier = client.matchmake({ queue: 'duel' })
    await until(async () => (await gauge(relay, 'bitecs_relay_match_waiting')) === 1)
    const again = client.matchmake({ queue: 'duel' })
    await expect(earlier).rejects.toMatchObject({ code: 'MATCH_CANCELLED' })
    const other = await relayClient(relay.url).matchmake({ queue: 'duel' })
    expect((await again).session).toBe(other.session)
  })

  it('answers a stream: queued, then one outcome, then the end; refusals come before it as JSON errors', async () => {
    const relay = await startLobbyRelay({ matchQueues: { only: { size: 2 } } })
    const a = await rawStream(relay, { queue: 'only', attributes: { skill: 1200, region: 'eu' } })
    expect([a.status, a.contentType]).toEqual([200, 'text/event-stream; charset=utf-8'])
    await until(() => a.events.length === 1)
    expect(a.events[0]).toMatchObject({ event: 'queued', data: { queue: 'only' } })
    const b = await rawStream(relay, { queue: 'only', attributes: { skill: 1250, region: 'eu' } })
    await until(() => a.ended && b.ended)
    expect(a.events.map((e) => e.event)).toEqual(['queued', 'matched'])
    expect(a.events[1].data.room).toBe(b.events[1].data.room)
    for (const [body, code, status] of [
      [{ queue: 'elsewhere' }, 'MATCH_QUEUE_UNKNOWN', 404],
      [{ queue: 'bad name' }, 'MATCH_REQUEST_INVALID', 400],
      [{ queue: 'only', attributes: { skill: 'x'.repeat(65) } }, 'MATCH_REQUEST_INVALID', 400],
      [{ queue: 'only', party: { id: 'short', size: 2 } }, 'MATCH_REQUEST_INVALID', 400],
      [{ queue: 'only', party: { id: PARTY, size: 3 } }, 'MATCH_REQUEST_INVALID', 400],
    ] as const) {
      const r = await rawStream(relay, body)
      expect([r.status, r.body?.error], JSON.stringify(body)).toEqual([status, code])
    }
  })

  it('a stream cut by the relay going away is MATCH_INTERRUPTED for the client (queue again)', async () => {
    const relay = await startLobbyRelay()
    const wait = relayClient(relay.url).matchmake({ queue: 'duel' })
    await until(async () => (await gauge(relay, 'bitecs_relay_match_waiting')) === 1)
    const interrupted = expect(wait).rejects.toMatchObject({ code: 'MATCH_INTERRUPTED' }) // before the close: the stream may end first
    await relay.close()
    await interrupted
  })
})
