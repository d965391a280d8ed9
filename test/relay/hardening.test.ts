/**
 * Issue 7: every defence of the relay, one test per row of its table. Each test performs the attack on loopback with
 * raw `net` / `ws` / `fetch` clients, asserts the relay's answer (status, close code, error code, and the counter in
 * the relay's own prom-client registry), runs an honest pair in another room through join + OFFER/ANSWER in the same
 * test, and checks that no slot leaked. Timers are shortened through the options, never waited out at defaults.
 */
import { connect, type Socket } from 'node:net'
import { P256Keypair, type Keypair } from '@atproto/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { base64UrlEncode, jsonToBase64Url } from '../../src/signaling/jwt-parts.js'
import { createRelay, RELAY_DEFAULTS, type Relay, type RelayOptions } from '../../src/relay/index.js'
import { startDidWebHost, type DidWebHost } from './didweb-server.js'
import { asJoin, expectNoLeaks, honestPair, memoryLogger, metric, postJoin, RawPeer, sleep, until } from './helpers.js'

const LXM = 'dev.bitecs.multiuser.join'
const logs = memoryLogger()

/** An ES256 service-auth token for `iss`, audience `relay`. */
async function mint(key: Keypair, iss: string, relay: Relay): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const head = jsonToBase64Url({ typ: 'JWT', alg: key.jwtAlg })
  const body = jsonToBase64Url({ iss, aud: relay.did, lxm: LXM, iat: now, exp: now + 60, jti: Math.random().toString(16).slice(2) })
  const sig = await key.sign(new TextEncoder().encode(`${head}.${body}`))
  return `${head}.${body}.${base64UrlEncode(sig)}`
}

const started: Relay[] = []
/** A relay for one test: anonymous allowed (for the honest pair), tokens verified when sent, did:web on loopback allowed. */
async function startRelay(opts: RelayOptions = {}): Promise<Relay> {
  const r = createRelay({ auth: 'optional', iceServers: [], logger: logs.logger, allowPrivateDidHosts: true, verifyHandles: false, plcUrl: 'http://127.0.0.1:1', ...opts })
  await r.listen()
  started.push(r)
  return r
}

const hosts: DidWebHost[] = []
async function didHost(delayMs = 0): Promise<{ host: DidWebHost; key: Keypair }> {
  const key = await P256Keypair.create()
  const host = await startDidWebHost(key)
  host.delayMs = delayMs
  hosts.push(host)
  return { host, key }
}

/** Connects a raw socket for an anonymous join and waits for OPEN. */
async function peer(relay: Relay, room: string, options: ConstructorParameters<typeof RawPeer>[1] = {}) {
  const j = asJoin(await postJoin(relay.url, room))
  const p = RawPeer.forJoin(j, {}, options)
  await p.next((m) => m.type === 'OPEN')
  return { j, p }
}

let shared: Relay
beforeAll(async () => {
  shared = await startRelay({ headersTimeoutMs: 300 })
})
afterAll(async () => {
  await Promise.all(started.map((r) => r.close()))
  await Promise.all(hosts.map((h) => h.close()))
})

describe('the table of defaults', () => {
  it('RELAY_DEFAULTS hold the documented defaults', () => {
    expect(RELAY_DEFAULTS).toMatchObject({
      headersTimeoutMs: 10_000,
      maxPeers: 512,
      handshakeTimeoutMs: 15_000,
      maxPayloadBytes: 64 * 1024,
      allowPrivateDidHosts: false,
      didDocMaxBytes: 256 * 1024,
      didCacheTtlMs: 5 * 60_000,
      didCacheMaxEntries: 10_000,
      didNegativeCacheTtlMs: 60_000,
      didFetchConcurrencyPerHost: 10,
      didFetchConcurrency: 50,
      idleTimeoutMs: 120_000,
      pingIntervalMs: 30_000,
      writeTimeoutMs: 5_000,
      maxInvalidMessages: 10,
      maxPeerIdBytes: 512,
      maxQueuedPerTarget: 256,
      maxTargetStrikes: 50,
      maxSignalsPerTargetPerWindow: 64,
      rateLimitBurst: 500,
      rateLimitPerSec: 20,
      maxDistinctTargetsPerWindow: 256,
      maxHandshakesPerAddress: 8,
      didFetchMaxWaiters: 8,
      plcFetchConcurrency: 32,
      didStaleIfErrorMs: 10 * 60_000,
      maxHeaderBytes: 16 * 1024,
      trustedProxies: [],
    })
    expect(createRelay({ logger: logs.logger }).options.maxConcurrentHandshakes).toBe(128)
  })
})

