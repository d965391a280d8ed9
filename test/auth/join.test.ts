/**
 * Client side of admission: `atprotoTokenSource` (through `@atproto/api`'s Agent, here on a password session of a
 * real PDS; in the browser the session is an OAuth session) and `joinRoom`: token only in the Authorization header,
 * one retry with a fresh token after a 401, typed errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anonymous, JoinError, joinRoom, staticTokenSource, type TokenSource } from '../../src/auth/index.js'
import { atprotoTokenSource } from '../../src/atproto/index.js'
import { createRelay, type Relay } from '../../src/relay/index.js'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import { verifySessionTicket } from '../../src/signaling/session-ticket.js'
import { startTestPds, type TestAccount, type TestPds } from '../helpers/pds.js'
import { memoryLogger } from '../relay/helpers.js'

let pds: TestPds
let alice: TestAccount
let relay: Relay
const seen: { url: string; headers: Record<string, string> }[] = []

/** fetch that records what goes over the wire. */
const recordingFetch: typeof fetch = async (input, init) => {
  seen.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } })
  return fetch(input, init)
}

async function joinError(p: Promise<unknown>): Promise<JoinError> {
  const e = await p.then(() => null, (err: unknown) => err)
  expect(e).toBeInstanceOf(JoinError)
  return e as JoinError
}

beforeAll(async () => {
  pds = await startTestPds()
  alice = await pds.createAccount('alice')
  relay = createRelay({ auth: 'required', plcUrl: pds.plcUrl, iceServers: [], verifyHandles: false, logger: memoryLogger().logger })
  await relay.listen()
})
afterAll(async () => {
  await relay?.close()
  await pds?.close()
})

describe('atprotoTokenSource + joinRoom', () => {
  it('mints a service-auth token per call (aud = relay DID #bitecs_relay) and joins with it in the header only', async () => {
    const source = atprotoTokenSource(alice.agent.sessionManager, relay.did)
    const t1 = await source()
    const t2 = await source()
    expect(t1).not.toBe(t2)
    const payload = JSON.parse(Buffer.from(t1!.split('.')[1], 'base64url').toString()) as Record<string, unknown>
    expect(payload).toMatchObject({ iss: alice.did, aud: `${relay.did}#bitecs_relay`, lxm: 'dev.bitecs.multiuser.join' })

    seen.length = 0
    const result = await joinRoom(relay.url, 'lobby', source, { fetch: recordingFetch })
    expect(result.did).toBe(alice.did)
    expect(seen).toHaveLength(1)
    expect(seen[0].url).toBe(`${relay.url}v1/rooms/lobby/join`)
    expect(seen[0].headers.authorization).toMatch(/^Bearer ey/)
    expect(seen[0].url).not.toContain(seen[0].headers.authorization.slice(7))
  })

  it('lobby calls ask the source for the lobby method: the PDS mints lxm dev.bitecs.multiuser.lobby, the relay knows the DID', async () => {
    const source = atprotoTokenSource(alice.agent.sessionManager, relay.did)
    const lobbyToken = await source({ lxm: 'dev.bitecs.multiuser.lobby' })
    expect(JSON.parse(Buffer.from(lobbyToken!.split('.')[1], 'base64url').toString())).toMatchObject({ iss: alice.did, lxm: 'dev.bitecs.multiuser.lobby' })
    const client = relayClient(relay.url, { token: source })
    expect(await client.createRoom({ name: 'alices', inviteOnly: true })).toMatchObject({ name: 'alices', access: 'invite' })
    // Invite-only, and alice created it: her join token opens it with nothing else.
    expect((await joinRoom(relay.url, 'alices', source)).did).toBe(alice.did)
    const bob = await pds.createAccount('bob')
    const [ma] = await Promise.all([client.matchmake({ queue: 'duel' }), relayClient(relay.url, { token: atprotoTokenSource(bob.agent.sessionManager, relay.did) }).matchmake({ queue: 'duel' })])
    const claims = await verifySessionTicket(ma.ticket, relay.didDocument, { room: ma.room })
    expect(claims.did).toBe(alice.did)
    expect(claims.members.map((m) => m.did).sort()).toEqual([alice.did, bob.did].sort())
  })

  it('after a 401 calls the token source once more and succeeds with the fresh token', async () => {
    const used = await atprotoTokenSource(alice.agent.sessionManager, relay.did)()
    await joinRoom(relay.url, 'lobby', staticTokenSource(used!)) // consume it: a replay from now on
    const fresh = atprotoTokenSource(alice.agent.sessionManager, relay.did)
    let calls = 0
    const source: TokenSource = async () => (++calls === 1 ? used : fresh())
    const result = await joinRoom(relay.url, 'lobby', source)
    expect(calls).toBe(2)
    expect(result.did).toBe(alice.did)
  })

  it('fails with the relay code after the second 401; no retry for other statuses', async () => {
    let calls = 0
    const e = await joinError(joinRoom(relay.url, 'lobby', async () => (calls++, null)))
    expect(e.code).toBe('AUTH_MISSING')
    expect(e.status).toBe(401)
    expect(calls).toBe(2)

    calls = 0
    const bad = await joinError(joinRoom(relay.url, 'no/slash', async () => (calls++, null)))
    expect(bad.code).toBe('ROOM_INVALID')
    expect(calls).toBe(1)
  })

  it('typed client-side errors: token source throws, relay unreachable', async () => {
    const thrown = await joinError(joinRoom(relay.url, 'lobby', async () => {
      throw new Error('no session')
    }))
    expect(thrown.code).toBe('TOKEN_SOURCE_FAILED')
    const down = await joinError(joinRoom('http://127.0.0.1:9/', 'lobby', anonymous()))
    expect(down.code).toBe('RELAY_UNREACHABLE')
    expect(down.message).toContain('http://127.0.0.1:9/v1/rooms/lobby/join') // which relay, in the message
  })

  it('resume keeps the peer id for the same identity', async () => {
    const source = atprotoTokenSource(alice.agent.sessionManager, relay.did)
    const first = await joinRoom(relay.url, 'resume', source)
    const again = await joinRoom(relay.url, 'resume', source, { resume: { peerId: first.peerId, token: first.resumeToken } })
    expect(again.peerId).toBe(first.peerId)
    expect(again.admittedAt).toBe(first.admittedAt) // the first admission's time, through the resume token
    expect(relay.stats().pendingJoins).toBeGreaterThan(0)
  })
})
