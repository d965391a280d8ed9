/**
 * Several relay processes on one real Redis (`--redis`), here two relays in this process (the multi-process test
 * with real child processes is redis-processes.test.ts): any process admits any player to any room, a socket opens
 * on whichever process it reaches, signals reach their target wherever its socket is, room caps and single-use join
 * tokens hold across processes, a resume on another process evicts the old socket, the `jti` cache is shared, a
 * Redis restart is repaired from the live sockets, and a drain hands sockets over without anyone being told they left.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { createRelay, generateRelayKeyHex, type Relay, type RelayOptions } from '../../src/relay/index.js'
import { RedisReplayCache } from '../../src/relay/redis/redis-replay-cache.js'
import type { JoinResult } from '../../src/signaling/contract.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'
import { asJoin, postJoin, RawPeer, until } from './helpers.js'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import { Redis } from 'ioredis'
import { connect as connectTcp } from 'node:net'

let redis: TestRedis
const key = await generateRelayKeyHex()
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis.stop()
})

const running: Relay[] = []
const peers: RawPeer[] = []
afterEach(async () => {
  for (const p of peers.splice(0)) p.close()
  await Promise.all(running.splice(0).map((r) => r.close()))
})

let prefixSeq = 0
/** `n` relay processes of one deployment (one key, one key prefix) on the test Redis. */
async function group(n: number, opts: RelayOptions = {}): Promise<Relay[]> {
  const redisKeyPrefix = `t${++prefixSeq}-${Date.now()}:`
  const relays: Relay[] = []
  for (let i = 0; i < n; i++) {
    const r = createRelay({ auth: 'off', iceServers: [], logger: pino({ level: 'silent' }), signingKey: key, serviceDid: 'did:web:relay.test', redis: redis.url, redisKeyPrefix, redisInstanceTtlMs: 600, ...opts })
    await r.listen()
    running.push(r)
    relays.push(r)
  }
  return relays
}

/** Opens the PeerJS socket of `j` on `relay` (whichever process the load balancer picked). */
function socketOn(relay: Relay, j: JoinResult): RawPeer {
  const q = new URLSearchParams({ key: j.peerjs.key, id: j.peerId, token: j.joinToken })
  const p = new RawPeer(`ws://127.0.0.1:${relay.address.port}/peerjs?${q}`)
  peers.push(p)
  return p
}

async function connect(admit: Relay, socket: Relay, room: string, body?: unknown): Promise<{ j: JoinResult; p: RawPeer }> {
  const j = asJoin(await postJoin(admit.url, room, body === undefined ? {} : { body }))
  const p = socketOn(socket, j)
  await p.next((m) => m.type === 'ROSTER') // after OPEN: the socket is in the room's hash by then
  return { j, p }
}

