/**
 * Issue 22, the two denial-of-service paths of the JWT gate, each attack performed on loopback with raw HTTP joins
 * (every attacker and every player from a loopback address of its own), bounded in count and time, against a real
 * PLC + PDS (did:plc players), did:web hosts of our own, tarpit did:web hosts (headers, then nothing) and a proxy in
 * front of the PLC that answers 429/503 or hangs when told to. Honest players, with their issuer key cached or not,
 * join while the attack runs; every test also checks the refusal codes, the relay's counters and that no slot leaked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Relay } from '../../src/relay/index.js'
import { attack, garbageTokens, rawJoin, type TimedJoin } from './gate-attacks.js'
import { cast, gateRelay, refreshAttack, slowDidAttack, startGateFixture, stopGateFixture, tarpits, type Cast, type GateFixture } from './gate-scenarios.js'
import { expectNoLeaks, honestPair, memoryLogger, metric, sleep } from './helpers.js'

const PER_KIND = 4
let f: GateFixture

beforeAll(async () => {
  f = await startGateFixture(memoryLogger().logger, PER_KIND)
})
afterAll(async () => {
  await stopGateFixture(f)
})

const outcome = (j: TimedJoin) => (j.status === 200 ? 'admitted' : String(j.body.error))
const codes = (joins: TimedJoin[]) => new Set(joins.map(outcome))
const admittedAll = (joins: TimedJoin[]) => expect(joins.map(outcome)).toEqual(joins.map(() => 'admitted'))

/** The honest pair of the hardening suite, with a cached player's tokens. */
const pair = (relay: Relay, c: Cast, room: string) => honestPair(relay, room, () => c['cached did:web'][0].token())

describe('attack 1: one slow DID host', () => {
  it('140 joins with garbage signatures naming one tarpit did:web, from 20 addresses: every honest player is admitted; 8 wait on the DID, the others get RELAY_BUSY at once', async () => {
    const relay = await gateRelay(f) // the defaults: 128 handshakes, 8 waiters per DID, 8 per address
    const c = await cast(f, relay, PER_KIND)
    const [tarpit] = await tarpits(f, 1)
    const o = await slowDidAttack(relay, c, [tarpit], { lanes: 140, addresses: 20 })
    for (const joins of Object.values(o.honest)) admittedAll(joins)
    expect(o.attack.length).toBeGreaterThanOrEqual(140)
    expect([...codes(o.attack)].every((c) => c === 'RELAY_BUSY' || c === 'AUTH_DID_UNAVAILABLE')).toBe(true)
    expect(await metric(relay, 'bitecs_relay_handshakes_limited_total', { scope: 'did' })).toBeGreaterThanOrEqual(132)
    expect(tarpit.fetches).toBe(1) // one fetch, coalesced; the attack never reached the fetch caps
    await pair(relay, c, 'pair')
    await expectNoLeaks(relay, 6000) // the 8 waiters end with the 3 s fetch timeout
    expect(await metric(relay, 'bitecs_relay_refusals_total', { code: 'AUTH_DID_UNAVAILABLE' })).toBeGreaterThanOrEqual(8) // an outage, not "no such DID"
  })

  it('one address, many tarpit DIDs: the attacker holds at most maxHandshakesPerAddress places, every honest player is admitted', async () => {
    // per-host cap lifted: on loopback every did:web is `localhost`; in the wild each DID is a subdomain of its own
    const relay = await gateRelay(f, { maxConcurrentHandshakes: 32, didFetchConcurrencyPerHost: 1000 })
    const c = await cast(f, relay, PER_KIND)
    const t = await tarpits(f, 10)
    const o = await slowDidAttack(relay, c, t, { lanes: 40, addresses: 1 })
    for (const joins of Object.values(o.honest)) admittedAll(joins)
    expect(codes(o.attack).has('admitted')).toBe(false)
    expect(await metric(relay, 'bitecs_relay_handshakes_limited_total', { scope: 'address' })).toBeGreaterThanOrEqual(32)
    expect(t.reduce((n, h) => n + h.fetches, 0)).toBeLessThanOrEqual(8)
    await pair(relay, c, 'pair')
    await expectNoLeaks(relay, 6000)
  })

  it('distributed (many addresses and DIDs) until maxConcurrentHandshakes is full: players whose key is cached are still all admitted', async () => {
    const relay = await gateRelay(f, { maxConcurrentHandshakes: 24, didFetchConcurrencyPerHost: 1000 })
    const c = await cast(f, relay, PER_KIND)
    const o = await slowDidAttack(relay, c, await tarpits(f, 6), { lanes: 36, addresses: 6 }) // 6 per address, 6 per DID: under both caps
    admittedAll(o.honest['cached did:web'])
    admittedAll(o.honest['cached did:plc'])
    expect(await metric(relay, 'bitecs_relay_handshakes_limited_total', { scope: 'relay' })).toBeGreaterThan(0) // the budget was full
    // a join that must fetch may find no place: told to retry, never wrongly refused
    for (const j of [...o.honest['uncached did:web'], ...o.honest['uncached did:plc']]) expect(['admitted', 'RELAY_BUSY']).toContain(outcome(j))
    expect(codes(o.attack).has('admitted')).toBe(false)
    await pair(relay, c, 'pair')
    await expectNoLeaks(relay, 6000)
  })
})

