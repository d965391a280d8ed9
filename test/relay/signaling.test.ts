/**
 * The PeerJS socket side of the relay, driven with raw `ws` clients as an attacker would: join tokens (reuse,
 * guess, expiry), PeerJS key, routing only within a room, relay-only control messages, invalid-message limit,
 * capacity limits, and the HTTP endpoints. Anonymous joins (auth: optional): no PDS needed here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay, type Relay } from '../../src/relay/index.js'
import { joinRoom, anonymous } from '../../src/auth/index.js'
import { freePort } from '../helpers/pds.js'
import { verifyTicket } from '../../src/signaling/ticket.js'
import { asJoin, expectRefused, memoryLogger, postJoin, RawPeer, sleep, until } from './helpers.js'

const logs = memoryLogger()
let relay: Relay
let url: string
const secrets: string[] = []

async function anonJoin(room: string) {
  const j = asJoin(await postJoin(url, room))
  secrets.push(j.joinToken, j.ticket)
  return j
}

async function connect(room: string) {
  const j = await anonJoin(room)
  const peer = RawPeer.forJoin(j)
  await peer.next((m) => m.type === 'OPEN')
  return { j, peer }
}

beforeAll(async () => {
  relay = createRelay({ auth: 'optional', iceServers: [], logger: logs.logger, maxPeersPerRoom: 3, maxPeers: 6 })
  url = (await relay.listen()).url
})
afterAll(async () => {
  await relay.close()
})

describe('join API (anonymous)', () => {
  it('admits an anonymous peer with PeerJS options that point at this relay', async () => {
    const j = await anonJoin('lobby-a')
    expect(j.did).toBeNull()
    expect(j.peerId).toMatch(/^[0-9a-f]{32}$/)
    expect(j.joinToken).toMatch(/^[0-9a-f]{64}$/)
    // Bound to 127.0.0.1, it advertises 127.0.0.1 (not localhost, which may resolve to ::1); its did:web names a
    // host (ATProto refuses an IP address as a token audience): localhost.
    expect(relay.url).toBe(`http://127.0.0.1:${relay.address.port}/`)
    expect(j.peerjs).toEqual({ host: '127.0.0.1', port: relay.address.port, path: '/', key: 'peerjs', secure: false })
    expect(j.relayDid).toBe(`did:web:localhost%3A${relay.address.port}`)
    expect(j.roster).toEqual([])
    const claims = await verifyTicket(j.ticket, relay.didDocument, { room: 'lobby-a', peerId: j.peerId })
    expect(claims.did).toBeUndefined()
    // The admission time is the relay's clock, in the signed ticket and in the answer.
    expect(claims.admittedAt).toBe(j.admittedAt)
    expect(Math.abs(j.admittedAt - Date.now())).toBeLessThan(5_000)
    expect(relay.stats().pendingJoins).toBeGreaterThan(0)
  })

  it('refuses a bad room name', async () => {
    const before = relay.stats()
    await expectRefused(relay, before, await postJoin(url, 'a/b%2F'), 'ROOM_INVALID')
    await expectRefused(relay, before, await postJoin(url, 'x'.repeat(65)), 'ROOM_INVALID', 400)
  })

  it('serves did.json with the ticket key and the #bitecs_relay service', async () => {
    const doc = (await (await fetch(`${url}.well-known/did.json`)).json()) as Record<string, unknown>
    expect(doc).toEqual(relay.didDocument)
    expect(doc.id).toBe(relay.did)
    expect(JSON.stringify(doc.service)).toContain('#bitecs_relay')
  })

  it('answers /healthz, /metrics and the PeerJS id endpoint', async () => {
    const h = (await (await fetch(`${url}healthz`)).json()) as Record<string, unknown>
    expect(h.ok).toBe(true)
    const m = await (await fetch(`${url}metrics`)).text()
    expect(m).toContain('bitecs_relay_sockets')
    expect(m).toContain('bitecs_relay_admissions_total{auth="anonymous"}')
    const id = await (await fetch(`${url}peerjs/id`)).text()
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    const nf = await fetch(`${url}nope`)
    expect(nf.status).toBe(404)
    expect(((await nf.json()) as { error: string }).error).toBe('NOT_FOUND')
  })
})

describe('PeerJS socket admission', () => {
  it('accepts a live pair once; the same pair again (id takeover) is refused and changes nothing', async () => {
    const { j, peer } = await connect('takeover')
    const before = relay.stats()
    const thief = RawPeer.forJoin(j)
    const err = await thief.next((m) => m.type === 'ERROR')
    expect(err.payload?.code).toBe('JOIN_TOKEN_INVALID')
    expect((await thief.closed).code).toBe(1008)
    expect(relay.stats()).toEqual(before)
    // the legitimate socket still works and received nothing from the thief's attempt
    expect(peer.ws.readyState).toBe(peer.ws.OPEN)
    expect(peer.messages.map((m) => m.type)).toEqual(['OPEN', 'ROSTER'])
    peer.close()
    await until(() => relay.stats().sockets === before.sockets - 1)
  })

  it('refuses a guessed join token; the admission stays usable by its owner', async () => {
    const j = await anonJoin('guess')
    const before = relay.stats()
    const guess = RawPeer.forJoin(j, { token: 'f'.repeat(64) })
    expect((await guess.next((m) => m.type === 'ERROR')).payload?.code).toBe('JOIN_TOKEN_INVALID')
    await guess.closed
    const unknownId = RawPeer.forJoin(j, { id: 'a'.repeat(32) })
    expect((await unknownId.next((m) => m.type === 'ERROR')).payload?.code).toBe('JOIN_TOKEN_INVALID')
    await unknownId.closed
    expect(relay.stats()).toEqual(before)
    const owner = RawPeer.forJoin(j)
    await owner.next((m) => m.type === 'OPEN')
    owner.close()
    await owner.closed
  })

  it('refuses a wrong PeerJS key, a missing token, and a JWT in the URL', async () => {
    const j = await anonJoin('keys')
    const before = relay.stats()
    const wrongKey = RawPeer.forJoin(j, { key: 'other' })
    expect((await wrongKey.next((m) => m.type === 'ERROR')).payload?.code).toBe('INVALID_KEY')
    const noToken = RawPeer.forJoin(j, { token: '' })
    expect((await noToken.next((m) => m.type === 'ERROR')).payload?.code).toBe('JOIN_TOKEN_INVALID')
    const fakeJwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NksifQ.eyJpc3MiOiJkaWQ6cGxjOngifQ.c2ln'
    const inUrl = RawPeer.forJoin(j, { token: fakeJwt })
    expect((await inUrl.next((m) => m.type === 'ERROR')).payload?.code).toBe('AUTH_TOKEN_IN_URL')
    await Promise.all([wrongKey.closed, noToken.closed, inUrl.closed])
    expect(relay.stats()).toEqual(before)
    expect(await relay.metrics.value('bitecs_relay_refusals_total', { code: 'AUTH_TOKEN_IN_URL', stage: 'socket' })).toBe(1)
  })

  it('refuses a 404 path for the upgrade', async () => {
    const p = new RawPeer(`ws://127.0.0.1:${relay.address.port}/elsewhere`)
    await expect(p.opened).rejects.toThrow()
  })

  it('an unused join token expires and its slots are released', async () => {
    const r = createRelay({ auth: 'off', iceServers: [], joinTokenTtlSec: 1, logger: logs.logger })
    const u = (await r.listen()).url
    try {
      const j = asJoin(await postJoin(u, 'late'))
      expect(r.stats()).toMatchObject({ pendingJoins: 1, slotsInUse: 1, roomSlotsInUse: 1 })
      await sleep(1150)
      expect(r.stats()).toMatchObject({ pendingJoins: 0, slotsInUse: 0, roomSlotsInUse: 0 })
      const late = RawPeer.forJoin(j)
      expect((await late.next((m) => m.type === 'ERROR')).payload?.code).toBe('JOIN_TOKEN_INVALID')
      expect(r.stats().sockets).toBe(0)
    } finally {
      await r.close()
    }
  })
})

describe('signal routing', () => {
  it('routes within a room with src set by the relay, and announces joins and leaves', async () => {
    const a = await connect('r1')
    const b = await connect('r1')
    // b's join result listed a; a learns about b with a relay control message
    expect(b.j.roster.map((p) => p.peerId)).toEqual([a.j.peerId])
    expect((await b.peer.next((m) => m.type === 'ROSTER')).payload?.peers).toEqual([expect.objectContaining({ peerId: a.j.peerId, did: null })])
    const joined = await a.peer.next((m) => m.type === 'PEER-JOINED')
    expect(joined.payload).toMatchObject({ peerId: b.j.peerId, did: null })

    const routedBefore = await relay.metrics.value('bitecs_relay_signals_routed_total', { type: 'OFFER' })
    a.peer.send({ type: 'OFFER', dst: b.j.peerId, src: 'spoofed', payload: { sdp: 'x', connectionId: 'c1' }, extra: 'dropped' })
    const offer = await b.peer.next((m) => m.type === 'OFFER')
    expect(offer).toEqual({ type: 'OFFER', src: a.j.peerId, dst: b.j.peerId, payload: { sdp: 'x', connectionId: 'c1' } })
    expect(await relay.metrics.value('bitecs_relay_signals_routed_total', { type: 'OFFER' })).toBe(routedBefore + 1)

    b.peer.send({ type: 'ANSWER', dst: a.j.peerId, payload: { sdp: 'y', connectionId: 'c1' } })
    b.peer.send({ type: 'CANDIDATE', dst: a.j.peerId, payload: { candidate: 'z', connectionId: 'c1' } })
    expect((await a.peer.next((m) => m.type === 'CANDIDATE')).src).toBe(b.j.peerId)
    expect((await a.peer.next((m) => m.type === 'ANSWER')).payload).toEqual({ sdp: 'y', connectionId: 'c1' })

    b.peer.close()
    expect((await a.peer.next((m) => m.type === 'PEER-LEFT')).payload).toEqual({ peerId: b.j.peerId })
    a.peer.close()
    await until(() => relay.stats().sockets === 0)
  })

  it('a valid socket cannot signal a peer of another room: dropped, sender gets EXPIRE, target sees nothing', async () => {
    const a = await connect('room-a')
    const b = await connect('room-b')
    const dropped = await relay.metrics.value('bitecs_relay_signals_dropped_total', { reason: 'cross-room' })
    a.peer.send({ type: 'OFFER', dst: b.j.peerId, payload: { sdp: 'evil', connectionId: 'c' } })
    a.peer.send({ type: 'CANDIDATE', dst: b.j.peerId, payload: { candidate: 'evil', connectionId: 'c' } })
    a.peer.send({ type: 'LEAVE', dst: b.j.peerId })
    const expire = await a.peer.next((m) => m.type === 'EXPIRE')
    expect(expire).toEqual({ type: 'EXPIRE', src: b.j.peerId, dst: a.j.peerId })
    // same answer as for a peer id that does not exist at all
    a.peer.send({ type: 'OFFER', dst: 'f'.repeat(32), payload: {} })
    await until(() => a.peer.ofType('EXPIRE').length === 2)
    await sleep(50)
    expect(b.peer.messages.map((m) => m.type)).toEqual(['OPEN', 'ROSTER'])
    expect(await relay.metrics.value('bitecs_relay_signals_dropped_total', { reason: 'cross-room' })).toBe(dropped + 3)
    a.peer.close()
    b.peer.close()
    await until(() => relay.stats().sockets === 0)
  })

  it('clients cannot forge relay control messages; 10 invalid messages close the socket and free its slots', async () => {
    const a = await connect('forge')
    const b = await connect('forge')
    await a.peer.next((m) => m.type === 'PEER-JOINED')
    const before = relay.stats()
    const forged = [
      { type: 'PEER-JOINED', dst: a.j.peerId, payload: { peerId: 'x', did: 'did:plc:admin' } },
      { type: 'PEER-LEFT', dst: a.j.peerId, payload: { peerId: b.j.peerId } },
      { type: 'ROSTER', dst: a.j.peerId, payload: { peers: [] } },
      { type: 'OPEN', dst: a.j.peerId },
      { type: 'ERROR', dst: a.j.peerId, payload: { msg: 'x' } },
      { type: 'EXPIRE', dst: a.j.peerId },
      { type: 'ID-TAKEN', dst: a.j.peerId },
    ]
    for (const f of forged) b.peer.send(f)
    b.peer.send({ type: 'OFFER', dst: b.j.peerId, payload: {} }) // self-targeted: dropped, not a strike
    b.peer.send('not json')
    b.peer.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    await sleep(50)
    expect(await relay.metrics.value('bitecs_relay_signals_dropped_total', { reason: 'forged_control' })).toBe(7)
    expect(await relay.metrics.value('bitecs_relay_signals_dropped_total', { reason: 'self' })).toBe(1)
    expect(relay.stats()).toEqual(before) // 9 strikes: still connected
    expect(a.peer.messages.map((m) => m.type)).toEqual(['OPEN', 'ROSTER', 'PEER-JOINED'])
    b.peer.send({ type: 'NOT-A-TYPE', dst: a.j.peerId })
    const err = await b.peer.next((m) => m.type === 'ERROR')
    expect(err.payload?.code).toBe('TOO_MANY_INVALID_MESSAGES')
    expect((await b.peer.closed).code).toBe(1008)
    expect((await a.peer.next((m) => m.type === 'PEER-LEFT')).payload).toEqual({ peerId: b.j.peerId })
    await until(() => relay.stats().sockets === before.sockets - 1)
    expect(relay.stats()).toMatchObject({ slotsInUse: before.slotsInUse - 1, roomSlotsInUse: before.roomSlotsInUse - 1 })
    a.peer.close()
    await until(() => relay.stats().sockets === 0)
  })

  it('HEARTBEAT keeps a socket and is not forwarded', async () => {
    const a = await connect('hb')
    a.peer.send({ type: 'HEARTBEAT' })
    await sleep(30)
    expect(a.peer.ws.readyState).toBe(a.peer.ws.OPEN)
    a.peer.close()
    await until(() => relay.stats().sockets === 0)
  })
})

describe('capacity', () => {
  it('ROOM_FULL when a room has maxPeersPerRoom peers (admitted or connected); nothing leaks', async () => {
    const r = createRelay({ auth: 'off', iceServers: [], maxPeersPerRoom: 2, maxPeers: 3, logger: logs.logger })
    const u = (await r.listen()).url
    try {
      asJoin(await postJoin(u, 'small'))
      asJoin(await postJoin(u, 'small'))
      let before = r.stats()
      await expectRefused(r, before, await postJoin(u, 'small'), 'ROOM_FULL', 409)
      asJoin(await postJoin(u, 'other'))
      before = r.stats()
      expect(before.slotsInUse).toBe(3)
      await expectRefused(r, before, await postJoin(u, 'third'), 'RELAY_FULL', 503)
    } finally {
      await r.close()
    }
    expect(r.stats()).toMatchObject({ slotsInUse: 0, roomSlotsInUse: 0, pendingJoins: 0 })
  })
})

describe('liveness and deployment shapes', () => {
  it('closes a socket that answers neither messages nor pings (IDLE_TIMEOUT) and frees its slots', async () => {
    const r = createRelay({ auth: 'off', iceServers: [], idleTimeoutMs: 300, pingIntervalMs: 100, logger: logs.logger })
    const u = (await r.listen()).url
    try {
      const alive = RawPeer.forJoin(asJoin(await postJoin(u, 'idle')))
      const dead = RawPeer.forJoin(asJoin(await postJoin(u, 'idle')), {}, { autoPong: false })
      await dead.next((m) => m.type === 'OPEN')
      await alive.next((m) => m.type === 'OPEN')
      expect((await dead.next((m) => m.type === 'ERROR', 3000)).payload?.code).toBe('IDLE_TIMEOUT')
      await until(() => r.stats().sockets === 1)
      expect(r.stats()).toMatchObject({ slotsInUse: 1, roomSlotsInUse: 1 })
      expect(alive.ws.readyState).toBe(alive.ws.OPEN) // answers pings automatically
      alive.close()
    } finally {
      await r.close()
    }
  })

  it('works behind a path prefix (reverse proxy): join, PeerJS path, did.json at the host root', async () => {
    const port = await freePort()
    const r = createRelay({ auth: 'off', iceServers: [], port, publicUrl: `http://localhost:${port}/relay/`, logger: logs.logger })
    await r.listen()
    try {
      expect(r.did).toBe(`did:web:localhost%3A${port}`)
      const j = await joinRoom(r.url, 'prefixed', anonymous())
      expect(j.peerjs.path).toBe('/relay/')
      const p = RawPeer.forJoin(j)
      await p.next((m) => m.type === 'OPEN')
      expect(((await (await fetch(`http://127.0.0.1:${port}/.well-known/did.json`)).json()) as { id: string }).id).toBe(r.did)
      expect((await fetch(`http://127.0.0.1:${port}/v1/rooms/x/join`, { method: 'POST' })).status).toBe(404)
      p.close()
    } finally {
      await r.close()
    }
  })

  it('answers the CORS preflight of the join API', async () => {
    const res = await fetch(`${url}v1/rooms/lobby/join`, { method: 'OPTIONS', headers: { origin: 'https://game.example', 'access-control-request-headers': 'authorization' } })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization')
  })
})

describe('logs', () => {
  it('never contain a join token or a ticket', () => {
    const text = logs.text()
    expect(text).toContain('join_admitted')
    expect(secrets.length).toBeGreaterThan(10)
    for (const s of secrets) expect(text).not.toContain(s)
  })
})
