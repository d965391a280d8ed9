/**
 * Admission with ATProto service-auth tokens, against a real PDS and PLC directory started in this process
 * (test/helpers/pds.ts). Tokens come from the PDS (`getServiceAuth`) or are minted with the account's own repo key,
 * a foreign key, or a key of a did:web we host. Every refusal asserts its exact code and that the relay's state did
 * not change (no socket, no slot, no pending admission).
 */
import { P256Keypair, Secp256k1Keypair, type Keypair } from '@atproto/crypto'
import { createServiceJwt } from '@atproto/xrpc-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonToBase64Url, base64UrlEncode } from '../../src/signaling/jwt-parts.js'
import { verifyTicket } from '../../src/signaling/ticket.js'
import { CachingHandleVerifier, createRelay, type Relay } from '../../src/relay/index.js'
import { startTestPds, type TestAccount, type TestPds } from '../helpers/pds.js'
import { startDidWebHost, type DidWebHost } from './didweb-server.js'
import { asJoin, memoryLogger, postJoin, RawPeer, refused, until } from './helpers.js'

const LXM = 'dev.bitecs.multiuser.join'
const logs = memoryLogger()
const secrets: string[] = []
let pds: TestPds
let alice: TestAccount
let bob: TestAccount
let relay: Relay
let url: string

/** A fresh token from the PDS (what a real client gets). */
async function pdsToken(who: TestAccount, over: { aud?: string; lxm?: string; exp?: number } = {}): Promise<string> {
  const res = await who.agent.com.atproto.server.getServiceAuth({ aud: over.aud ?? `${relay.did}#bitecs_relay`, lxm: over.lxm ?? LXM, ...(over.exp ? { exp: over.exp } : {}) })
  secrets.push(res.data.token)
  return res.data.token
}

/** A token signed by `key` with arbitrary claims (no `jti` when `jti: null`). */
async function mint(key: Keypair, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const payload: Record<string, unknown> = { iat: now, exp: now + 60, aud: relay.did, lxm: LXM, jti: Math.random().toString(16).slice(2), ...claims }
  for (const k of Object.keys(payload)) if (payload[k] === null) delete payload[k]
  const head = jsonToBase64Url({ typ: 'JWT', alg: key.jwtAlg })
  const body = jsonToBase64Url(payload)
  const sig = await key.sign(new TextEncoder().encode(`${head}.${body}`))
  const jwt = `${head}.${body}.${base64UrlEncode(sig)}`
  secrets.push(jwt)
  return jwt
}

beforeAll(async () => {
  pds = await startTestPds()
  ;[alice, bob] = await Promise.all([pds.createAccount('alice'), pds.createAccount('bob')])
  relay = createRelay({
    auth: 'required',
    plcUrl: pds.plcUrl,
    allowPrivateDidHosts: true,
    iceServers: [],
    logger: logs.logger,
    didMinRefreshIntervalMs: 0,
    handleVerifier: new CachingHandleVerifier((h) => pds.resolveHandle(h), { ttlMs: 60_000, maxEntries: 100 }),
  })
  url = (await relay.listen()).url
})

afterAll(async () => {
  await relay?.close()
  await pds?.close()
})

