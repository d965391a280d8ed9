// Sessions as records, on a real PDS: the lexicon in lexicons/ is a valid lexicon (@atproto/lexicon), the records the
// client writes are valid for it (checked on what the PDS stores), a friend's client lists them from the PDS, and they
// go away when the player leaves the room (a real transport at a real relay) or expire.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Lexicons, type LexiconDoc } from '@atproto/lexicon'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay, type Relay } from '../../src/relay/index.js'
import { peerJsTransport } from '../../src/transport/peerjs/peerjs-transport.js'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import { atprotoTokenSource } from '../../src/atproto/token-source.js'
import { pdsResolver } from '../../src/social/did-pds.js'
import { SESSION_COLLECTION, isSessionRecord, listSessions, sessionPublisher, sessionRecordKey, trackSession } from '../../src/social/session-records.js'
import { repo } from '../helpers/source-graph.js'
import { loadNodePeer } from '../helpers/node-webrtc.js'
import { startTestPds, type TestAccount, type TestPds } from '../helpers/pds.js'

const lexDir = join(repo, 'lexicons')
const lexFiles = (readdirSync(lexDir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.json'))
const docs = lexFiles.map((f) => JSON.parse(readFileSync(join(lexDir, f), 'utf8')) as LexiconDoc)
let lex: Lexicons
let pds: TestPds
let alice: TestAccount, bob: TestAccount
let relay: Relay
const GAME = 'https://game.example/'

const stored = async (who: TestAccount, rkey: string) => (await who.agent.com.atproto.repo.getRecord({ repo: who.did, collection: SESSION_COLLECTION, rkey })).data.value
const until = async (cond: () => Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

beforeAll(async () => {
  pds = await startTestPds()
  ;[alice, bob] = await Promise.all([pds.createAccount('alice'), pds.createAccount('bob')])
  relay = createRelay({ auth: 'required', plcUrl: pds.plcUrl, allowPrivateDidHosts: true, iceServers: [], logger: pino({ level: 'silent' }), verifyHandles: false })
  await relay.listen()
}, 60_000)
afterAll(async () => {
  await relay?.close()
  await pds?.close()
})

describe('the lexicon', () => {
  it('every file of lexicons/ is a valid lexicon whose id is its path', () => {
    expect(lexFiles.length).toBeGreaterThan(0)
    lex = new Lexicons(docs) // throws on an invalid document
    for (const [i, f] of lexFiles.entries()) expect(relative('.', f).replace(/\.json$/, '').split('/').join('.')).toBe(docs[i].id)
    expect(lex.getDef(SESSION_COLLECTION)).toMatchObject({ type: 'record', key: 'any' })
  })

  it('the client\'s record check agrees with the lexicon', () => {
    const good = { game: GAME, relay: 'https://relay.example/', room: 'lobby', joinable: true, createdAt: '2026-12-01T10:00:00.000Z', expiresAt: '2026-12-01T10:30:00.000Z' }
    const bad = [
      { ...good, room: '' }, { ...good, room: 'x'.repeat(65) }, { ...good, joinable: 'yes' }, { ...good, expiresAt: 'tomorrow' },
      { ...good, relay: 'not a url' }, { ...good, game: '' }, { ...good, game: 'g'.repeat(257) }, (({ createdAt: _, ...rest }) => rest)(good),
    ]
    expect(isSessionRecord(good)).toBe(true)
    expect(() => lex.assertValidRecord(SESSION_COLLECTION, { $type: SESSION_COLLECTION, ...good })).not.toThrow()
    for (const v of bad) {
      expect(isSessionRecord(v), JSON.stringify(v)).toBe(false)
      expect(() => lex.assertValidRecord(SESSION_COLLECTION, { $type: SESSION_COLLECTION, ...v }), JSON.stringify(v)).toThrow()
    }
  })
})

describe('session records', () => {
  it('a record alice writes is valid for the lexicon, listed by bob\'s client from her PDS, replaced on a room switch, gone when she ends it', async () => {
    const pub = sessionPublisher({ session: alice.agent.sessionManager, did: alice.did, game: GAME, relay: relay.url })
    await pub.publish('hall')
    const value = await stored(alice, sessionRecordKey(GAME, relay.url, 'hall'))
    expect(() => lex.assertValidRecord(SESSION_COLLECTION, value)).not.toThrow()
    const resolvePds = pdsResolver({ plcUrl: pds.plcUrl })
    const seen = await listSessions(alice.did, { resolvePds, game: GAME })
    expect(seen).toEqual([expect.objectContaining({ did: alice.did, game: GAME, relay: relay.url, room: 'hall', joinable: true, uri: `at://${alice.did}/${SESSION_COLLECTION}/${sessionRecordKey(GAME, relay.url, 'hall')}` })])
    expect(Date.parse(seen[0].expiresAt) - Date.parse(seen[0].createdAt)).toBe(1_800_000)
    expect(await listSessions(alice.did, { resolvePds, game: 'another game' })).toEqual([])

    await pub.publish('den', { joinable: false })
    expect((await listSessions(alice.did, { resolvePds })).map((s) => [s.room, s.joinable])).toEqual([['den', false]])
    await pub.end()
    expect(await listSessions(alice.did, { resolvePds })).toEqual([])
  })

  it('an expired record is not listed (a client that crashed could not delete it)', async () => {
    const pub = sessionPublisher({ session: bob.agent.sessionManager, did: bob.did, game: GAME, relay: relay.url, ttlSec: 5, now: () => Date.now() - 10_000 })
    await pub.publish('old')
    const resolvePds = pdsResolver({ plcUrl: pds.plcUrl })
    expect((await bob.agent.com.atproto.repo.listRecords({ repo: bob.did, collection: SESSION_COLLECTION })).data.records.length).toBe(1)
    expect(await listSessions(bob.did, { resolvePds })).toEqual([])
    await pub.end()
  })

  it('trackSession: published while the transport is in a room, deleted when it leaves', async () => {
    const transport = peerJsTransport({ relay: relayClient(relay.url, { token: atprotoTokenSource(alice.agent.sessionManager, relay.did) }), Peer: loadNodePeer(), iceServers: [] })
    const errors: string[] = []
    const stop = trackSession(transport, sessionPublisher({ session: alice.agent.sessionManager, did: alice.did, game: GAME, relay: relay.url }), { onError: (e) => errors.push(e.message) })
    const resolvePds = pdsResolver({ plcUrl: pds.plcUrl, cacheTtlMs: 0 })
    const rooms = async () => (await listSessions(alice.did, { resolvePds, game: GAME })).map((s) => s.room)
    try {
      await transport.join('arena')
      await until(async () => (await rooms()).join() === 'arena')
      await transport.join('lounge')
      await until(async () => (await rooms()).join() === 'lounge')
      await transport.leave()
      await until(async () => (await rooms()).length === 0)
      expect(errors).toEqual([])
    } finally {
      await stop()
      transport.close()
    }
  })

  it('a write the PDS refuses is a SocialError SESSION_RECORD_FAILED with the PDS\'s reason', async () => {
    const pub = sessionPublisher({ session: alice.agent.sessionManager, did: bob.did, game: GAME, relay: relay.url }) // not her repo
    await expect(pub.publish('hall')).rejects.toMatchObject({ name: 'SocialError', code: 'SESSION_RECORD_FAILED' })
  })
})
