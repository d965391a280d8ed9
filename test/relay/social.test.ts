// The social layer at the relay, against a real PDS + PLC (test/helpers/pds.ts), with the social client over real
// sockets. Three accounts: A and B follow each other, C follows A only. Presence is seen by friends only, invites go
// to online friends only, "appear offline" hides a player, friends-only rooms admit the creator's friends only. Later
// C and B become friends, then B blocks C: C loses B's presence, its invites and its place in B's rooms.
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CachingHandleVerifier, createRelay, generateRelayKeyHex, type Relay } from '../../src/relay/index.js'
import { atprotoTokenSource } from '../../src/atproto/token-source.js'
import { socialClient, type SocialClient } from '../../src/social/social-client.js'
import { DEFAULT_SOCIAL_LXM } from '../../src/signaling/social-contract.js'
import { verifyTicket } from '../../src/signaling/ticket.js'
import { startTestPds, type TestAccount, type TestPds } from '../helpers/pds.js'
import { asJoin, memoryLogger, postJoin, RawPeer, until } from './helpers.js'

const TTL = 600 // the graph cache TTL: how soon a block is seen
let pds: TestPds
let A: TestAccount, B: TestAccount, C: TestAccount
let relay: Relay
const clients: SocialClient[] = []
const logs = memoryLogger()

const socialToken = (who: TestAccount, r: Relay = relay) => atprotoTokenSource(who.agent.sessionManager, r.did, { lxm: DEFAULT_SOCIAL_LXM })
const joinToken = async (who: TestAccount, r: Relay = relay) => (await who.agent.com.atproto.server.getServiceAuth({ aud: `${r.did}#bitecs_relay`, lxm: 'dev.bitecs.multiuser.join' })).data.token
async function online(who: TestAccount, r: Relay = relay): Promise<SocialClient> {
  const c = socialClient({ relay: r.url, token: socialToken(who, r), WebSocket: WebSocket as never, reconnectDelay: 100 })
  clients.push(c)
  await c.connect()
  return c
}
const invites = (c: SocialClient) => {
  const got: { from: string; room: string; handle?: string }[] = []
  c.on('invite', (i) => got.push({ from: i.from, room: i.room, ...(i.handle ? { handle: i.handle } : {}) }))
  return got
}
const seen = (c: SocialClient, did: string) => c.presence.get(did)

beforeAll(async () => {
  pds = await startTestPds()
  ;[A, B, C] = await Promise.all(['ann', 'bea', 'cal'].map((n) => pds.createAccount(n)))
  await Promise.all([A.agent.follow(B.did), B.agent.follow(A.did), C.agent.follow(A.did)])
  relay = createRelay({
    auth: 'optional', plcUrl: pds.plcUrl, allowPrivateDidHosts: true, iceServers: [], logger: logs.logger, socialGraphCacheTtlMs: TTL,
    handleVerifier: new CachingHandleVerifier((h) => pds.resolveHandle(h), { ttlMs: 60_000, maxEntries: 100 }),
  })
  await relay.listen()
}, 60_000)
afterAll(async () => {
  for (const c of clients) c.close()
  await relay?.close()
  await pds?.close()
})