describe('relay processes on one Redis', { timeout: 30_000 }, () => {
  it('admits on one process, opens the socket on another, and routes signals and room events across them', async () => {
    const [a, b] = await group(2)
    const x = await connect(a, b, 'room') // admitted by A, socket on B
    const y = await connect(b, a, 'room') // admitted by B, socket on A
    expect((await y.p.next((m) => m.type === 'ROSTER')).payload).toEqual({ room: 'room', peers: [expect.objectContaining({ peerId: x.j.peerId })] })
    expect((await x.p.next((m) => m.type === 'PEER-JOINED')).payload).toMatchObject({ peerId: y.j.peerId })
    // A's socket signals B's, and back: src is set by the relay that holds the sender.
    y.p.send({ type: 'OFFER', dst: x.j.peerId, payload: { sdp: 'o' } })
    expect(await x.p.next((m) => m.type === 'OFFER')).toEqual({ type: 'OFFER', src: y.j.peerId, dst: x.j.peerId, payload: { sdp: 'o' } })
    x.p.send({ type: 'ANSWER', dst: y.j.peerId, src: 'forged', payload: { sdp: 'a' } })
    expect(await y.p.next((m) => m.type === 'ANSWER')).toEqual({ type: 'ANSWER', src: x.j.peerId, dst: y.j.peerId, payload: { sdp: 'a' } })
    // Rooms stay apart across processes: an offer to a peer of another room is answered EXPIRE, never delivered.
    const z = await connect(a, a, 'other')
    z.p.send({ type: 'OFFER', dst: x.j.peerId, payload: { sdp: 'sneak' } })
    expect((await z.p.next((m) => m.type === 'EXPIRE')).src).toBe(x.j.peerId)
    // A newcomer's join answer lists both, wherever their sockets are.
    const n = asJoin(await postJoin(b.url, 'room'))
    expect(new Set(n.roster.map((e) => e.peerId))).toEqual(new Set([x.j.peerId, y.j.peerId]))
    // Leaving is announced to the peers on the other process.
    y.p.close()
    expect((await x.p.next((m) => m.type === 'PEER-LEFT')).payload).toEqual({ peerId: y.j.peerId })
    expect(x.p.ofType('OFFER')).toHaveLength(1)
  })

  it('keeps join tokens single-use and room caps across processes', async () => {
    const [a, b] = await group(2, { maxPeersPerRoom: 2 })
    const j = asJoin(await postJoin(a.url, 'capped'))
    const first = socketOn(b, j)
    await first.next((m) => m.type === 'OPEN')
    // The same (id, token) on the other process: refused, the first socket untouched.
    const again = socketOn(a, j)
    expect((await again.next((m) => m.type === 'ERROR')).payload?.code).toBe('JOIN_TOKEN_INVALID')
    await connect(b, b, 'capped')
    // Two in the room (one admitted by each process): a third is refused by either.
    for (const r of [a, b]) expect((await postJoin(r.url, 'capped')).body.error).toBe('ROOM_FULL')
    first.close()
    await first.closed
    await until(async () => (await postJoin(a.url, 'capped')).status === 200)
  })

  it('a resume on another process keeps the peer id and closes the old socket there', async () => {
    const [a, b] = await group(2)
    const x = await connect(a, a, 'r')
    const y = await connect(a, a, 'r')
    const again = asJoin(await postJoin(b.url, 'r', { body: { resume: { peerId: x.j.peerId, token: x.j.resumeToken } } }))
    expect(again).toMatchObject({ peerId: x.j.peerId, admittedAt: x.j.admittedAt })
    expect((await x.p.next((m) => m.type === 'ERROR')).payload?.code).toBe('PEER_RESUMED_ELSEWHERE')
    const moved = socketOn(b, again)
    await moved.next((m) => m.type === 'OPEN')
    y.p.send({ type: 'OFFER', dst: x.j.peerId, payload: { sdp: 'after-resume' } })
    expect((await moved.next((m) => m.type === 'OFFER')).src).toBe(y.j.peerId)
    // Counted once: the room holds two entries, not three.
    expect(await a.stats().roomSlotsInUse + b.stats().roomSlotsInUse).toBe(2)
  })

  it('one matchmaker for every process: players queued on different processes get one match, and its room opens on any', async () => {
    const [a, b] = await group(2, { matchTickMs: 20 })
    const [ma, mb] = await Promise.all([relayClient(a.url).matchmake({ queue: 'duel' }), relayClient(b.url).matchmake({ queue: 'duel' })])
    expect(ma.session).toBe(mb.session)
    expect(ma.room).toBe(mb.room)
    // Invite-only to its members, on whichever process: the session tickets open it, nothing else.
    expect((await postJoin(b.url, ma.room)).body.error).toBe('ROOM_INVITE_REQUIRED')
    expect((await postJoin(b.url, ma.room, { body: { session: ma.ticket } })).status).toBe(200)
    expect((await postJoin(a.url, mb.room, { body: { session: mb.ticket } })).status).toBe(200)
    // And a room created on one process is listed by the other.
    const created = await relayClient(a.url).createRoom({ name: 'listed', visibility: 'public' })
    expect(created.name).toBe('listed')
    expect((await relayClient(b.url).listRooms()).rooms.map((r) => r.name)).toEqual(['listed'])
  })

  it('shares the jti replay cache: a token admitted by one process is a replay on every other', async () => {
    const prefix = `jti-${Date.now()}:`
    const c1 = new Redis(redis.url)
    const c2 = new Redis(redis.url)
    try {
      const [p1, p2] = [new RedisReplayCache(c1, prefix), new RedisReplayCache(c2, prefix)]
      const exp = Date.now() + 60_000
      expect(await p1.checkAndStore('did:plc:x jti-1', exp)).toBe('fresh')
      expect(await p2.checkAndStore('did:plc:x jti-1', exp)).toBe('replayed')
      expect(await p2.checkAndStore('did:plc:x jti-2', exp)).toBe('fresh')
      expect(await c1.pttl(`${prefix}jti:did:plc:x jti-1`)).toBeGreaterThan(55_000)
    } finally {
      c1.disconnect()
      c2.disconnect()
    }
  })

  it('rebuilds the rooms from the live sockets after Redis restarts empty', async () => {
    const [a, b] = await group(2)
    const x = await connect(a, a, 'kept')
    const y = await connect(b, b, 'kept')
    await redis.restart()
    // Both processes reconnect and write their sockets back: a newcomer's roster has both, and signals cross again.
    await until(async () => {
      const r = await postJoin(a.url, 'kept').catch(() => null)
      return r?.status === 200 && (r.body.roster as unknown[]).length === 2
    }, 10_000)
    await until(async () => {
      y.p.send({ type: 'CANDIDATE', dst: x.j.peerId, payload: { c: 1 } })
      return x.p.ofType('CANDIDATE').length > 0
    }, 10_000)
    expect(x.p.ofType('PEER-LEFT')).toEqual([])
  })

  it('a process counted as gone while alive (stalled or cut off past its TTL) writes its sockets back', async () => {
    const prefix = `stall-${Date.now()}:`
    const [a, b] = await group(2, { redisKeyPrefix: prefix })
    const x = await connect(a, a, 'stall')
    const y = await connect(b, b, 'stall')
    const c = new Redis(redis.url)
    try {
      // What a survivor's sweep does to a process it counts as gone: its key and its room entries removed.
      const keys = await c.keys(`${prefix}inst:*`)
      expect(keys).toHaveLength(2)
      await c.del(...keys, `${prefix}room:stall`)
      await until(async () => (await c.hlen(`${prefix}room:stall`)) === 2, 5000)
    } finally {
      c.disconnect()
    }
    x.p.send({ type: 'OFFER', dst: y.j.peerId, payload: { sdp: 'across' } })
    expect((await y.p.next((m) => m.type === 'OFFER')).src).toBe(x.j.peerId)
  })

  it('while Redis is away: joins are 503 RELAY_BUSY (retry), signals within a process still flow, /metrics says redis_up 0; then all is back', async () => {
    const [a, b] = await group(2)
    const x = await connect(a, a, 'away')
    const y = await connect(a, a, 'away')
    await redis.kill()
    try {
      await until(async () => (await a.metrics.value('bitecs_relay_redis_up')) === 0, 5000)
      const r = await postJoin(b.url, 'away')
      expect([r.status, r.body.error]).toEqual([503, 'RELAY_BUSY'])
      x.p.send({ type: 'OFFER', dst: y.j.peerId, payload: { sdp: 'local' } })
      expect((await y.p.next((m) => m.type === 'OFFER')).src).toBe(x.j.peerId)
    } finally {
      await redis.start()
    }
    await until(async () => (await postJoin(b.url, 'away')).status === 200, 10_000)
    await until(async () => (await a.metrics.value('bitecs_relay_redis_up')) === 1, 10_000)
  })

  it('drains: refuses joins, closes sockets with 1012 RELAY_DRAINING, and nobody is told the drained peers left', async () => {
    const [a, b] = await group(2)
    const x = await connect(a, a, 'd')
    const y = await connect(b, b, 'd')
    const drained = a.drain()
    expect(await x.p.closed).toEqual({ code: 1012, reason: 'RELAY_DRAINING' })
    // The client resumes on B with its id; Y on B never hears that X left.
    const again = asJoin(await postJoin(b.url, 'd', { body: { resume: { peerId: x.j.peerId, token: x.j.resumeToken } } }))
    expect(again.peerId).toBe(x.j.peerId)
    const moved = socketOn(b, again)
    await moved.next((m) => m.type === 'OPEN')
    await drained
    running.splice(running.indexOf(a), 1)
    y.p.send({ type: 'OFFER', dst: x.j.peerId, payload: { sdp: 'still-here' } })
    expect((await moved.next((m) => m.type === 'OFFER')).src).toBe(y.j.peerId)
    await new Promise((r) => setTimeout(r, 1500)) // past the drained process's key lifetime: its sweep found nothing to remove
    expect(y.p.ofType('PEER-LEFT')).toEqual([])
  })

  it('a drained peer that never resumes is removed, and its room told, once the drained process is gone', async () => {
    const [a, b] = await group(2)
    const x = await connect(a, a, 'e')
    const y = await connect(b, b, 'e')
    await a.drain()
    running.splice(running.indexOf(a), 1)
    expect((await y.p.next((m) => m.type === 'PEER-LEFT', 5000)).payload).toEqual({ peerId: x.j.peerId })
    expect((asJoin(await postJoin(b.url, 'e'))).roster.map((e) => e.peerId)).toEqual([y.j.peerId])
  })

  it('a drain finishes the join in flight (its socket opens on another process), then answers 503 RELAY_DRAINING and /healthz 503', async () => {
    const [a, b] = await group(2)
    // A join whose body is still arriving when the drain starts, and two requests pipelined behind it on that connection.
    const sock = connectTcp(a.address.port)
    await new Promise<void>((r) => sock.once('connect', () => r()))
    const body = '{}'
    sock.write(`POST /v1/rooms/f/join HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`)
    let text = ''
    sock.on('data', (d: Buffer) => (text += d.toString()))
    await new Promise((r) => setTimeout(r, 100))
    const drained = a.drain()
    sock.write(body + 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nPOST /v1/rooms/f/join HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n')
    await until(() => (text.match(/HTTP\/1\.1 /g) ?? []).length === 3 || sock.destroyed, 5000)
    sock.destroy()
    await drained
    running.splice(running.indexOf(a), 1)
    const responses = text.split(/(?=HTTP\/1\.1 \d{3})/)
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200/)
    const j = JSON.parse(responses[0].slice(responses[0].indexOf('\r\n\r\n') + 4).replace(/\r\n[0-9a-f]+\r\n/g, '')) as JoinResult
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503/)
    expect(responses[1]).toContain('"draining":true')
    expect(responses[2]).toMatch(/^HTTP\/1\.1 503/)
    expect(responses[2]).toContain('"error":"RELAY_DRAINING"')
    // The admission made during the drain is honoured by the other process.
    await socketOn(b, j).next((m) => m.type === 'OPEN')
  })
})
