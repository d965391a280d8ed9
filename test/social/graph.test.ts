// The social graph against a real PDS + PLC (test/helpers/pds.ts): friends are mutual follows minus blocks either
// way, read from each account's own repo (pdsSocialGraph), cached with a TTL and bounded; the AppView-backed graph
// gives the same answers from a stand-in AppView whose answers are checked against the real lexicon of
// app.bsky.graph.getRelationships / getFollows (no AppView runs offline).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { lexicons } from '@atproto/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { areFriends, friendsOf, type SocialGraph } from '../../src/signaling/social-graph.js'
import { pdsSocialGraph } from '../../src/signaling/pds-graph.js'
import { appViewSocialGraph } from '../../src/signaling/appview-graph.js'
import { pdsResolver } from '../../src/social/did-pds.js'
import { startTestPds, type TestAccount, type TestPds } from '../helpers/pds.js'

let pds: TestPds
let a: TestAccount, b: TestAccount, c: TestAccount, d: TestAccount, e: TestAccount
let resolvePds: ReturnType<typeof pdsResolver>
/** A well-formed did:plc of no account (`i` in base 26). */
const fakeDid = (i: number) => `did:plc:${i.toString(26).split('').map((ch) => String.fromCharCode(97 + parseInt(ch, 26))).join('').padStart(24, 'z')}`
const block = (who: TestAccount, subject: string) => who.agent.app.bsky.graph.block.create({ repo: who.did }, { subject, createdAt: new Date().toISOString() })

beforeAll(async () => {
  pds = await startTestPds()
  ;[a, b, c, d, e] = await Promise.all(['ana', 'ben', 'cyd', 'dee', 'eve'].map((n) => pds.createAccount(n)))
  resolvePds = pdsResolver({ plcUrl: pds.plcUrl })
  // A <-> B friends; C follows A only; D <-> A mutual but A blocks D; E <-> A mutual but E blocks A.
  await Promise.all([a.agent.follow(b.did), b.agent.follow(a.did), c.agent.follow(a.did), a.agent.follow(d.did), d.agent.follow(a.did), a.agent.follow(e.did), e.agent.follow(a.did)])
  await Promise.all([block(a, d.did), block(e, a.did)])
}, 60_000)
afterAll(async () => {
  await pds?.close()
})