describe('presence', () => {
  it('A sees B\'s presence (online, then in a room) but not C\'s; C, who follows A, does not see A', async () => {
    const [a, b, c] = await Promise.all([online(A), online(B), online(C)])
    expect([a.did, a.handle]).toEqual([A.did, 'ann.test'])
    a.watch([B.did, C.did])
    c.watch([A.did])
    await until(() => seen(a, B.did)?.online === true && seen(a, C.did) !== undefined && seen(c, A.did) !== undefined, 10_000)
    expect(seen(a, B.did)).toMatchObject({ did: B.did, handle: 'bea.test', online: true, room: null, joinable: false })
    expect(seen(a, C.did)).toMatchObject({ did: C.did, online: false, room: null }) // C is online, but not A's friend
    expect(seen(c, A.did)).toMatchObject({ did: A.did, online: false })

    // B enters a room (a signed-in peer socket): A sees which; with joinable, A may join it.
    b.setPresence({ joinable: true })
    const jb = asJoin(await postJoin(relay.url, 'bea-room', { token: await joinToken(B) }))
    const pb = RawPeer.forJoin(jb)
    await until(() => seen(a, B.did)?.room === 'bea-room' && seen(a, B.did)?.joinable === true, 10_000)
    pb.close()
    await until(() => seen(a, B.did)?.room === null, 10_000)
    expect(seen(c, A.did)?.online).toBe(false)
    for (const x of [a, b, c]) x.close()
  })

  it('"appear offline" hides A from B (the same answer as offline) and refuses B\'s invites as offline; visible again, A is back', async () => {
    const [a, b] = await Promise.all([online(A), online(B)])
    b.watch([A.did])
    await until(() => seen(b, A.did)?.online === true, 10_000)
    const got = invites(a)
    a.setPresence({ visible: false })
    await until(() => seen(b, A.did)?.online === false, 10_000)
    expect(seen(b, A.did)).toEqual({ did: A.did, online: false, room: null, joinable: false, since: expect.any(Number) })
    await expect(b.invite(A.did, 'lobby')).rejects.toMatchObject({ code: 'SOCIAL_FRIEND_OFFLINE' })
    a.setPresence({ visible: true })
    await until(() => seen(b, A.did)?.online === true, 10_000)
    await b.invite(A.did, 'lobby')
    await until(() => got.length === 1)
    expect(got).toEqual([{ from: B.did, handle: 'bea.test', room: 'lobby' }])
    a.close()
    await until(() => seen(b, A.did)?.online === false, 10_000) // gone: offline
    b.close()
  })
})

describe('invites', () => {
  it('C cannot invite A (not friends); A invites B, who gets it with A\'s verified DID and handle', async () => {
    const [a, b, c] = await Promise.all([online(A), online(B), online(C)])
    const toA = invites(a)
    const toB = invites(b)
    await expect(c.invite(A.did, 'cal-room')).rejects.toMatchObject({ name: 'SocialError', code: 'SOCIAL_NOT_FRIENDS' })
    await expect(c.invite(B.did, 'cal-room')).rejects.toMatchObject({ code: 'SOCIAL_NOT_FRIENDS' })
    await a.invite(B.did, 'ann-room')
    await until(() => toB.length === 1)
    expect(toB).toEqual([{ from: A.did, handle: 'ann.test', room: 'ann-room' }])
    expect(toA).toEqual([])
    expect(await relay.metrics.value('bitecs_relay_invites_total', { outcome: 'not_friends' })).toBeGreaterThanOrEqual(2)
    // A friend who is not online: refused as offline.
    b.close()
    await until(async () => (await relay.metrics.value('bitecs_relay_social_sockets')) === 2)
    await expect(a.invite(B.did, 'ann-room')).rejects.toMatchObject({ code: 'SOCIAL_FRIEND_OFFLINE' })
    a.close()
    c.close()
  })
})