describe('HTTP', () => {
  it('slowloris: headers dripped slower than headersTimeoutMs get 408 and the connection closed (plain request and upgrade)', async () => {
    const before = await metric(shared, 'bitecs_relay_refusals_total', { code: 'REQUEST_TIMEOUT', stage: 'http' })
    const drip = (first: string) =>
      new Promise<{ ms: number; text: string }>((resolve) => {
        const t0 = Date.now()
        let text = ''
        const s: Socket = connect(shared.address.port, '127.0.0.1', () => s.write(first))
        const iv = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 50)
        s.on('data', (d) => (text += d.toString()))
        s.on('error', () => {})
        s.on('close', () => {
          clearInterval(iv)
          resolve({ ms: Date.now() - t0, text })
        })
      })
    const honest = honestPair(shared, 'slowloris-honest')
    const [plain, upgrade] = await Promise.all([
      drip('GET /healthz HTTP/1.1\r\nHost: x\r\n'),
      drip('GET /peerjs?key=peerjs&id=a&token=b HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'),
    ])
    await honest
    for (const r of [plain, upgrade]) {
      expect(r.text).toMatch(/^HTTP\/1\.1 408/)
      expect(r.ms).toBeGreaterThanOrEqual(250)
      expect(r.ms).toBeLessThan(2500)
    }
    expect(await metric(shared, 'bitecs_relay_refusals_total', { code: 'REQUEST_TIMEOUT', stage: 'http' })).toBe(before + 2)
    await expectNoLeaks(shared)
  })
})

describe('admission', () => {
  it('maxPeers slots are taken before DID resolution: while 2 verifications hang, a 3rd join gets 503 RELAY_FULL', async () => {
    const r = await startRelay({ maxPeers: 2, maxConcurrentHandshakes: 2 })
    const { host, key } = await didHost(400)
    const wrongKey = await P256Keypair.create() // the lookups end in AUTH_BAD_SIGNATURE: the slots must come back
    const slow = [postJoin(r.url, 'attack', { token: await mint(wrongKey, host.did, r) }), postJoin(r.url, 'attack', { token: await mint(wrongKey, host.did, r) })]
    await until(() => r.stats().handshakesInFlight === 2)
    expect(r.stats().slotsInUse).toBe(2)
    const full = await postJoin(r.url, 'other')
    expect(full).toMatchObject({ status: 503, body: { error: 'RELAY_FULL' } })
    expect(await metric(r, 'bitecs_relay_refusals_total', { code: 'RELAY_FULL', stage: 'join' })).toBe(1)
    for (const s of await Promise.all(slow)) expect(s).toMatchObject({ status: 401, body: { error: 'AUTH_BAD_SIGNATURE' } })
    expect(host.fetches).toBeLessThanOrEqual(2) // one fetch + at most one forced refresh
    expect(r.stats()).toMatchObject({ slotsInUse: 0, handshakesInFlight: 0 })
    await honestPair(r, 'honest', () => mint(key, host.did, r))
    await expectNoLeaks(r)
  })

  it('handshake budget: with maxConcurrentHandshakes in flight, one more token join gets 503 RELAY_BUSY before any lookup', async () => {
    const r = await startRelay({ maxPeers: 8, maxConcurrentHandshakes: 1 })
    const { host, key } = await didHost(400)
    const slow = postJoin(r.url, 'attack', { token: await mint(key, host.did, r) })
    await until(() => r.stats().handshakesInFlight === 1)
    const other = await didHost()
    const busy = await postJoin(r.url, 'attack', { token: await mint(other.key, other.host.did, r) })
    expect(busy).toMatchObject({ status: 503, body: { error: 'RELAY_BUSY' } })
    expect(other.host.fetches).toBe(0)
    expect(await metric(r, 'bitecs_relay_refusals_total', { code: 'RELAY_BUSY', stage: 'join' })).toBe(1)
    await honestPair(r, 'honest') // anonymous joins do not need the budget
    const admitted = asJoin(await slow)
    const p = RawPeer.forJoin(admitted)
    await p.next((m) => m.type === 'OPEN')
    p.close()
    await expectNoLeaks(r)
  })

  it('handshake timeout: a DID host that answers after handshakeTimeoutMs gets 503 AUTH_TIMEOUT; slot and budget come back', async () => {
    const r = await startRelay({ handshakeTimeoutMs: 300 })
    const { host, key } = await didHost(1500) // under the 5 s fetch timeout: only the join deadline stops it
    const t0 = Date.now()
    const late = postJoin(r.url, 'attack', { token: await mint(key, host.did, r) })
    await until(() => r.stats().handshakesInFlight === 1)
    await honestPair(r, 'honest')
    const res = await late
    expect(res).toMatchObject({ status: 503, body: { error: 'AUTH_TIMEOUT' } })
    expect(Date.now() - t0).toBeLessThan(1400)
    expect(await metric(r, 'bitecs_relay_refusals_total', { code: 'AUTH_TIMEOUT', stage: 'join' })).toBe(1)
    await expectNoLeaks(r)
  })
})