describe('attack 2: forced key refreshes against a failing PLC directory', () => {
  it('garbage-signature tokens for cached did:plc players while the PLC answers 429: the good keys stay, refreshes are rate-limited per DID, the players are admitted during and after', async () => {
    const relay = await gateRelay(f, { didMinRefreshIntervalMs: 300 })
    const c = await cast(f, relay, PER_KIND)
    await sleep(350) // the cached keys are old enough to be refreshed
    f.proxy.reset()
    const t0 = Date.now()
    const o = await refreshAttack(f, relay, c, { mode: '429', waves: 4 })
    const ms = Date.now() - t0
    admittedAll(o.honest['cached did:plc'])
    admittedAll(o.honest['cached did:web'])
    admittedAll(o.afterRecovery)
    expect(codes(o.attack)).toEqual(new Set(['AUTH_BAD_SIGNATURE']))
    for (const victim of f.plc.slice(0, PER_KIND)) {
      const sent = o.attack.length / PER_KIND
      expect(f.proxy.requests(victim.did)).toBeLessThanOrEqual(Math.ceil(ms / 300) + 1)
      expect(f.proxy.requests(victim.did)).toBeLessThan(sent / 2)
    }
    await pair(relay, c, 'pair')
    await expectNoLeaks(relay)
  })

  it.each(['429', '503', 'hang'] as const)('PLC %s: an uncached player gets 503 AUTH_DID_UNAVAILABLE (not a negative cache entry) and is admitted as soon as the PLC answers', async (mode) => {
    const relay = await gateRelay(f, { didFetchTimeoutMs: 400 })
    const c = await cast(f, relay, 1)
    const [player] = c['uncached did:plc']
    f.proxy.mode = mode
    try {
      const during = await rawJoin(relay, 'r', { token: await player.token(), from: player.from })
      expect(during).toMatchObject({ status: 503, body: { error: 'AUTH_DID_UNAVAILABLE' } })
      expect((await rawJoin(relay, 'r', { token: await c['cached did:plc'][0].token(), from: c['cached did:plc'][0].from })).status).toBe(200)
    } finally {
      f.proxy.mode = 'pass'
    }
    expect((await rawJoin(relay, 'r', { token: await player.token(), from: player.from })).status).toBe(200)
    expect(await metric(relay, 'bitecs_relay_refusals_total', { code: 'AUTH_DID_UNRESOLVABLE' })).toBe(0)
    await pair(relay, c, 'pair')
    await expectNoLeaks(relay)
  })

  it('an expired key is still used while its refetch fails (didStaleIfErrorMs), then refused until the PLC answers', async () => {
    const relay = await gateRelay(f, { didCacheTtlMs: 300, didStaleIfErrorMs: 1500, didMinRefreshIntervalMs: 100 })
    const c = await cast(f, relay, 1)
    const [player] = c['cached did:plc']
    const join = async () => rawJoin(relay, 'r', { token: await player.token(), from: player.from })
    await sleep(400) // expired
    f.proxy.mode = '429'
    try {
      expect((await join()).status).toBe(200)
      await sleep(1600) // past expiry + didStaleIfErrorMs
      expect(await join()).toMatchObject({ status: 503, body: { error: 'AUTH_DID_UNAVAILABLE' } })
    } finally {
      f.proxy.mode = 'pass'
    }
    expect((await join()).status).toBe(200)
    await pair(relay, c, 'pair')
    await expectNoLeaks(relay)
  })

  it('PLC requests are bounded: a flood naming unknown did:plc never has more than plcFetchConcurrency requests at the PLC at once', async () => {
    const relay = await gateRelay(f, { plcFetchConcurrency: 4 })
    const c = await cast(f, relay, PER_KIND)
    const garbage = await garbageTokens(relay)
    const randomPlc = () => `did:plc:${Array.from({ length: 24 }, () => 'abcdefghijklmnopqrstuvwxyz234567'[Math.floor(Math.random() * 32)]).join('')}`
    f.proxy.reset()
    f.proxy.delayMs = 300
    try {
      const a = attack(relay, { lanes: 24, from: (i) => `127.0.4.${(i % 6) + 1}`, token: () => garbage(randomPlc()), periodMs: 50, maxRequests: 200 })
      await sleep(200)
      const honest = await Promise.all([...c['cached did:plc'], ...c['cached did:web']].map(async (p) => rawJoin(relay, 'r', { token: await p.token(), from: p.from })))
      const answers = await a.stop()
      for (const j of honest) expect(j.status).toBe(200)
      expect(f.proxy.maxInFlight).toBeLessThanOrEqual(4)
      expect(await metric(relay, 'bitecs_relay_did_fetches_limited_total', { scope: 'plc' })).toBeGreaterThan(0)
      expect([...codes(answers)].every((x) => x === 'RELAY_BUSY' || x === 'AUTH_DID_UNRESOLVABLE')).toBe(true)
    } finally {
      f.proxy.delayMs = 0
    }
    // the flood is over: an uncached did:plc player gets in
    const [late] = c['uncached did:plc']
    expect((await rawJoin(relay, 'r', { token: await late.token(), from: late.from })).status).toBe(200)
    await pair(relay, c, 'pair')
    await expectNoLeaks(relay)
  })
})