describe('pdsSocialGraph', () => {
  it('friends are mutual follows with no block either way', async () => {
    const graph = pdsSocialGraph({ resolvePds })
    const rels = await graph.relationships(a.did, [b.did, c.did, d.did, e.did])
    expect(rels.get(b.did)).toEqual({ following: true, followedBy: true, blocking: false, blockedBy: false })
    expect(rels.get(c.did)).toEqual({ following: false, followedBy: true, blocking: false, blockedBy: false })
    expect(rels.get(d.did)).toEqual({ following: true, followedBy: true, blocking: true, blockedBy: false })
    expect(rels.get(e.did)).toEqual({ following: true, followedBy: true, blocking: false, blockedBy: true })
    expect([...rels].filter(([, r]) => areFriends(r)).map(([did]) => did)).toEqual([b.did])
    expect(await friendsOf(graph, a.did)).toEqual([b.did])
    // The other way round: C sees A as someone it follows who does not follow back.
    expect((await graph.relationships(c.did, [a.did])).get(a.did)).toEqual({ following: true, followedBy: false, blocking: false, blockedBy: false })
    // An account with no PDS (an unknown did:plc) follows no one.
    expect(areFriends((await graph.relationships(a.did, ['did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'])).get('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'))).toBe(false)
  })

  it('a repo is read across pages, up to maxRecords', async () => {
    const f = await pds.createAccount('fan')
    const fakes = Array.from({ length: 150 }, (_, i) => fakeDid(i))
    await f.agent.com.atproto.repo.applyWrites({
      repo: f.did,
      writes: [...fakes, a.did].map((subject) => ({ $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.graph.follow', value: { $type: 'app.bsky.graph.follow', subject, createdAt: new Date().toISOString() } })),
    })
    expect((await pdsSocialGraph({ resolvePds }).follows(f.did)).length).toBe(151)
    expect((await pdsSocialGraph({ resolvePds, maxRecords: 120 }).follows(f.did)).length).toBe(120)
  })

  it('a repo is cached for the TTL (a new block shows once it expires), and the cache is bounded', async () => {
    let now = 1_000_000
    const graph = pdsSocialGraph({ resolvePds, cacheTtlMs: 60_000, cacheMaxEntries: 3, now: () => now })
    const g = await pds.createAccount('gus')
    await Promise.all([g.agent.follow(b.did), b.agent.follow(g.did)])
    expect(areFriends((await graph.relationships(g.did, [b.did])).get(b.did))).toBe(true)
    await block(b, g.did)
    expect(areFriends((await graph.relationships(g.did, [b.did])).get(b.did))).toBe(true) // cached
    now += 60_001
    expect((await graph.relationships(g.did, [b.did])).get(b.did)).toMatchObject({ blockedBy: true })
    await graph.relationships(a.did, [b.did, c.did, d.did, e.did])
    expect(graph.cacheSize).toBe(3)
  })

  it('a PDS that cannot answer is SOCIAL_GRAPH_UNAVAILABLE, never "no friends", and is not remembered', async () => {
    let up = false
    const proxy = await new Promise<Server>((resolve) => {
      const s = createServer(async (req, res) => {
        if (!up) return void res.writeHead(503).end()
        const r = await fetch(new URL(req.url!, pds.pdsUrl))
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text())
      })
      s.listen(0, '127.0.0.1', () => resolve(s))
    })
    try {
      const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      const graph = pdsSocialGraph({ resolvePds: async () => via })
      await expect(graph.relationships(a.did, [b.did])).rejects.toMatchObject({ code: 'SOCIAL_GRAPH_UNAVAILABLE' })
      up = true
      expect(areFriends((await graph.relationships(a.did, [b.did])).get(b.did))).toBe(true)
      const gone = pdsSocialGraph({ resolvePds: async () => { throw new Error('PLC down') } })
      await expect(gone.follows(a.did)).rejects.toMatchObject({ code: 'SOCIAL_GRAPH_UNAVAILABLE' })
    } finally {
      proxy.close()
    }
  })
})

describe('appViewSocialGraph', () => {
  it('answers as the repos do, through getRelationships / getFollows (answers valid for their lexicons)', async () => {
    const truth: SocialGraph = pdsSocialGraph({ resolvePds })
    const uri = (did: string, col: string) => `at://${did}/${col}/3kxyzabcdef22`
    // A stand-in AppView over the real repos: what the real one answers, in the lexicon's shape.
    const appview = await new Promise<Server>((resolve) => {
      const s = createServer(async (req, res) => {
        const url = new URL(req.url!, 'http://x')
        const actor = url.searchParams.get('actor')!
        let body: unknown
        if (url.pathname === '/xrpc/app.bsky.graph.getRelationships') {
          const others = url.searchParams.getAll('others')
          expect(others.length).toBeLessThanOrEqual(30)
          const rels = await truth.relationships(actor, others)
          body = {
            actor,
            relationships: others.map((did) => {
              const r = rels.get(did)!
              return { $type: 'app.bsky.graph.defs#relationship', did, ...(r.following ? { following: uri(actor, 'app.bsky.graph.follow') } : {}), ...(r.followedBy ? { followedBy: uri(did, 'app.bsky.graph.follow') } : {}), ...(r.blocking ? { blocking: uri(actor, 'app.bsky.graph.block') } : {}), ...(r.blockedBy ? { blockedBy: uri(did, 'app.bsky.graph.block') } : {}) }
            }),
          }
          lexicons.assertValidXrpcOutput('app.bsky.graph.getRelationships', body)
        } else {
          const follows = await truth.follows(actor)
          body = { subject: { did: actor, handle: 'x.test' }, follows: follows.map((did) => ({ did, handle: 'y.test' })) }
          lexicons.assertValidXrpcOutput('app.bsky.graph.getFollows', body)
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      })
      s.listen(0, '127.0.0.1', () => resolve(s))
    })
    try {
      const graph = appViewSocialGraph({ url: `http://127.0.0.1:${(appview.address() as AddressInfo).port}` })
      const others = [b.did, c.did, d.did, e.did, ...Array.from({ length: 40 }, (_, i) => fakeDid(i))]
      expect(await graph.relationships(a.did, others)).toEqual(await truth.relationships(a.did, others))
      expect(await friendsOf(graph, a.did)).toEqual([b.did])
    } finally {
      appview.close()
    }
  })
})