describe('admitted', () => {
  it('a PDS token is admitted; the DID (and verified handle) is in the ticket, the roster and shown to the other peer', async () => {
    const a = asJoin(await postJoin(url, 'hall', { token: await pdsToken(alice) }))
    secrets.push(a.joinToken, a.ticket)
    expect(a.did).toBe(alice.did)
    expect(a.handle).toBe('alice.test')
    const claims = await verifyTicket(a.ticket, relay.didDocument, { room: 'hall', peerId: a.peerId })
    expect(claims).toMatchObject({ iss: relay.did, did: alice.did, handle: 'alice.test', room: 'hall', peerId: a.peerId })
    const pa = RawPeer.forJoin(a)
    await pa.next((m) => m.type === 'OPEN')

    // bob's token uses aud = bare relay DID: also accepted
    const b = asJoin(await postJoin(url, 'hall', { token: await pdsToken(bob, { aud: relay.did }) }))
    secrets.push(b.joinToken, b.ticket)
    expect(b.roster).toEqual([{ peerId: a.peerId, did: alice.did, handle: 'alice.test', joinedAt: expect.any(Number), admittedAt: a.admittedAt }])
    const pb = RawPeer.forJoin(b)
    await pb.next((m) => m.type === 'OPEN')
    const joined = await pa.next((m) => m.type === 'PEER-JOINED')
    expect(joined.payload).toMatchObject({ peerId: b.peerId, did: bob.did, handle: 'bob.test' })
    expect(await relay.metrics.value('bitecs_relay_admissions_total', { auth: 'atproto' })).toBeGreaterThanOrEqual(2)
    pa.close()
    pb.close()
    await until(() => relay.stats().sockets === 0)
  })

  it('handleResolverUrl (--handle-resolver): a relay configured with no handle verifier of its own verifies handles through that XRPC service', async () => {
    const make = (handleResolverUrl?: string): Relay =>
      createRelay({ auth: 'required', plcUrl: pds.plcUrl, allowPrivateDidHosts: true, iceServers: [], logger: logs.logger, ...(handleResolverUrl ? { handleResolverUrl } : {}) })
    for (const [r, expected] of [[make(pds.pdsUrl), 'alice.test'], [make(), undefined]] as const) {
      const u = (await r.listen()).url
      try {
        const token = await pdsToken(alice, { aud: `${r.did}#bitecs_relay` })
        const join = asJoin(await postJoin(u, 'handles', { token }))
        expect(join.handle).toBe(expected) // alice.test has no DNS record: only the PDS knows it
        expect((await verifyTicket(join.ticket, await (await fetch(`${u}.well-known/did.json`)).json(), { room: 'handles', peerId: join.peerId })).handle).toBe(expected)
      } finally {
        await r.close()
      }
    }
  })

  it('a token signed with a P-256 (ES256) key of a did:web is admitted; the handle it merely claims is not shown', async () => {
    const key = await P256Keypair.create()
    const host = await startDidWebHost(key, 'alice.test') // claims alice's handle: must not be believed
    try {
      const r = asJoin(await postJoin(url, 'p256', { token: await mint(key, { iss: host.did }) }))
      expect(r.did).toBe(host.did)
      expect(r.handle).toBeUndefined()
      const claims = await verifyTicket(r.ticket, relay.didDocument, { room: 'p256', peerId: r.peerId })
      expect(claims.did).toBe(host.did)
      expect(claims.handle).toBeUndefined()
    } finally {
      await host.close()
    }
  })

  it('the issuer key is cached; concurrent cold lookups for one DID make one fetch', async () => {
    const key = await P256Keypair.create()
    const host = await startDidWebHost(key)
    host.delayMs = 100
    try {
      const tokens = await Promise.all(Array.from({ length: 5 }, () => mint(key, { iss: host.did })))
      const results = await Promise.all(tokens.map((t) => postJoin(url, 'coalesce', { token: t })))
      for (const r of results) expect(r.status).toBe(200)
      expect(host.fetches).toBe(1)
      asJoin(await postJoin(url, 'coalesce', { token: await mint(key, { iss: host.did }) }))
      expect(host.fetches).toBe(1) // warm
    } finally {
      await host.close()
    }
  })

  it('when the issuer rotates to a key of the other curve, the cached key is refreshed once and the token admitted', async () => {
    const k256 = await Secp256k1Keypair.create()
    const host = await startDidWebHost(k256)
    try {
      asJoin(await postJoin(url, 'rotate', { token: await mint(k256, { iss: host.did }) }))
      expect(host.fetches).toBe(1)
      const p256 = await P256Keypair.create()
      host.setKey(p256)
      asJoin(await postJoin(url, 'rotate', { token: await mint(p256, { iss: host.did }) }))
      expect(host.fetches).toBe(2)
      // the old key no longer verifies: one refresh, then refused
      await refused(relay, 'AUTH_BAD_SIGNATURE', async () => postJoin(url, 'rotate', { token: await mint(k256, { iss: host.did }) }), 401)
      expect(host.fetches).toBe(3)
    } finally {
      await host.close()
    }
  })

  it('resume: the same DID keeps its peer id (old socket evicted); another DID, or the public ticket, gets a new id', async () => {
    const first = asJoin(await postJoin(url, 'resume', { token: await pdsToken(alice) }))
    secrets.push(first.joinToken, first.ticket, first.resumeToken)
    const old = RawPeer.forJoin(first)
    await old.next((m) => m.type === 'OPEN')
    // bob has alice's ticket (every room peer receives it): not a resume token
    const withTicket = asJoin(await postJoin(url, 'resume', { token: await pdsToken(bob), body: { resume: { peerId: first.peerId, token: first.ticket } } }))
    expect(withTicket.peerId).not.toBe(first.peerId)
    // even alice's private resume token does not give bob her id
    const stolen = asJoin(await postJoin(url, 'resume', { token: await pdsToken(bob), body: { resume: { peerId: first.peerId, token: first.resumeToken } } }))
    expect(stolen.peerId).not.toBe(first.peerId)
    expect(old.ws.readyState).toBe(old.ws.OPEN)
    // alice resumes (e.g. after a network blip, her old socket still looks alive)
    const again = asJoin(await postJoin(url, 'resume', { token: await pdsToken(alice), body: { resume: { peerId: first.peerId, token: first.resumeToken } } }))
    expect(again.peerId).toBe(first.peerId)
    expect((await old.next((m) => m.type === 'ERROR')).payload?.code).toBe('PEER_RESUMED_ELSEWHERE')
    const fresh = RawPeer.forJoin(again)
    await fresh.next((m) => m.type === 'OPEN')
    expect(relay.stats().sockets).toBe(1)
    fresh.close()
    await until(() => relay.stats().sockets === 0)
  })
})

