// The social layer's limits, each attacked on loopback against a real PDS + PLC: watches per socket (and new ones per
// window), invites per minute, the graph cache's size, social sockets per account and relay-wide. Each test runs an
// honest pair beside the attack (B sees A's presence, A's invite reaches B) and checks that nothing is left behind.
import WebSocket from 'ws'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { createRelay, type Relay } from '../../src/relay/index.js'
import { atprotoTokenSource } from '../../src/atproto/token-source.js'
import { socialClient, type SocialClient } from '../../src/social/social-client.js'
import { DEFAULT_SOCIAL_LXM } from '../../src/signaling/social-contract.js'
import { startTestPds, type TestAccount, type TestPds } from '../helpers/pds.js'
import { metric, until } from './helpers.js'

const LIMITS = { maxWatchedPerSocket: 20, maxInvitesPerMinute: 5, socialGraphCacheMaxEntries: 8, maxSocialSocketsPerDid: 2, maxSocialSockets: 8 }
let pds: TestPds
let A: TestAccount, B: TestAccount, C: TestAccount
/** The honest pair's accounts (friends), apart from the attacks' (whose invite allowances the attacks spend). */
let H: TestAccount, K: TestAccount
let relay: Relay
const clients: SocialClient[] = []

/** A well-formed did:plc of no account. */
const fake = (i: number, salt = 'a') => `did:plc:${salt}${i.toString(26).split('').map((ch) => String.fromCharCode(97 + parseInt(ch, 26))).join('').padStart(23, 'z')}`
async function online(who: TestAccount): Promise<SocialClient> {
  const c = socialClient({ relay: relay.url, token: atprotoTokenSource(who.agent.sessionManager, relay.did, { lxm: DEFAULT_SOCIAL_LXM }), WebSocket: WebSocket as never })
  clients.push(c)
  await c.connect()
  return c
}
const errors = (c: SocialClient) => {
  const got: string[] = []
  c.on('error', (e) => got.push(e.code))
  return got
}

/** K watches H and sees H online; H's invite reaches K. */
async function honestPair(): Promise<void> {
  const [h, k] = await Promise.all([online(H), online(K)])
  const got: string[] = []
  k.on('invite', (i) => got.push(i.from))
  k.watch([H.did])
  await until(() => k.presence.get(H.did)?.online === true, 10_000)
  await h.invite(K.did, 'honest')
  await until(() => got.length === 1)
  expect(got).toEqual([H.did])
  h.close()
  k.close()
}

/** Every social socket closed, every watch dropped. */
async function expectNoSocialLeaks(): Promise<void> {
  for (const c of clients.splice(0)) c.close()
  await until(async () => (await metric(relay, 'bitecs_relay_social_sockets')) === 0 && (await metric(relay, 'bitecs_relay_presence_watches')) === 0, 5_000).catch(() => {})
  expect([await metric(relay, 'bitecs_relay_social_sockets'), await metric(relay, 'bitecs_relay_presence_watches'), await metric(relay, 'bitecs_relay_presence_online')]).toEqual([0, 0, 0])
}

beforeAll(async () => {
  pds = await startTestPds()
  ;[A, B, C, H, K] = await Promise.all(['ann', 'bea', 'cal', 'hal', 'kim'].map((n) => pds.createAccount(n)))
  await Promise.all([A.agent.follow(B.did), B.agent.follow(A.did), C.agent.follow(A.did), H.agent.follow(K.did), K.agent.follow(H.did)])
  relay = createRelay({ auth: 'required', plcUrl: pds.plcUrl, allowPrivateDidHosts: true, iceServers: [], logger: pino({ level: 'silent' }), verifyHandles: false, ...LIMITS })
  await relay.listen()
}, 60_000)
afterEach(() => {
  for (const c of clients.splice(0)) c.close()
})
afterAll(async () => {
  await relay?.close()
  await pds?.close()
})