describe('SSRF-safe did:web', () => {
  it('refuses a did:web on loopback (checked inside the DNS lookup: nothing is fetched) and never follows a redirect', async () => {
    const strict = await startRelay({ allowPrivateDidHosts: false })
    const { host, key } = await didHost()
    const res = await postJoin(strict.url, 'attack', { token: await mint(key, host.did, strict) })
    expect(res).toMatchObject({ status: 401, body: { error: 'AUTH_DID_UNRESOLVABLE' } })
    expect(String(res.body.message)).toMatch(/private address/)
    expect(host.fetches).toBe(0)
    expect(await metric(strict, 'bitecs_relay_refusals_total', { code: 'AUTH_DID_UNRESOLVABLE' })).toBe(1)
    await honestPair(strict, 'honest')
    // a (test-allowed) loopback host that redirects to a metadata address: refused, not followed
    const r = await startRelay()
    host.mode = 'redirect'
    const redirected = await postJoin(r.url, 'attack', { token: await mint(key, host.did, r) })
    expect(redirected).toMatchObject({ status: 401, body: { error: 'AUTH_DID_UNRESOLVABLE' } })
    expect(String(redirected.body.message)).toMatch(/redirect/)
    expect(host.fetches).toBe(1)
    await expectNoLeaks(strict)
    await expectNoLeaks(r)
  })

  it('caps the DID document body while streaming (no content-length): 300 KiB > 256 KiB is refused', async () => {
    const r = await startRelay()
    const { host, key } = await didHost()
    host.mode = 'huge'
    const res = await postJoin(r.url, 'attack', { token: await mint(key, host.did, r) })
    expect(res).toMatchObject({ status: 401, body: { error: 'AUTH_DID_UNRESOLVABLE' } })
    expect(String(res.body.message)).toMatch(/larger than 262144/)
    expect(await metric(r, 'bitecs_relay_refusals_total', { code: 'AUTH_DID_UNRESOLVABLE' })).toBe(1)
    await honestPair(r, 'honest')
    await expectNoLeaks(r)
  })

  it('DID key cache: coalesced and warm lookups fetch once; a failing DID is negatively cached (no refetch storm)', async () => {
    const r = await startRelay()
    const { host, key } = await didHost(100)
    const tokens = await Promise.all(Array.from({ length: 6 }, () => mint(key, host.did, r)))
    const joins = await Promise.all(tokens.map((t) => postJoin(r.url, 'cached', { token: t })))
    for (const j of joins) expect(j.status).toBe(200)
    expect(host.fetches).toBe(1)
    expect(await metric(r, 'bitecs_relay_refusals_total')).toBe(0)
    const ghost = await didHost()
    ghost.host.mode = 'notfound'
    for (let i = 0; i < 5; i++) {
      const res = await postJoin(r.url, 'attack', { token: await mint(ghost.key, ghost.host.did, r) })
      expect(res).toMatchObject({ status: 401, body: { error: 'AUTH_DID_UNRESOLVABLE' } })
    }
    expect(ghost.host.fetches).toBe(1)
    expect(r.didKeyCache!.stats).toMatchObject({ fetches: 2, coalesced: 5, negativeHits: 4 })
    expect(await metric(r, 'bitecs_relay_refusals_total', { code: 'AUTH_DID_UNRESOLVABLE' })).toBe(5)
    // the cached admissions connect and signal like anyone
    const peers = joins.slice(0, 2).map((j) => RawPeer.forJoin(asJoin(j)))
    await Promise.all(peers.map((p) => p.next((m) => m.type === 'OPEN')))
    for (const j of joins.slice(2)) {
      const p = RawPeer.forJoin(asJoin(j))
      await p.next((m) => m.type === 'OPEN')
      p.close()
    }
    peers.forEach((p) => p.close())
    await honestPair(r, 'honest', () => mint(key, host.did, r))
    await expectNoLeaks(r)
  })

  it('did:web fetch concurrency: over the per-host or the global cap a join gets 503 RELAY_BUSY, and that is not negatively cached', async () => {
    // per host: two did:web on one host name (different ports share the budget)
    const r = await startRelay({ didFetchConcurrencyPerHost: 1, didFetchConcurrency: 10 })
    const a = await didHost(400)
    const b = await didHost(0)
    const slow = postJoin(r.url, 'attack', { token: await mint(a.key, a.host.did, r) })
    await until(() => r.stats().handshakesInFlight === 1)
    await sleep(30)
    const busy = await postJoin(r.url, 'attack', { token: await mint(b.key, b.host.did, r) })
    expect(busy).toMatchObject({ status: 503, body: { error: 'RELAY_BUSY' } })
    expect(b.host.fetches).toBe(0)
    expect(await metric(r, 'bitecs_relay_did_fetches_limited_total', { scope: 'host' })).toBe(1)
    expect(await metric(r, 'bitecs_relay_refusals_total', { code: 'RELAY_BUSY', stage: 'join' })).toBe(1)
    await honestPair(r, 'honest')
    expect((await slow).status).toBe(200)
    // not remembered as a failure of b's DID: a retry once the fetch slot is free is admitted
    expect((await postJoin(r.url, 'attack', { token: await mint(b.key, b.host.did, r) })).status).toBe(200)
    expect(b.host.fetches).toBe(1)

    // global: per-host cap high, global cap 2, three DIDs fetched at once
    const g = await startRelay({ didFetchConcurrencyPerHost: 10, didFetchConcurrency: 2 })
    const ds = await Promise.all([didHost(400), didHost(400), didHost(0)])
    const first = ds.slice(0, 2).map(async (d) => postJoin(g.url, 'attack', { token: await mint(d.key, d.host.did, g) }))
    await until(() => g.stats().handshakesInFlight === 2)
    await sleep(30)
    const third = await postJoin(g.url, 'attack', { token: await mint(ds[2].key, ds[2].host.did, g) })
    expect(third).toMatchObject({ status: 503, body: { error: 'RELAY_BUSY' } })
    expect(await metric(g, 'bitecs_relay_did_fetches_limited_total', { scope: 'global' })).toBe(1)
    await honestPair(g, 'honest')
    for (const f of await Promise.all(first)) expect(f.status).toBe(200)
    expect((await postJoin(g.url, 'attack', { token: await mint(ds[2].key, ds[2].host.did, g) })).status).toBe(200)
    await r.close()
    await g.close()
    expect(r.stats().slotsInUse + g.stats().slotsInUse).toBe(0)
  })
})