describe('refused', () => {
  it('AUTH_MISSING: no Authorization header while auth is required', async () => {
    await refused(relay, 'AUTH_MISSING', () => postJoin(url, 'r'), 401)
  })

  it('AUTH_MALFORMED: not a Bearer JWT', async () => {
    await refused(relay, 'AUTH_MALFORMED', () => postJoin(url, 'r', { authorization: 'Basic Zm9vOmJhcg==' }), 401)
    await refused(relay, 'AUTH_MALFORMED', () => postJoin(url, 'r', { token: 'not-a-jwt' }), 401)
  })

  it('AUTH_EXPIRED: exp in the past (signed by the account key)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await mint(await alice.signingKey(), { iss: alice.did, iat: now - 120, exp: now - 60 })
    await refused(relay, 'AUTH_EXPIRED', () => postJoin(url, 'r', { token }), 401)
  })

  it('AUTH_AUD_MISMATCH: a PDS token for another service', async () => {
    const token = await pdsToken(alice, { aud: 'did:web:other.example#bitecs_relay' })
    await refused(relay, 'AUTH_AUD_MISMATCH', () => postJoin(url, 'r', { token }), 401)
    const frag = await pdsToken(alice, { aud: `${relay.did}#other_service` })
    await refused(relay, 'AUTH_AUD_MISMATCH', () => postJoin(url, 'r', { token: frag }), 401)
  })

  it('AUTH_LXM_MISMATCH: a PDS token for another method, or with no lxm', async () => {
    const token = await pdsToken(alice, { lxm: 'com.atproto.repo.createRecord' })
    await refused(relay, 'AUTH_LXM_MISMATCH', () => postJoin(url, 'r', { token }), 401)
    const none = await mint(await alice.signingKey(), { iss: alice.did, lxm: null })
    await refused(relay, 'AUTH_LXM_MISMATCH', () => postJoin(url, 'r', { token: none }), 401)
  })

  it('AUTH_REPLAYED: the same PDS token twice (the first admission is unaffected)', async () => {
    const token = await pdsToken(alice)
    const ok = asJoin(await postJoin(url, 'replay', { token }))
    secrets.push(ok.joinToken, ok.ticket)
    await refused(relay, 'AUTH_REPLAYED', () => postJoin(url, 'replay', { token }), 401)
    const p = RawPeer.forJoin(ok)
    await p.next((m) => m.type === 'OPEN')
    p.close()
    await until(() => relay.stats().sockets === 0)
  })

  it('AUTH_BAD_SIGNATURE: alice as issuer, re-signed with a foreign key (one key refresh, no more)', async () => {
    const fetchesBefore = relay.didKeyCache!.stats.fetches
    const forged = await createServiceJwt({ iss: alice.did, aud: relay.did, lxm: LXM, keypair: await Secp256k1Keypair.create() })
    await refused(relay, 'AUTH_BAD_SIGNATURE', () => postJoin(url, 'r', { token: forged }), 401)
    expect(relay.didKeyCache!.stats.fetches - fetchesBefore).toBeLessThanOrEqual(2)
    // a genuine token with its payload tampered (signature no longer matches)
    const real = await pdsToken(alice)
    const [h, p, s] = real.split('.')
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
    payload.iss = bob.did
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`
    await refused(relay, 'AUTH_BAD_SIGNATURE', () => postJoin(url, 'r', { token: tampered }), 401)
  })

  it('AUTH_DID_UNRESOLVABLE: unknown did:plc (then answered from the negative cache)', async () => {
    const key = await Secp256k1Keypair.create()
    const ghost = 'did:plc:' + 'a'.repeat(24)
    await refused(relay, 'AUTH_DID_UNRESOLVABLE', async () => postJoin(url, 'r', { token: await mint(key, { iss: ghost }) }), 401)
    const { fetches, negativeHits } = relay.didKeyCache!.stats
    await refused(relay, 'AUTH_DID_UNRESOLVABLE', async () => postJoin(url, 'r', { token: await mint(key, { iss: ghost }) }), 401)
    expect(relay.didKeyCache!.stats).toMatchObject({ fetches, negativeHits: negativeHits + 1 })
  })

  it('AUTH_DID_METHOD_UNSUPPORTED: a self-certifying did:key issuer', async () => {
    const key = await Secp256k1Keypair.create()
    await refused(relay, 'AUTH_DID_METHOD_UNSUPPORTED', async () => postJoin(url, 'r', { token: await mint(key, { iss: key.did() }) }), 401)
  })

  it('AUTH_IAT_FUTURE, AUTH_LIFETIME_TOO_LONG, AUTH_JTI_MISSING (signed by the account key)', async () => {
    const key = await alice.signingKey()
    const now = Math.floor(Date.now() / 1000)
    await refused(relay, 'AUTH_IAT_FUTURE', async () => postJoin(url, 'r', { token: await mint(key, { iss: alice.did, iat: now + 600, exp: now + 660 }) }), 401)
    await refused(relay, 'AUTH_LIFETIME_TOO_LONG', async () => postJoin(url, 'r', { token: await mint(key, { iss: alice.did, exp: now + 7200 }) }), 401)
    await refused(relay, 'AUTH_JTI_MISSING', async () => postJoin(url, 'r', { token: await mint(key, { iss: alice.did, jti: null }) }), 401)
  })

  it('AUTH_TOKEN_IN_URL: a token in the query string is refused even alongside a valid header', async () => {
    const token = await pdsToken(alice)
    await refused(relay, 'AUTH_TOKEN_IN_URL', () => postJoin(url, 'r', { query: `?token=${token}` }), 400)
    await refused(relay, 'AUTH_TOKEN_IN_URL', () => postJoin(url, 'r', { query: `?x=${token}`, token: 'irrelevant' }), 400)
    await refused(relay, 'AUTH_TOKEN_IN_URL', () => postJoin(url, 'r', { query: '?access_token=abc' }), 400)
  })

  it('AUTH_DID_UNRESOLVABLE: a did:web on a loopback address when private DID hosts are not allowed (SSRF)', async () => {
    const key = await P256Keypair.create()
    const host = await startDidWebHost(key)
    const strict = createRelay({ auth: 'required', plcUrl: pds.plcUrl, iceServers: [], logger: logs.logger, verifyHandles: false })
    await strict.listen()
    try {
      const token = await mint(key, { iss: host.did, aud: strict.did })
      await refused(strict, 'AUTH_DID_UNRESOLVABLE', () => postJoin(strict.url, 'r', { token }), 401)
      expect(host.fetches).toBe(0)
      // did:plc through the configured (trusted) PLC directory still works on the same relay
      const ok = await alice.agent.com.atproto.server.getServiceAuth({ aud: strict.did, lxm: LXM })
      secrets.push(ok.data.token)
      expect(asJoin(await postJoin(strict.url, 'r', { token: ok.data.token })).did).toBe(alice.did)
    } finally {
      await strict.close()
      await host.close()
    }
  })
})

describe('capacity during verification', () => {
  it('a slot is held while the DID resolves (RELAY_FULL), and the handshake budget caps concurrent verifications (RELAY_BUSY)', async () => {
    const key = await P256Keypair.create()
    const host = await startDidWebHost(key)
    host.delayMs = 300
    const r = createRelay({ auth: 'optional', plcUrl: pds.plcUrl, allowPrivateDidHosts: true, iceServers: [], logger: logs.logger, verifyHandles: false, maxPeers: 2, maxConcurrentHandshakes: 1 })
    await r.listen()
    try {
      const slow = postJoin(r.url, 'cap', { token: await mint(key, { iss: host.did, aud: r.did }) })
      await until(() => r.stats().handshakesInFlight === 1)
      expect(r.stats().slotsInUse).toBe(1)
      // a second verification while one is in flight: refused before any DID lookup
      const busy = await postJoin(r.url, 'cap', { token: await mint(key, { iss: host.did, aud: r.did }) })
      expect(busy.body.error).toBe('RELAY_BUSY')
      expect(busy.status).toBe(503)
      // anonymous takes the last slot; then the relay is full although nobody is connected yet
      asJoin(await postJoin(r.url, 'cap'))
      const full = await postJoin(r.url, 'cap')
      expect(full.body.error).toBe('RELAY_FULL')
      expect(asJoin(await slow).did).toBe(host.did)
      expect(host.fetches).toBe(1)
      expect(r.stats()).toMatchObject({ slotsInUse: 2, pendingJoins: 2, handshakesInFlight: 0, sockets: 0 })
    } finally {
      await r.close()
      await host.close()
    }
  })
})

describe('auth: optional', () => {
  it('admits anonymous joins, still verifies a token if one is sent; an anonymous peer resumes only with its private resume token', async () => {
    const opt = createRelay({ auth: 'optional', plcUrl: pds.plcUrl, iceServers: [], logger: logs.logger, verifyHandles: false })
    await opt.listen()
    try {
      const anon = asJoin(await postJoin(opt.url, 'o'))
      expect(anon.did).toBeNull()
      const res = await alice.agent.com.atproto.server.getServiceAuth({ aud: opt.did, lxm: LXM })
      secrets.push(res.data.token)
      expect(asJoin(await postJoin(opt.url, 'o', { token: res.data.token })).did).toBe(alice.did)
      await refused(opt, 'AUTH_REPLAYED', () => postJoin(opt.url, 'o', { token: res.data.token }), 401)
      // The ticket (held by every room peer) is no proof; the resume token (held only by the peer) is.
      const withTicket = asJoin(await postJoin(opt.url, 'o', { body: { resume: { peerId: anon.peerId, token: anon.ticket } } }))
      expect(withTicket.peerId).not.toBe(anon.peerId)
      const again = asJoin(await postJoin(opt.url, 'o', { body: { resume: { peerId: anon.peerId, token: anon.resumeToken } } }))
      expect(again.peerId).toBe(anon.peerId)
      // A signed-in peer cannot take over an anonymous peer's id with its resume token.
      const res2 = await alice.agent.com.atproto.server.getServiceAuth({ aud: opt.did, lxm: LXM })
      secrets.push(res2.data.token, anon.resumeToken)
      const hijack = asJoin(await postJoin(opt.url, 'o', { token: res2.data.token, body: { resume: { peerId: anon.peerId, token: anon.resumeToken } } }))
      expect(hijack.peerId).not.toBe(anon.peerId)
    } finally {
      await opt.close()
    }
  })
})

describe('logs', () => {
  it('never contain a service-auth token, a join token or a ticket', () => {
    const text = logs.text()
    expect(text).toContain('join_refused')
    expect(secrets.length).toBeGreaterThan(20)
    for (const s of secrets) expect(text).not.toContain(s)
    // nor their signature parts alone
    for (const s of secrets.filter((x) => x.split('.').length === 3)) expect(text).not.toContain(s.split('.')[2])
  })
})
