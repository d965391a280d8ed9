/**
 * Hand-off to hosts against a real relay: hosts register (the host secret, or a DID of `hostDids` with its own
 * service-auth token), heartbeat their load, and a host-mode queue's match goes to the least-loaded live host of the
 * players' region; the host gets the session on its stream with a ticket of its own that opens the session's room,
 * the players' match names the host. Failover: a host that unregisters or stops heartbeating is no longer picked;
 * no host → MATCH_NO_HOST. Refused: no credentials, a wrong secret, a DID not listed, an id that is not the token's.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { registerHost, type HostRegistration } from '../../src/auth/host-registration.js'
import { joinRoom } from '../../src/auth/join.js'
import { anonymous } from '../../src/auth/token-source.js'
import { verifySessionTicket } from '../../src/signaling/session-ticket.js'
import type { HostSession } from '../../src/signaling/contract.js'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import type { Relay } from '../../src/relay/index.js'
import { until } from './helpers.js'
import { closeAll, gauge, identity, lobbyCall, lobbyToken, startLobbyRelay } from './lobby-helpers.js'

afterAll(closeAll)

const SECRET = 'a-host-secret-of-this-relay-0001'
const QUEUES = { duel: { size: 2, host: true }, p2p: { size: 2 } }

/** A host registered with the secret whose sessions are collected. */
async function secretHost(relay: Relay, id: string, opts: { region?: string; capacity?: number; load?: () => number; heartbeatMs?: number } = {}) {
  const sessions: HostSession[] = []
  const reg = await registerHost({ relay: relay.url, secret: SECRET, id, region: opts.region ?? 'eu', capacity: opts.capacity ?? 8, onSession: (s) => sessions.push(s), ...(opts.load ? { load: opts.load } : {}), ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}) })
  return { reg, sessions }
}

const duel = (relay: Relay, region = 'eu') => {
  const client = relayClient(relay.url)
  return Promise.all([0, 1].map(() => client.matchmake({ queue: 'duel', attributes: { region } })))
}

const regs: HostRegistration[] = []
afterAll(() => regs.forEach((r) => r.close()))

