// "Sign in with Bluesky" end to end, offline: a real PDS + PLC in process (test/helpers/pds.ts), the relay pointed at
// that PLC, the demo served from http://127.0.0.1:<port>/. Playwright types the handle in the demo, signs in on the
// PDS's own OAuth pages (password, then consent), and the demo comes back, mints a service-auth token from the
// OAuth session and joins. The other (anonymous) page shows the signed-in player's verified handle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CachingHandleVerifier } from '../../src/relay/index.js'
import { signInThroughPds, startTestPds, type TestAccount, type TestPds } from '../helpers/pds.js'
import { until } from '../helpers/browser.js'
import { usePageFixture } from './page-fixture.js'
import { openDemo, screenshot, startDemoServer, state } from './demo-harness.js'

let pds: TestPds
let alice: TestAccount

beforeAll(async () => {
  pds = await startTestPds()
  alice = await pds.createAccount('alice')
}, 60_000)
afterAll(async () => {
  await pds?.close()
})
// Started after the PDS (the relay points at its PLC), stopped before it.
const env = usePageFixture({
  relay: () => ({
    auth: 'optional',
    // A DID without a port (the packed-package test signs in to one with a port, did:web:localhost%3A<port>): the
    // least-privilege scope must parse on the PDS for both.
    serviceDid: 'did:web:relay.example',
    plcUrl: pds.plcUrl,
    allowPrivateDidHosts: true,
    // alice.test resolves through the local PDS only.
    handleVerifier: new CachingHandleVerifier((h) => pds.resolveHandle(h), { ttlMs: 60_000, maxEntries: 100 }),
  }),
  pages: startDemoServer,
})

describe('demo sign-in', () => {
  it('signs in through the PDS OAuth pages; the handle appears on the other page', async () => {
    const q = `relay=${encodeURIComponent(env.relay.url)}&pds=${encodeURIComponent(pds.pdsUrl)}&plc=${encodeURIComponent(pds.plcUrl)}&scale=2`
    const b = await openDemo(env.browser, env.pages.url, 'signin', q, 'B')
    const a = await openDemo(env.browser, env.pages.url, 'signin', q, 'A')
    await until(async () => (await state(b)).avatars.length === 2, 30_000, 'two guests')

    // In the demo: type the handle, "Sign in with Bluesky" → the PDS's sign-in and consent pages → back.
    await signInThroughPds(a, alice, pds.pdsUrl, env.pages.url)

    // Back in the demo, signed in: same room, joined with a service-auth token, the relay verified DID and handle.
    await a.waitForFunction(() => '__demo' in window, undefined, { timeout: 30_000 })
    await until(async () => (await state(a)).did === alice.did, 30_000, 'A joined as alice')
    const sa = await state(a)
    expect(sa.name).toBe('alice.test')
    expect(sa.room).toBe('signin')

    // The other page: alice's avatar, labelled with her verified handle; her DID verified peer to peer.
    await until(async () => {
      const s = await state(b)
      return s.avatars.some((x) => x.owner === sa.self && x.name === 'alice.test' && x.did === alice.did) && s.peers.some((p) => p.did === alice.did)
    }, 30_000, "alice's handle on B")
    // alice's first (anonymous) avatar is gone: she left and re-joined signed in.
    await until(async () => (await state(b)).avatars.length === 2, 20_000, 'two avatars on B')
    await screenshot(a, 'demo-signin-a')
    await screenshot(b, 'demo-signin-b')
    await a.close()
    await b.close()
  }, 120_000)
})
