// The demo's friends panel and invite toast, end to end, offline: a real PDS + PLC (test/helpers/pds.ts), two
// players who follow each other signed in through the PDS's own OAuth pages with the social scope (which the PDS
// must grant: the social stream's tokens and the session record writes are refused otherwise). A sees B online, in
// B's room (from the relay) and B's session (from B's PDS); A invites B; B's toast; B clicks Join and plays in A's
// room; "appear offline" hides A from B.
import { readFileSync } from 'node:fs'
import { Lexicons, type LexiconDoc } from '@atproto/lexicon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CachingHandleVerifier } from '../../src/relay/index.js'
import { SESSION_COLLECTION } from '../../src/signaling/social-contract.js'
import { atprotoRelayScope } from '../../src/atproto/scope.js'
import { repo } from '../helpers/source-graph.js'
import { signInThroughPds, startTestPds, type TestAccount, type TestPds } from '../helpers/pds.js'
import { until } from '../helpers/browser.js'
import { usePageFixture } from './page-fixture.js'
import { openDemo, screenshot, startDemoServer, state } from './demo-harness.js'

let pds: TestPds
let ann: TestAccount, bea: TestAccount

beforeAll(async () => {
  pds = await startTestPds()
  ;[ann, bea] = await Promise.all([pds.createAccount('ann'), pds.createAccount('bea')])
  await Promise.all([ann.agent.follow(bea.did), bea.agent.follow(ann.did)])
}, 60_000)
afterAll(async () => {
  await pds?.close()
})
const env = usePageFixture({
  relay: () => ({
    auth: 'optional',
    plcUrl: pds.plcUrl,
    allowPrivateDidHosts: true,
    handleVerifier: new CachingHandleVerifier((h) => pds.resolveHandle(h), { ttlMs: 60_000, maxEntries: 100 }),
  }),
  pages: startDemoServer,
})

describe('demo friends', () => {
  it('friends panel: B online in its room; Invite; B\'s toast; Join: B plays in A\'s room; appear offline hides A', async () => {
    console.log(`[friends] scope asked for: ${atprotoRelayScope(env.relay.relay.did, { social: true })}`)
    const q = `relay=${encodeURIComponent(env.relay.url)}&pds=${encodeURIComponent(pds.pdsUrl)}&plc=${encodeURIComponent(pds.plcUrl)}&scale=2`
    const a = await openDemo(env.browser, env.pages.url, 'ann-room', q, 'A')
    const b = await openDemo(env.browser, env.pages.url, 'bea-room', q, 'B')
    const errors: string[] = []
    for (const p of [a, b]) p.on('pageerror', (e) => errors.push(e.message))
    for (const [p, who] of [[a, ann], [b, bea]] as const) {
      await signInThroughPds(p, who, pds.pdsUrl, env.pages.url)
      await p.waitForFunction(() => '__demo' in window, undefined, { timeout: 30_000 })
    }
    for (const [p, who] of [[a, ann], [b, bea]] as const) await until(async () => (await state(p)).did === who.did && (await state(p)).friends?.status === 'online', 30_000, `${who.handle} signed in, social stream online`)

    // B's session record in B's repo: written through B's OAuth session (the repo: scope), valid for our lexicon.
    const lex = new Lexicons([JSON.parse(readFileSync(`${repo}/lexicons/dev/bitecs/multiuser/session.json`, 'utf8')) as LexiconDoc])
    await until(async () => (await bea.agent.com.atproto.repo.listRecords({ repo: bea.did, collection: SESSION_COLLECTION })).data.records.some((r) => (r.value as { room?: string }).room === 'bea-room'), 20_000, "B's session record")
    for (const r of (await bea.agent.com.atproto.repo.listRecords({ repo: bea.did, collection: SESSION_COLLECTION })).data.records) lex.assertValidRecord(SESSION_COLLECTION, r.value)

    // A's panel: B, online, in B's room, with Invite and Join.
    await a.click('#friends summary')
    const row = a.locator(`#friends-list li[data-did="${bea.did}"]`)
    await row.getByText('in bea-room').waitFor({ timeout: 30_000 })
    expect(await row.locator('b').textContent()).toBe('bea.test')
    expect(await row.locator('button').allTextContents()).toEqual(['Invite', 'Join'])
    expect((await state(a)).friends!.online).toEqual([{ did: bea.did, handle: 'bea.test', room: 'bea-room', joinable: true }])
    await screenshot(a, 'demo-friends-panel')

    // Invite: B's toast names A and A's room; Join takes B there.
    await row.locator('button.invite').click()
    const toast = b.locator('#invite-toast')
    await toast.waitFor({ state: 'visible', timeout: 15_000 })
    expect(await b.locator('#invite-text').textContent()).toBe('ann.test invites you to room ann-room')
    await screenshot(b, 'demo-friends-invite')
    await b.click('#invite-join')
    await b.waitForFunction(() => location.hash === '#room=ann-room', undefined, { timeout: 15_000 })
    await b.waitForFunction(() => '__demo' in window, undefined, { timeout: 30_000 })
    await until(async () => {
      const [sa, sb] = [await state(a), await state(b)]
      return sb.room === 'ann-room' && sb.did === bea.did && sb.avatars.some((x) => x.did === ann.did) && sa.avatars.some((x) => x.did === bea.did && x.name === 'bea.test')
    }, 30_000, 'B plays in A\'s room, both see each other')
    // A's panel follows: B is here now (no Invite, no Join).
    await a.locator(`#friends-list li[data-did="${bea.did}"]`).getByText('is here').waitFor({ timeout: 15_000 })
    await screenshot(b, 'demo-friends-joined')

    // Appear offline: A leaves B's panel (and the room is still shared: appearing offline hides presence only).
    await until(async () => (await state(b)).friends?.online.some((f) => f.did === ann.did) ?? false, 15_000, 'B sees A')
    await a.check('#appear-offline')
    await until(async () => !(await state(b)).friends!.online.some((f) => f.did === ann.did), 15_000, 'A hidden from B')
    expect((await state(b)).avatars.some((x) => x.did === ann.did)).toBe(true)
    expect(errors).toEqual([])
    await a.close()
    await b.close()
  }, 180_000)
})