describe('social limits under attack', () => {
  it(`maxWatchedPerSocket (${LIMITS.maxWatchedPerSocket}): a longer watch list is refused whole and looked up not at all; as many new accounts per window, no more`, async () => {
    const attacker = await online(C)
    const refused = errors(attacker)
    const cacheBefore = await metric(relay, 'bitecs_relay_social_graph_cache_entries')
    attacker.watch(Array.from({ length: LIMITS.maxWatchedPerSocket + 1 }, (_, i) => fake(i)))
    await until(() => refused.length === 1)
    expect(refused).toEqual(['SOCIAL_TOO_MANY_WATCHED'])
    expect(await metric(relay, 'bitecs_relay_presence_watches')).toBe(0)
    expect(await metric(relay, 'bitecs_relay_social_graph_cache_entries')).toBe(cacheBefore) // nothing was looked up
    expect(await metric(relay, 'bitecs_relay_refusals_total', { code: 'SOCIAL_TOO_MANY_WATCHED', stage: 'social' })).toBe(1)
    // A full list is fine; a second full list of new accounts in the same window is not (id probing).
    attacker.watch(Array.from({ length: LIMITS.maxWatchedPerSocket }, (_, i) => fake(i, 'b')))
    await until(() => attacker.presence.size === LIMITS.maxWatchedPerSocket, 10_000)
    attacker.watch(Array.from({ length: LIMITS.maxWatchedPerSocket }, (_, i) => fake(i, 'c')))
    await until(() => refused.length === 2)
    expect(refused).toEqual(['SOCIAL_TOO_MANY_WATCHED', 'SOCIAL_TOO_MANY_WATCHED'])
    expect(await metric(relay, 'bitecs_relay_presence_watches')).toBe(LIMITS.maxWatchedPerSocket) // the list before stays
    await honestPair()
    await expectNoSocialLeaks()
  })

  it(`maxInvitesPerMinute (${LIMITS.maxInvitesPerMinute}): a burst of invites delivers that many, the rest SOCIAL_RATE_LIMITED; a stranger's are counted before any graph lookup`, async () => {
    const [a, b, c] = await Promise.all([online(A), online(B), online(C)])
    const got: string[] = []
    b.on('invite', (i) => got.push(i.room))
    const burst = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => a.invite(B.did, `spam-${i}`)))
    const codes = burst.map((r) => (r.status === 'fulfilled' ? 'delivered' : (r.reason as { code: string }).code))
    expect(codes.filter((x) => x === 'delivered').length).toBe(LIMITS.maxInvitesPerMinute)
    expect(codes.filter((x) => x === 'SOCIAL_RATE_LIMITED').length).toBe(12 - LIMITS.maxInvitesPerMinute)
    await until(() => got.length === LIMITS.maxInvitesPerMinute)
    await new Promise((r) => setTimeout(r, 200))
    expect(got.length).toBe(LIMITS.maxInvitesPerMinute)
    const stranger = await Promise.allSettled(Array.from({ length: 8 }, () => c.invite(A.did, 'nope')))
    expect(stranger.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual([...Array(LIMITS.maxInvitesPerMinute).fill('SOCIAL_NOT_FRIENDS'), ...Array(8 - LIMITS.maxInvitesPerMinute).fill('SOCIAL_RATE_LIMITED')])
    expect(await metric(relay, 'bitecs_relay_invites_total', { outcome: 'rate_limited' })).toBe(12 - LIMITS.maxInvitesPerMinute + 8 - LIMITS.maxInvitesPerMinute)
    // B's allowance is B's own.
    const toA: string[] = []
    a.on('invite', (i) => toA.push(i.from))
    await b.invite(A.did, 'back')
    await until(() => toA.length === 1)
    for (const x of [a, b, c]) x.close()
    await expectNoSocialLeaks()
  })

  it(`socialGraphCacheMaxEntries (${LIMITS.socialGraphCacheMaxEntries}): watching many accounts never grows the cache past it, and answers stay right`, async () => {
    const attacker = await online(C)
    const watcher = await online(A)
    let peak = 0
    const sampler = setInterval(async () => (peak = Math.max(peak, await metric(relay, 'bitecs_relay_social_graph_cache_entries'))), 5)
    try {
      attacker.watch(Array.from({ length: LIMITS.maxWatchedPerSocket }, (_, i) => fake(i, 'd')))
      await until(() => attacker.presence.size === LIMITS.maxWatchedPerSocket, 15_000)
      watcher.watch(Array.from({ length: LIMITS.maxWatchedPerSocket }, (_, i) => fake(i, 'e')))
      await until(() => watcher.presence.size === LIMITS.maxWatchedPerSocket, 15_000)
    } finally {
      clearInterval(sampler)
    }
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThanOrEqual(LIMITS.socialGraphCacheMaxEntries)
    expect([...attacker.presence.values()].every((p) => !p.online)).toBe(true)
    await honestPair() // the friendships are read again past the evictions
    await expectNoSocialLeaks()
  })

  it(`maxSocialSocketsPerDid (${LIMITS.maxSocialSocketsPerDid}) and maxSocialSockets (${LIMITS.maxSocialSockets}): one more is SOCIAL_FULL, and the honest pair still connects once places are free`, async () => {
    await Promise.all(Array.from({ length: LIMITS.maxSocialSocketsPerDid }, () => online(C)))
    const extra = socialClient({ relay: relay.url, token: atprotoTokenSource(C.agent.sessionManager, relay.did, { lxm: DEFAULT_SOCIAL_LXM }), WebSocket: WebSocket as never, reconnectDelay: 60_000 })
    const extraErrors = errors(extra)
    void extra.connect().catch(() => {})
    await until(() => extraErrors.length === 1)
    expect(extraErrors).toEqual(['SOCIAL_FULL'])
    extra.close()
    // Relay-wide: fill the rest with other accounts' sockets.
    const others = await Promise.all(Array.from({ length: 3 }, (_, i) => pds.createAccount(`filler${i}`)))
    for (const o of others) for (let k = 0; k < LIMITS.maxSocialSocketsPerDid; k++) if ((await metric(relay, 'bitecs_relay_social_sockets')) < LIMITS.maxSocialSockets) await online(o)
    expect(await metric(relay, 'bitecs_relay_social_sockets')).toBe(LIMITS.maxSocialSockets)
    const raw = new WebSocket(`${relay.url.replace(/^http/, 'ws')}v1/social`)
    const first = await new Promise<Record<string, unknown>>((resolve) => raw.once('message', (d) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)))
    expect(first).toMatchObject({ type: 'ERROR', code: 'SOCIAL_FULL' })
    expect(await metric(relay, 'bitecs_relay_refusals_total', { code: 'SOCIAL_FULL', stage: 'social' })).toBe(2)
    await expectNoSocialLeaks()
    await honestPair()
    await expectNoSocialLeaks()
  })
})