describe('friends-only rooms', () => {
  it('A creates a friends-only room: B is admitted (the ticket says whose friends), C and anonymous players are refused; an open room of that name does not exist while it lasts', async () => {
    const ja = asJoin(await postJoin(relay.url, 'ann-den', { token: await joinToken(A), body: { friendsOnly: true } }))
    expect(ja.friendsOf).toBe(A.did)
    const pa = RawPeer.forJoin(ja)
    await pa.next((m) => m.type === 'OPEN')
    const jb = asJoin(await postJoin(relay.url, 'ann-den', { token: await joinToken(B) }))
    expect((await verifyTicket(jb.ticket, relay.didDocument, { room: 'ann-den', peerId: jb.peerId })).friendsOf).toBe(A.did)
    const cRefused = await postJoin(relay.url, 'ann-den', { token: await joinToken(C) })
    expect([cRefused.status, cRefused.body.error]).toEqual([403, 'ROOM_FRIENDS_ONLY'])
    const anon = await postJoin(relay.url, 'ann-den')
    expect([anon.status, anon.body.error]).toEqual([403, 'ROOM_FRIENDS_ONLY'])
    // Friends-only asked of an open room: refused rather than admitted into a room open to all.
    const open = asJoin(await postJoin(relay.url, 'open-hall'))
    const po = RawPeer.forJoin(open)
    await po.next((m) => m.type === 'OPEN')
    const mismatch = await postJoin(relay.url, 'open-hall', { token: await joinToken(A), body: { friendsOnly: true } })
    expect([mismatch.status, mismatch.body.error]).toEqual([409, 'ROOM_POLICY_MISMATCH'])
    expect((await postJoin(relay.url, 'anon-den', { body: { friendsOnly: true } })).body.error).toBe('JOIN_BODY_INVALID')
    // Once everyone left, the room is gone and its policy with it.
    for (const p of [pa, po]) p.close()
    await until(() => relay.stats().roomSlotsInUse === 1) // B's admission still waits for its socket
    const pb = RawPeer.forJoin(jb)
    await pb.next((m) => m.type === 'OPEN')
    pb.close()
    await until(() => relay.stats().pendingJoins === 0 && relay.stats().roomSlotsInUse === 0, 10_000)
    const later = asJoin(await postJoin(relay.url, 'ann-den', { token: await joinToken(C) }))
    expect(later.friendsOf).toBeUndefined()
  })

  it('a relay restart keeps a friends-only room: the first resume restores its policy', async () => {
    const key = await generateRelayKeyHex()
    const make = (port = 0) => createRelay({ port, auth: 'required', plcUrl: pds.plcUrl, allowPrivateDidHosts: true, iceServers: [], logger: logs.logger, signingKey: key, verifyHandles: false })
    let r = make()
    await r.listen()
    const port = r.address.port
    try {
      const jb = asJoin(await postJoin(r.url, 'bea-den', { token: await joinToken(B, r), body: { friendsOnly: true } }))
      await r.close()
      r = make(port)
      await r.listen()
      const back = asJoin(await postJoin(r.url, 'bea-den', { token: await joinToken(B, r), body: { resume: { peerId: jb.peerId, token: jb.resumeToken } } }))
      expect([back.peerId, back.friendsOf]).toEqual([jb.peerId, B.did])
      expect((await postJoin(r.url, 'bea-den', { token: await joinToken(C, r) })).body.error).toBe('ROOM_FRIENDS_ONLY')
      expect(asJoin(await postJoin(r.url, 'bea-den', { token: await joinToken(A, r) })).friendsOf).toBe(B.did)
    } finally {
      await r.close()
    }
  })
})

describe('a block, later', () => {
  it('C and B become friends (C sees B, B\'s friends-only room admits C); then B blocks C: within the graph TTL C sees B offline, cannot invite B, and B\'s room refuses C', async () => {
    await Promise.all([C.agent.follow(B.did), B.agent.follow(C.did)])
    await new Promise((r) => setTimeout(r, TTL + 50)) // earlier answers (not friends) expire
    const [b, c] = await Promise.all([online(B), online(C)])
    c.watch([B.did])
    await until(() => seen(c, B.did)?.online === true, 10_000)
    await c.invite(B.did, 'cal-room')
    const jb = asJoin(await postJoin(relay.url, 'bea-club', { token: await joinToken(B), body: { friendsOnly: true } }))
    const pb = RawPeer.forJoin(jb)
    await pb.next((m) => m.type === 'OPEN')
    expect(asJoin(await postJoin(relay.url, 'bea-club', { token: await joinToken(C) })).friendsOf).toBe(B.did)

    await B.agent.app.bsky.graph.block.create({ repo: B.did }, { subject: C.did, createdAt: new Date().toISOString() })
    const blockedAt = Date.now()
    await until(() => seen(c, B.did)?.online === false, 4 * TTL + 5_000)
    console.log(`[social] a block hid B from C ${Date.now() - blockedAt} ms after it was written (graph TTL ${TTL} ms)`)
    await expect(c.invite(B.did, 'cal-room')).rejects.toMatchObject({ code: 'SOCIAL_NOT_FRIENDS' })
    expect((await postJoin(relay.url, 'bea-club', { token: await joinToken(C) })).body.error).toBe('ROOM_FRIENDS_ONLY')
    pb.close()
    b.close()
    c.close()
  })
})