describe('PeerJS socket', () => {
  it('frame cap: a frame over 64 KiB closes the socket (1009) and frees its slots', async () => {
    const { j, p } = await peer(shared, 'frame-attack')
    p.ws.send(JSON.stringify({ type: 'OFFER', dst: j.peerId, payload: 'x'.repeat(64 * 1024) }))
    const closed = await p.closed
    expect([1009, 1006]).toContain(closed.code)
    await honestPair(shared, 'frame-honest')
    expect(await metric(shared, 'bitecs_relay_refusals_total', { code: 'FRAME_TOO_LARGE', stage: 'socket' })).toBe(1)
    await expectNoLeaks(shared)
  })

  it('peer id cap: a 513-byte id is refused at the socket; a 513-byte dst is an invalid message, 512 bytes is routed', async () => {
    const j = asJoin(await postJoin(shared.url, 'id-attack'))
    const long = RawPeer.forJoin(j, { id: 'a'.repeat(513) })
    expect((await long.next((m) => m.type === 'ERROR')).payload?.code).toBe('JOIN_TOKEN_INVALID')
    expect((await long.closed).code).toBe(1008)
    const p = RawPeer.forJoin(j)
    await p.next((m) => m.type === 'OPEN')
    const malformed = await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'malformed' })
    p.send({ type: 'OFFER', dst: 'b'.repeat(513), payload: {} })
    p.send({ type: 'OFFER', dst: 'c'.repeat(512), payload: {} })
    const expire = await p.next((m) => m.type === 'EXPIRE')
    expect(expire.src).toBe('c'.repeat(512)) // routed (unknown target), the 513-byte one never was
    expect(await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'malformed' })).toBe(malformed + 1)
    await honestPair(shared, 'id-honest')
    p.close()
    await expectNoLeaks(shared)
  })

  it('self-targeted signals are dropped, never echoed', async () => {
    const { j, p } = await peer(shared, 'self-attack')
    const before = await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'self' })
    for (let i = 0; i < 3; i++) p.send({ type: 'OFFER', dst: j.peerId, payload: { sdp: 'loop' } })
    await honestPair(shared, 'self-honest')
    await until(async () => (await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'self' })) === before + 3)
    expect(p.messages.map((m) => m.type)).toEqual(['OPEN', 'ROSTER'])
    p.close()
    await expectNoLeaks(shared)
  })

  it('cross-room signals are dropped: the sender gets EXPIRE (as for an unknown id), the target nothing', async () => {
    const a = await peer(shared, 'room-x')
    const b = await peer(shared, 'room-y')
    const before = await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'cross-room' })
    a.p.send({ type: 'OFFER', dst: b.j.peerId, payload: { sdp: 'evil' } })
    expect(await a.p.next((m) => m.type === 'EXPIRE')).toEqual({ type: 'EXPIRE', src: b.j.peerId, dst: a.j.peerId })
    await honestPair(shared, 'cross-honest')
    expect(b.p.messages.map((m) => m.type)).toEqual(['OPEN', 'ROSTER'])
    expect(await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'cross-room' })).toBe(before + 1)
    a.p.close()
    b.p.close()
    await expectNoLeaks(shared)
  })

  it('relay-only control messages sent by a client are refused (counted invalid), never forwarded', async () => {
    const a = await peer(shared, 'forge')
    const b = await peer(shared, 'forge')
    await a.p.next((m) => m.type === 'PEER-JOINED')
    const before = await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'forged_control' })
    for (const type of ['ROSTER', 'PEER-JOINED', 'PEER-LEFT', 'EXPIRE']) b.p.send({ type, dst: a.j.peerId, payload: { peerId: 'x', did: 'did:plc:admin', peers: [] } })
    await honestPair(shared, 'forge-honest')
    await until(async () => (await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'forged_control' })) === before + 4)
    expect(a.p.messages.map((m) => m.type)).toEqual(['OPEN', 'ROSTER', 'PEER-JOINED'])
    a.p.close()
    b.p.close()
    await expectNoLeaks(shared)
  })

  it('10 invalid messages (malformed, binary, forged, unknown type) close the socket with TOO_MANY_INVALID_MESSAGES', async () => {
    const { p } = await peer(shared, 'invalid')
    const before = await metric(shared, 'bitecs_relay_refusals_total', { code: 'TOO_MANY_INVALID_MESSAGES' })
    for (let i = 0; i < 3; i++) p.send('{not json')
    for (let i = 0; i < 3; i++) p.ws.send(Buffer.from([0xde, 0xad]), { binary: true })
    for (let i = 0; i < 2; i++) p.send({ type: 'OPEN' })
    for (let i = 0; i < 2; i++) p.send({ type: 'X-UNKNOWN', dst: 'a' })
    expect((await p.next((m) => m.type === 'ERROR')).payload?.code).toBe('TOO_MANY_INVALID_MESSAGES')
    expect((await p.closed).code).toBe(1008)
    await honestPair(shared, 'invalid-honest')
    expect(await metric(shared, 'bitecs_relay_refusals_total', { code: 'TOO_MANY_INVALID_MESSAGES' })).toBe(before + 1)
    await expectNoLeaks(shared)
  })

  it('idle timeout + server pings: a socket that answers no ping and sends nothing is closed (IDLE_TIMEOUT)', async () => {
    const r = await startRelay({ idleTimeoutMs: 400, pingIntervalMs: 100 })
    const live = await peer(r, 'idle-live')
    let pings = 0
    live.p.ws.on('ping', () => pings++)
    const dead = await peer(r, 'idle-attack', { autoPong: false })
    expect((await dead.p.next((m) => m.type === 'ERROR', 3000)).payload?.code).toBe('IDLE_TIMEOUT')
    expect((await dead.p.closed).code).toBe(1008)
    expect(pings).toBeGreaterThanOrEqual(2)
    expect(live.p.ws.readyState).toBe(live.p.ws.OPEN) // answers pings: kept
    await honestPair(r, 'honest')
    expect(await metric(r, 'bitecs_relay_refusals_total', { code: 'IDLE_TIMEOUT' })).toBe(1)
    live.p.close()
    await expectNoLeaks(r)
  })

  it('idle timeout fires within 10 % of the configured value, whatever the ping interval', async () => {
    // Pings far apart (they used to set the check period: a socket was closed up to a whole period late).
    const idleTimeoutMs = 2_000
    const r = await startRelay({ idleTimeoutMs, pingIntervalMs: 60_000 })
    const j = asJoin(await postJoin(r.url, 'idle-precise'))
    const p = RawPeer.forJoin(j, {}, { autoPong: false })
    await p.next((m) => m.type === 'OPEN')
    const lastSent = Date.now() // the socket's last activity: its opening
    await p.next((m) => m.type === 'ERROR', 3 * idleTimeoutMs)
    const silentFor = Date.now() - lastSent
    console.log(`[relay] idle timeout ${idleTimeoutMs} ms fired after ${silentFor} ms of silence`)
    expect(p.ofType('ERROR')[0].payload?.code).toBe('IDLE_TIMEOUT')
    expect(silentFor).toBeGreaterThanOrEqual(idleTimeoutMs - 50)
    expect(silentFor).toBeLessThanOrEqual(idleTimeoutMs * 1.1)
    await expectNoLeaks(r)
  })
})

