/**
 * The lobby's limits, one attack per named option, in the style of hardening.test.ts: each attack runs on loopback
 * against a real relay, the refusal is checked (status, error code, the counter in the relay's own registry), an
 * honest pair meets through join + OFFER/ANSWER in another room meanwhile, and nothing is left held (sockets, slots,
 * waiting players, rooms beyond those the test made).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { AddressRateLimiter } from '../../src/relay/lobby/address-rate.js'
import type { Relay } from '../../src/relay/index.js'
import { expectNoLeaks, honestPair, metric, postJoin, until } from './helpers.js'
import { closeAll, gauge, identity, lobbyCall, lobbyToken, rawStream, startLobbyRelay } from './lobby-helpers.js'

afterAll(closeAll)

const refusals = (relay: Relay, code: string) => metric(relay, 'bitecs_relay_refusals_total', { code, stage: 'lobby' })
const from = (address: string) => ({ 'x-forwarded-for': address })
const createRoom = (relay: Relay, body: unknown, headers: Record<string, string> = {}, token?: string) => lobbyCall(relay, 'POST', 'v1/rooms', { body, headers, token })
const waiting = (relay: Relay) => gauge(relay, 'bitecs_relay_match_waiting')

describe('rooms', () => {
  it('maxRoomsPerCreator: one address cannot hold more rooms; another creator (a DID) still can', async () => {
    const relay = await startLobbyRelay({ maxRoomsPerCreator: 3 })
    for (let i = 0; i < 3; i++) expect((await createRoom(relay, { name: `spam${i}` })).status).toBe(201)
    const before = await refusals(relay, 'ROOM_LIMIT')
    const over = await Promise.all([0, 1, 2, 3, 4].map((i) => createRoom(relay, { name: `spam-more${i}` })))
    expect(over.map((r) => [r.status, r.body.error])).toEqual(Array(5).fill([429, 'ROOM_LIMIT']))
    expect(await refusals(relay, 'ROOM_LIMIT')).toBe(before + 5)
    expect(await gauge(relay, 'bitecs_relay_lobby_rooms')).toBe(3)
    const alice = await identity()
    expect((await createRoom(relay, { name: 'alice' }, {}, await lobbyToken(alice, relay))).status).toBe(201)
    await honestPair(relay, 'honest-rooms')
    await expectNoLeaks(relay)
  })

  it('maxRoomMetadataBytes: metadata over the cap is 413, nothing created; at the cap is fine', async () => {
    const relay = await startLobbyRelay({ maxRoomMetadataBytes: 256 })
    const at = { blob: 'x'.repeat(256 - '{"blob":""}'.length) }
    const r = await createRoom(relay, { name: 'big', metadata: { blob: 'x'.repeat(300) } })
    expect([r.status, r.body.error]).toEqual([413, 'ROOM_METADATA_TOO_LARGE'])
    expect(await refusals(relay, 'ROOM_METADATA_TOO_LARGE')).toBe(1)
    const huge = await createRoom(relay, JSON.stringify({ name: 'huge', metadata: { blob: 'x'.repeat(20_000) } }))
    expect(huge.body.error).toBe('ROOM_OPTIONS_INVALID') // over the 16 KiB body cap: not even parsed
    expect(await gauge(relay, 'bitecs_relay_lobby_rooms')).toBe(0)
    expect((await createRoom(relay, { name: 'fits', metadata: at })).status).toBe(201)
    await honestPair(relay, 'honest-meta')
    await expectNoLeaks(relay)
  })

  it('maxRooms: a full directory refuses new rooms (LOBBY_FULL), and a match it has no room for ends cancelled', async () => {
    const relay = await startLobbyRelay({ maxRooms: 2, trustedProxies: ['127.0.0.1'] })
    expect((await createRoom(relay, { name: 'a' }, from('10.0.0.1'))).status).toBe(201)
    expect((await createRoom(relay, { name: 'b' }, from('10.0.0.2'))).status).toBe(201)
    const full = await createRoom(relay, { name: 'c' }, from('10.0.0.3'))
    expect([full.status, full.body.error]).toEqual([503, 'LOBBY_FULL'])
    const [x, y] = await Promise.all([rawStream(relay, { queue: 'duel' }), rawStream(relay, { queue: 'duel' })])
    await until(() => x.ended && y.ended)
    expect(x.events.map((e) => [e.event, e.data.error])).toEqual([['queued', undefined], ['cancelled', 'LOBBY_FULL']])
    expect(await gauge(relay, 'bitecs_relay_match_outcomes_total', { outcome: 'lobby_full' })).toBe(1)
    expect(await gauge(relay, 'bitecs_relay_lobby_rooms')).toBe(2)
    await honestPair(relay, 'honest-full')
    await expectNoLeaks(relay)
    expect(await waiting(relay)).toBe(0)
  })
})

describe('request rates', () => {
  it('lobbyRateBurst / lobbyRatePerSec: a flood from one address gets 429 RATE_LIMITED; other addresses and joins go on', async () => {
    const relay = await startLobbyRelay({ lobbyRateBurst: 5, lobbyRatePerSec: 0.01, trustedProxies: ['127.0.0.1'] })
    const flood = await Promise.all(Array.from({ length: 40 }, () => lobbyCall(relay, 'GET', 'v1/rooms', { headers: from('203.0.113.7') })))
    expect(flood.filter((r) => r.status === 200)).toHaveLength(5)
    const limited = flood.filter((r) => r.status === 429)
    expect(limited).toHaveLength(35)
    expect(limited[0].body.error).toBe('RATE_LIMITED')
    expect(limited[0].headers.get('retry-after')).toBe('100')
    expect(await refusals(relay, 'RATE_LIMITED')).toBe(35)
    // Every lobby route counts; the same /64 of IPv6 is one address.
    expect((await createRoom(relay, { name: 'x' }, from('203.0.113.7'))).body.error).toBe('RATE_LIMITED')
    for (let i = 0; i < 5; i++) await lobbyCall(relay, 'GET', 'v1/rooms', { headers: from(`2001:db8:1:2::${i + 1}`) })
    expect((await lobbyCall(relay, 'GET', 'v1/rooms', { headers: from('2001:db8:1:2:ffff::9') })).status).toBe(429)
    expect((await lobbyCall(relay, 'GET', 'v1/rooms', { headers: from('198.51.100.1') })).status).toBe(200)
    await honestPair(relay, 'honest-rate')
    await expectNoLeaks(relay)
  })

  it('password guessing: join attempts on a password room take lobby rate; past it even the right password waits', async () => {
    const relay = await startLobbyRelay({ lobbyRateBurst: 6, lobbyRatePerSec: 0.01 })
    expect((await createRoom(relay, { name: 'vault', password: 'correct horse' })).status).toBe(201) // 1 of 6
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => postJoin(relay.url, 'vault', { body: { password: `guess${i}` } })))
    expect(guesses.filter((g) => g.body.error === 'ROOM_PASSWORD_WRONG')).toHaveLength(5)
    expect(guesses.filter((g) => g.status === 429 && g.body.error === 'RATE_LIMITED')).toHaveLength(15)
    expect((await postJoin(relay.url, 'vault', { body: { password: 'correct horse' } })).body.error).toBe('RATE_LIMITED')
    expect(await metric(relay, 'bitecs_relay_refusals_total', { code: 'RATE_LIMITED', stage: 'join' })).toBe(16)
    await honestPair(relay, 'honest-guess') // joins of rooms without a password take no lobby rate
    await expectNoLeaks(relay)
  })

  it('lobbyRateMaxAddresses: the limiter forgets the least recently seen address past its cap (memory stays bounded)', () => {
    let now = 5e12
    const limiter = new AddressRateLimiter({ burst: 1, perSec: 0.001, maxAddresses: 8 }, () => now)
    for (let i = 0; i < 1000; i++) limiter.take(`10.1.${i >> 8}.${i & 255}`)
    expect(limiter.size).toBe(8)
    expect(limiter.take('10.1.3.231')).toBe(false) // the last one seen is still remembered
    now += 1
    expect(limiter.take('10.1.0.0')).toBe(true) // forgotten long ago: a fresh bucket
  })
})

describe('matchmaking', () => {
  it('maxQueuedPlayers: the matchmaker full is 503 MATCH_QUEUE_FULL; a closed stream frees its place', async () => {
    const relay = await startLobbyRelay({ maxQueuedPlayers: 3, trustedProxies: ['127.0.0.1'], matchQueues: { big: { size: 8 } } })
    const streams = await Promise.all([1, 2, 3].map((i) => rawStream(relay, { queue: 'big' }, from(`10.0.1.${i}`))))
    const over = await rawStream(relay, { queue: 'big' }, from('10.0.1.9'))
    expect([over.status, over.body?.error]).toEqual([503, 'MATCH_QUEUE_FULL'])
    expect(await refusals(relay, 'MATCH_QUEUE_FULL')).toBe(1)
    streams[0].close()
    await until(async () => (await waiting(relay)) === 2)
    const now = await rawStream(relay, { queue: 'big' }, from('10.0.1.9'))
    expect(now.status).toBe(200)
    await honestPair(relay, 'honest-queued')
    for (const s of [...streams, now]) s.close()
    await until(async () => (await waiting(relay)) === 0)
    await expectNoLeaks(relay)
  })

  it('maxQueuedPerAddress: one address cannot fill the queue with anonymous players (429 MATCH_LIMIT)', async () => {
    const relay = await startLobbyRelay({ maxQueuedPerAddress: 2, trustedProxies: ['127.0.0.1'], matchQueues: { big: { size: 8 } } })
    const mine = await Promise.all([1, 2].map(() => rawStream(relay, { queue: 'big' }, from('192.0.2.50'))))
    const over = await Promise.all([1, 2, 3].map(() => rawStream(relay, { queue: 'big' }, from('192.0.2.50'))))
    expect(over.map((r) => [r.status, r.body?.error])).toEqual(Array(3).fill([429, 'MATCH_LIMIT']))
    const elsewhere = await rawStream(relay, { queue: 'big' }, from('192.0.2.51'))
    expect(elsewhere.status).toBe(200)
    expect(await waiting(relay)).toBe(3)
    await honestPair(relay, 'honest-per-address')
    for (const s of [...mine, elsewhere]) s.close()
    await until(async () => (await waiting(relay)) === 0)
    await expectNoLeaks(relay)
  })

  it('maxMatchQueues and a queue\'s maxWaiting: new queue names past the cap, and a full queue, are MATCH_QUEUE_FULL', async () => {
    const relay = await startLobbyRelay({ maxMatchQueues: 2, trustedProxies: ['127.0.0.1'], matchQueues: { '*': { size: 8, maxWaiting: 2 } } })
    const held = [await rawStream(relay, { queue: 'q1' }, from('10.9.0.1')), await rawStream(relay, { queue: 'q2' }, from('10.9.0.2'))]
    const third = await rawStream(relay, { queue: 'q3' }, from('10.9.0.3'))
    expect([third.status, third.body?.error]).toEqual([503, 'MATCH_QUEUE_FULL'])
    held.push(await rawStream(relay, { queue: 'q1' }, from('10.9.0.4')))
    expect(held.map((s) => s.status)).toEqual([200, 200, 200])
    const overQueue = await rawStream(relay, { queue: 'q1' }, from('10.9.0.5'))
    expect([overQueue.status, overQueue.body?.error]).toEqual([503, 'MATCH_QUEUE_FULL'])
    await honestPair(relay, 'honest-queues')
    for (const s of held) s.close()
    await until(async () => (await waiting(relay)) === 0)
    await expectNoLeaks(relay)
  })

  it('stream churn and oversized requests: opening and dropping many streams leaves nothing waiting; big bodies are refused unread', async () => {
    const relay = await startLobbyRelay({ maxQueuedPerAddress: 100, matchQueues: { big: { size: 64 } } })
    for (let round = 0; round < 5; round++) {
      const streams = await Promise.all(Array.from({ length: 20 }, () => rawStream(relay, { queue: 'big' })))
      expect(streams.every((s) => s.status === 200)).toBe(true)
      for (const s of streams) s.close()
    }
    await until(async () => (await waiting(relay)) === 0)
    const big = await rawStream(relay, { queue: 'big', attributes: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`a${i}`, 'x'.repeat(10)])) })
    expect([big.status, big.body?.error]).toEqual([400, 'MATCH_REQUEST_INVALID'])
    const many = await rawStream(relay, { queue: 'big', attributes: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`a${i}`, i])) })
    expect([many.status, many.body?.error]).toEqual([400, 'MATCH_REQUEST_INVALID'])
    await honestPair(relay, 'honest-churn')
    await expectNoLeaks(relay)
    expect(await waiting(relay)).toBe(0)
  })
})