describe('the social socket\'s authentication', () => {
  const raw = (r: Relay = relay, query = '') => {
    const ws = new WebSocket(`${r.url.replace(/^http/, 'ws')}v1/social${query}`)
    const got: Record<string, unknown>[] = []
    ws.on('message', (d) => got.push(JSON.parse(d.toString()) as Record<string, unknown>))
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
    const opened = new Promise<void>((resolve) => ws.on('open', () => resolve()))
    return { ws, got, closed, opened }
  }

  it('its own lxm: a join token does not open the social stream, nor a social token a room; a replayed token, a token in the URL, a first message that is not AUTH are refused', async () => {
    const wrong = raw()
    await wrong.opened
    wrong.ws.send(JSON.stringify({ type: 'AUTH', token: await joinToken(A) }))
    expect(await wrong.closed).toBe(1008)
    expect(wrong.got).toEqual([{ type: 'ERROR', code: 'AUTH_LXM_MISMATCH', message: expect.any(String) }])

    const social = await socialToken(A)()
    const join = await postJoin(relay.url, 'hall', { token: social! })
    expect(join.body.error).toBe('AUTH_LXM_MISMATCH')

    const first = raw()
    await first.opened
    const token = await socialToken(A)()
    first.ws.send(JSON.stringify({ type: 'AUTH', token }))
    await until(() => first.got.some((m) => m.type === 'READY'))
    const again = raw()
    await again.opened
    again.ws.send(JSON.stringify({ type: 'AUTH', token }))
    expect(await again.closed).toBe(1008)
    expect(again.got[0]).toMatchObject({ code: 'AUTH_REPLAYED' })
    first.ws.close()

    const inUrl = raw(relay, `?token=${encodeURIComponent(token!)}`)
    expect(await inUrl.closed).toBe(1008)
    expect(inUrl.got[0]).toMatchObject({ code: 'AUTH_TOKEN_IN_URL' })

    const noAuth = raw()
    await noAuth.opened
    noAuth.ws.send(JSON.stringify({ type: 'WATCH', dids: [B.did] }))
    expect(await noAuth.closed).toBe(1008)
    expect(noAuth.got[0]).toMatchObject({ code: 'AUTH_MISSING' })
    // The client says so, once, and stops: a relay refusal of the token is final.
    const client = socialClient({ relay: relay.url, token: atprotoTokenSource(A.agent.sessionManager, relay.did), WebSocket: WebSocket as never })
    await expect(client.connect()).rejects.toMatchObject({ code: 'AUTH_LXM_MISMATCH' })
    expect(client.status).toBe('closed')
  })

  it('a socket that never says AUTH is closed after handshakeTimeoutMs (AUTH_TIMEOUT)', async () => {
    const r = createRelay({ auth: 'required', plcUrl: pds.plcUrl, allowPrivateDidHosts: true, logger: logs.logger, handshakeTimeoutMs: 300, verifyHandles: false })
    await r.listen()
    try {
      const silent = raw(r)
      expect(await silent.closed).toBe(1008)
      expect(silent.got[0]).toMatchObject({ code: 'AUTH_TIMEOUT' })
      expect(await r.metrics.value('bitecs_relay_social_sockets')).toBe(0)
    } finally {
      await r.close()
    }
  })
})