describe('per-sender and per-target limits', () => {
  /** A target that stops reading its socket, and a sender in its room with generous own limits. */
  async function slowReader(r: Relay, room: string) {
    const reader = await peer(r, room)
    const sender = await peer(r, room)
    await reader.p.next((m) => m.type === 'PEER-JOINED')
    ;(reader.p.ws as unknown as { _socket: Socket })._socket.pause()
    const big = 'x'.repeat(60 * 1024)
    let sent = 0
    let stop = false
    const flood = (async () => {
      while (!stop && sent < 1200 && sender.p.ws.readyState === sender.p.ws.OPEN) {
        sender.p.send({ type: 'CANDIDATE', dst: reader.j.peerId, payload: { candidate: big } })
        sent++
        if (sent % 20 === 0) await sleep(1)
      }
    })()
    return { reader, sender, stop: async () => ((stop = true), await flood), sent: () => sent }
  }
  const generous = { maxSignalsPerTargetPerWindow: 100_000, rateLimitBurst: 100_000, maxPayloadBytes: 128 * 1024 }

  it('per-write timeout: a slow reader (socket paused) is cut after writeTimeoutMs without progress (WRITE_TIMEOUT)', async () => {
    const r = await startRelay({ ...generous, writeTimeoutMs: 200, maxQueuedPerTarget: 100_000 })
    const s = await slowReader(r, 'slow')
    await until(async () => (await metric(r, 'bitecs_relay_refusals_total', { code: 'WRITE_TIMEOUT', stage: 'socket' })) === 1, 8000)
    await s.stop()
    expect(await s.sender.p.next((m) => m.type === 'PEER-LEFT')).toMatchObject({ payload: { peerId: s.reader.j.peerId } })
    await until(() => r.stats().sockets === 1)
    await honestPair(r, 'honest')
    s.sender.p.close()
    s.reader.p.ws.terminate()
    await expectNoLeaks(r)
  })

  it('per-target queue / strikes: messages over the queue are dropped, and after maxTargetStrikes delivery stops (SLOW_CONSUMER)', async () => {
    const r = await startRelay({ ...generous, writeTimeoutMs: 20_000, maxQueuedPerTarget: 8, maxTargetStrikes: 5 })
    const s = await slowReader(r, 'slow')
    await until(async () => (await metric(r, 'bitecs_relay_refusals_total', { code: 'SLOW_CONSUMER', stage: 'socket' })) === 1, 8000)
    await s.stop()
    expect(await metric(r, 'bitecs_relay_signals_dropped_total', { reason: 'target_queue_full' })).toBeGreaterThanOrEqual(5)
    expect(await metric(r, 'bitecs_relay_refusals_total', { code: 'WRITE_TIMEOUT' })).toBe(0)
    await until(() => r.stats().sockets === 1)
    expect(s.sender.p.ws.readyState).toBe(s.sender.p.ws.OPEN) // the sender is not punished for the reader's queue
    await honestPair(r, 'honest')
    s.sender.p.close()
    s.reader.p.ws.terminate()
    await expectNoLeaks(r)
  })

  it('per-sender burst to one target: over 64 signals per window to one peer are dropped (the sender stays)', async () => {
    const a = await peer(shared, 'burst')
    const b = await peer(shared, 'burst')
    await a.p.next((m) => m.type === 'PEER-JOINED')
    const before = await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'target_burst' })
    for (let i = 0; i < 80; i++) a.p.send({ type: 'CANDIDATE', dst: b.j.peerId, payload: { candidate: `c${i}` } })
    await until(async () => (await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'target_burst' })) === before + 16)
    await honestPair(shared, 'burst-honest')
    expect(b.p.ofType('CANDIDATE')).toHaveLength(64)
    expect(a.p.ws.readyState).toBe(a.p.ws.OPEN)
    a.p.close()
    b.p.close()
    await expectNoLeaks(shared)
  })

  it('per-sender token bucket: past 500 messages at once, messages are dropped and counted, never invalid: the sender stays and recovers', async () => {
    // A raw burst on loopback, as an ICE restart storm: 500 in the bucket, 520 more over it (more than
    // maxInvalidMessages = 10 of them), at a refill of 20/s.
    const a = await peer(shared, 'flood')
    const b = await peer(shared, 'flood')
    await a.p.next((m) => m.type === 'PEER-JOINED')
    const before = await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'rate_limited' })
    const refusedBefore = await metric(shared, 'bitecs_relay_refusals_total', { code: 'TOO_MANY_INVALID_MESSAGES' })
    for (let i = 0; i < 499; i++) a.p.send({ type: 'HEARTBEAT' })
    a.p.send({ type: 'OFFER', dst: b.j.peerId, payload: { sdp: 'last in bucket' } })
    for (let i = 0; i < 520; i++) a.p.send({ type: 'CANDIDATE', dst: b.j.peerId, payload: { candidate: `over ${i}` } })
    await until(async () => (await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'rate_limited' })) >= before + 500, 5000)
    // The bucket refills (20/s): the sender's retry gets through on the same socket.
    await sleep(200)
    a.p.send({ type: 'OFFER', dst: b.j.peerId, payload: { sdp: 'retry' } })
    await b.p.next((m) => m.type === 'OFFER' && m.payload?.sdp === 'retry')
    expect(a.p.ws.readyState).toBe(a.p.ws.OPEN)
    expect(a.p.ofType('ERROR')).toEqual([])
    expect(await metric(shared, 'bitecs_relay_refusals_total', { code: 'TOO_MANY_INVALID_MESSAGES' })).toBe(refusedBefore)
    const offers = b.p.ofType('OFFER').map((m) => m.payload?.sdp)
    expect(offers).toEqual(['last in bucket', 'retry'])
    // The few candidates the refill let through during the burst reached b; all the others were dropped and counted.
    const through = b.p.ofType('CANDIDATE').length
    expect(through).toBeLessThan(20)
    expect(await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'rate_limited' })).toBe(before + 520 - through)
    // Malformed messages still count: 10 of them close the socket.
    await sleep(600) // refill enough tokens for them to reach the parser
    for (let i = 0; i < 10; i++) a.p.send('{not json')
    expect((await a.p.next((m) => m.type === 'ERROR')).payload?.code).toBe('TOO_MANY_INVALID_MESSAGES')
    await honestPair(shared, 'flood-honest')
    b.p.close()
    await expectNoLeaks(shared)
  })

  it('distinct targets per window: signalling a 257th distinct id closes the socket (TOO_MANY_TARGETS)', async () => {
    const { p } = await peer(shared, 'probe')
    for (let i = 0; i < 257; i++) p.send({ type: 'CANDIDATE', dst: i.toString(16).padStart(32, '0'), payload: {} })
    expect((await p.next((m) => m.type === 'ERROR')).payload?.code).toBe('TOO_MANY_TARGETS')
    expect((await p.closed).code).toBe(1008)
    await honestPair(shared, 'probe-honest')
    expect(await metric(shared, 'bitecs_relay_refusals_total', { code: 'TOO_MANY_TARGETS', stage: 'socket' })).toBe(1)
    expect(await metric(shared, 'bitecs_relay_signals_dropped_total', { reason: 'unknown-target' })).toBeGreaterThanOrEqual(256)
    await expectNoLeaks(shared)
  })
})