describe('hand-off to hosts', () => {
  it('a match of a host-mode queue goes to a registered host: its session ticket opens the room, the players\' match names it', async () => {
    const relay = await startLobbyRelay({ matchQueues: QUEUES, hostSecret: SECRET })
    const { reg, sessions } = await secretHost(relay, 'host-eu-1')
    regs.push(reg)
    expect(reg.id).toBe('host-eu-1')
    const matches = await duel(relay)
    await until(() => sessions.length === 1)
    const s = sessions[0]
    expect(s).toMatchObject({ session: matches[0].session, room: matches[0].room, queue: 'duel' })
    expect(s.members.map((m) => m.id).sort()).toEqual(matches.map((m) => m.member).sort())
    for (const m of matches) {
      expect(m.host).toBe('host-eu-1')
      expect(m.members.map((x) => x.id)).toContain('host')
      const claims = await verifySessionTicket(m.ticket, relay.didDocument, { session: s.session })
      expect(claims.host).toBe('host-eu-1')
    }
    const hostClaims = await verifySessionTicket(s.ticket, relay.didDocument, { session: s.session, room: s.room })
    expect(hostClaims).toMatchObject({ member: 'host', host: 'host-eu-1' })
    // The room seats the players and the host, each with its own ticket.
    expect((await joinRoom(relay.url, s.room, anonymous(), { credentials: { session: s.ticket } })).room).toBe(s.room)
    for (const m of matches) expect((await joinRoom(relay.url, m.room, anonymous(), { credentials: { session: m.ticket } })).room).toBe(s.room)
    // A match of an owner-authority queue goes to no host.
    const client = relayClient(relay.url)
    const p2p = await Promise.all([0, 1].map(() => client.matchmake({ queue: 'p2p' })))
    expect(p2p[0].host).toBeUndefined()
    expect(sessions).toHaveLength(1)
  })

  it('the least-loaded live host of the region; failover when one unregisters or its heartbeats stop; none: MATCH_NO_HOST', async () => {
    const relay = await startLobbyRelay({ matchQueues: QUEUES, hostSecret: SECRET, hostTtlMs: 1500 })
    let loadA = 6
    const a = await secretHost(relay, 'host-a', { load: () => loadA, capacity: 8, heartbeatMs: 100 })
    // B heartbeats once (its registration), then hangs with its stream open.
    const b = await secretHost(relay, 'host-b', { load: () => 2, capacity: 64, heartbeatMs: 2 ** 30 })
    const us = await secretHost(relay, 'host-us', { region: 'us', capacity: 64 })
    regs.push(a.reg, b.reg, us.reg)
    expect((await duel(relay))[0].host).toBe('host-b') // 2/64 beats 6/8; us serves another region
    expect((await duel(relay, 'us'))[0].host).toBe('host-us')
    loadA = 0
    await until(async () => (await duel(relay))[0].host === 'host-a') // A's heartbeat says it emptied
    // A leaves: its sessions go to B from then on.
    a.reg.close()
    await expect(a.reg.ended).resolves.toBeNull()
    await until(async () => (await gauge(relay, 'bitecs_relay_hosts')) === 2)
    expect((await duel(relay))[0].host).toBe('host-b')
    // B stays silent: hostTtlMs after its last heartbeat it is no longer picked, and no other host serves eu.
    await until(async () => (await duel(relay).catch((e: unknown) => e) as { code?: string }).code === 'MATCH_NO_HOST', 5000)
    expect(await gauge(relay, 'bitecs_relay_match_outcomes_total', { outcome: 'no_host' })).toBeGreaterThanOrEqual(1)
  })

  it('a host whose relay restarts learns it (HOST_STREAM_ENDED) and registers again', async () => {
    const relay = await startLobbyRelay({ matchQueues: QUEUES, hostSecret: SECRET })
    const { reg } = await secretHost(relay, 'host-r')
    await relay.close()
    await expect(reg.ended).resolves.toMatchObject({ code: 'HOST_STREAM_ENDED' })
  })

  it('refused: no credentials, a wrong secret, a DID not in hostDids, an id other than the token\'s DID; a DID host registers as itself', async () => {
    const [hostDid, stranger] = await Promise.all([identity(), identity()])
    const relay = await startLobbyRelay({ matchQueues: QUEUES, hostSecret: SECRET, hostDids: [hostDid.did] })
    const body = { id: 'h', region: 'eu', capacity: 4, load: 0 }
    expect((await lobbyCall(relay, 'POST', 'v1/hosts', { body })).body.error).toBe('HOST_NOT_ALLOWED')
    expect((await lobbyCall(relay, 'POST', 'v1/hosts', { body, headers: { authorization: 'HostSecret wrong-secret-of-the-same-len' } })).body.error).toBe('HOST_NOT_ALLOWED')
    expect((await lobbyCall(relay, 'POST', 'v1/hosts', { body, token: await lobbyToken(stranger, relay) })).body.error).toBe('HOST_NOT_ALLOWED')
    expect((await lobbyCall(relay, 'POST', 'v1/hosts', { body: { ...body, id: 'not-my-did' }, token: await lobbyToken(hostDid, relay) })).body.error).toBe('HOST_REQUEST_INVALID')
    expect((await lobbyCall(relay, 'POST', 'v1/hosts', { body: { region: 'eu', capacity: 4, load: 9 }, headers: { authorization: `HostSecret ${SECRET}` } })).body.error).toBe('HOST_REQUEST_INVALID')
    expect((await lobbyCall(relay, 'POST', 'v1/hosts/heartbeat', { body, headers: { authorization: `HostSecret ${SECRET}` } })).body.error).toBe('HOST_UNKNOWN')
    const sessions: HostSession[] = []
    const reg = await registerHost({ relay: relay.url, token: hostDid.source(relay), region: 'eu', capacity: 4, onSession: (s) => sessions.push(s) })
    regs.push(reg)
    expect(reg.id).toBe(hostDid.did)
    const matches = await duel(relay)
    await until(() => sessions.length === 1)
    expect(matches[0].host).toBe(hostDid.did)
    // The host's ticket names its DID: it opens the room for that DID only.
    expect((await verifySessionTicket(sessions[0].ticket, relay.didDocument)).did).toBe(hostDid.did)
    await expect(joinRoom(relay.url, sessions[0].room, anonymous(), { credentials: { session: sessions[0].ticket } })).rejects.toMatchObject({ code: 'ROOM_INVITE_REQUIRED' })
  })
})
