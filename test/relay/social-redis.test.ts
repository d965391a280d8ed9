// The social layer across two relay processes on one real Redis, against a real PDS + PLC: a player's social socket
// and peer socket on different processes, their friend's on a third combination. A and B follow each other, C
// follows A only. A (social socket on relay 1) sees B's presence (social socket on relay 2) and the room of B's peer
// socket (on relay 1); B's invite (from relay 2) reaches A (on relay 1); B's friends-only room (created on relay 1)
// admits A and refuses C on relay 2.
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { createRelay, generateRelayKeyHex, type Relay } from '../../src/relay/index.js'
import { atprotoTokenSource } from '../../src/atproto/token-source.js'
import { socialClient, type SocialClient } from '../../src/social/social-client.js'
import { DEFAULT_SOCIAL_LXM } from '../../src/signaling/social-contract.js'
import { startTestPds, type TestAccount, type TestPds } from '../helpers/pds.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'
import { asJoin, postJoin, RawPeer, until } from './helpers.js'

let pds: TestPds
let redis: TestRedis
let A: TestAccount, B: TestAccount, C: TestAccount
let r1: Relay, r2: Relay
const clients: SocialClient[] = []

const socialToken = (who: TestAccount, r: Relay) => atprotoTokenSource(who.agent.sessionManager, r.did, { lxm: DEFAULT_SOCIAL_LXM })
const joinToken = async (who: TestAccount, r: Relay) => (await who.agent.com.atproto.server.getServiceAuth({ aud: `${r.did}#bitecs_relay`, lxm: 'dev.bitecs.multiuser.join' })).data.token
async function online(who: TestAccount, r: Relay): Promise<SocialClient> {
  const c = socialClient({ relay: r.url, token: socialToken(who, r), WebSocket: WebSocket as never, reconnectDelay: 100 })
  clients.push(c)
  await c.connect()
  return c
}

beforeAll(async () => {
  ;[pds, redis] = await Promise.all([startTestPds(), startRedis()])
  ;[A, B, C] = await Promise.all(['ann', 'bea', 'cal'].map((n) => pds.createAccount(n)))
  await Promise.all([A.agent.follow(B.did), B.agent.follow(A.did), C.agent.follow(A.did)])
  const signingKey = await generateRelayKeyHex()
  const make = () => createRelay({
    auth: 'optional', plcUrl: pds.plcUrl, allowPrivateDidHosts: true, iceServers: [], logger: pino({ level: 'silent' }), verifyHandles: false,
    signingKey, serviceDid: 'did:web:relay.test', redis: redis.url, redisKeyPrefix: `social-${process.pid}:`,
  })
  ;[r1, r2] = [make(), make()]
  await Promise.all([r1.listen(), r2.listen()])
}, 60_000)
afterAll(async () => {
  for (const c of clients) c.close()
  await Promise.all([r1?.close(), r2?.close()])
  await Promise.all([pds?.close(), redis?.stop()])
})

describe('the social layer across processes', { timeout: 30_000 }, () => {
  it('presence and invites cross processes, and a friends-only room is friends-only on every process', async () => {
    const [a, b] = await Promise.all([online(A, r1), online(B, r2)])
    a.watch([B.did])
    await until(() => a.presence.get(B.did)?.online === true, 10_000)
    // B's peer socket on relay 1 while B's social socket is on relay 2: A sees the room.
    b.setPresence({ joinable: true })
    const jb = asJoin(await postJoin(r1.url, 'bea-room', { token: await joinToken(B, r1), body: { friendsOnly: true } }))
    expect(jb.friendsOf).toBe(B.did)
    const pb = RawPeer.forJoin(jb)
    await pb.next((m) => m.type === 'OPEN')
    await until(() => a.presence.get(B.did)?.room === 'bea-room' && a.presence.get(B.did)?.joinable === true, 10_000)
    // B invites A from relay 2; A's social socket on relay 1 gets it.
    const got: string[] = []
    a.on('invite', (i) => got.push(`${i.from} ${i.room}`))
    await b.invite(A.did, 'bea-room')
    await until(() => got.length === 1, 10_000)
    expect(got).toEqual([`${B.did} bea-room`])
    // The room is friends-only on relay 2 as well: A (a friend) is admitted there, C (who follows A only) is not.
    expect((await postJoin(r2.url, 'bea-room', { token: await joinToken(C, r2) })).body.error).toBe('ROOM_FRIENDS_ONLY')
    expect(asJoin(await postJoin(r2.url, 'bea-room', { token: await joinToken(A, r2) })).friendsOf).toBe(B.did)
    pb.close()
    await until(() => a.presence.get(B.did)?.room === null, 10_000)
    // B goes offline on relay 2: A, on relay 1, sees it.
    b.close()
    await until(() => a.presence.get(B.did)?.online === false, 10_000)
  })
})
