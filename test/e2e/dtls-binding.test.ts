// Tickets bound to the DTLS certificate, in real Chromium: a ticket presented over another DTLS connection is refused.
// The attack: the victim's join answer is stolen (e.g. read off a relay reached over plain http); the attacker opens
// the PeerJS socket with it (so the relay routes its signals under the victim's peer id) and dials an honest player
// with the victim's ticket, over a connection of its own certificate. Bound, the ticket names the victim's
// certificate and the honest player refuses the link; unbound (a join that sent no fingerprint), the same attack
// passes the attacker off as the victim's DID: the binding is what stops it.
import { P256Keypair } from '@atproto/crypto'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import type { JoinAnswer } from '../../src/signaling/contract.js'
import { until } from '../helpers/browser.js'
import { mintToken } from '../relay/gate-attacks.js'
import { startDidWebHost } from '../relay/didweb-server.js'
import { asJoin, postJoin } from '../relay/helpers.js'
import { usePageFixture } from './page-fixture.js'

const env = usePageFixture({ relay: () => ({ auth: 'optional', allowPrivateDidHosts: true, verifyHandles: false }) })

type Log = { joined: { id: string; did: string | null; fingerprint: string | null }[]; unreachableWhy: string[]; errors: string[] }
const log = (p: Page) => p.evaluate(() => (window as unknown as { __t: { log(): Log } }).__t.log())
async function openPage(): Promise<Page> {
  const page = await env.browser.newPage()
  page.on('pageerror', (e) => console.error('[page error]', e.message))
  await page.goto(`${env.pages.url}transport.html`)
  await page.waitForFunction(() => '__t' in window)
  return page
}
const join = (p: Page, room: string, answer?: JoinAnswer) =>
  p.evaluate(([url, r, a]) => (window as any).__t.join(url, r, { iceServers: [], heartbeatInterval: 250, connectTimeout: 5_000, ...(a ? { answer: a } : {}) }), [env.relay.url, room, answer] as const) as Promise<{ id: string }>

describe('tickets bound to the DTLS certificate', () => {
  it('honest peers bind and check; a ticket presented over another DTLS connection is refused (and, unbound, would pass)', { timeout: 90_000 }, async () => {
    const key = await P256Keypair.create()
    const victimHost = await startDidWebHost(key)
    const [honest, other, attacker, victimPage] = await Promise.all([openPage(), openPage(), openPage(), openPage()])
    try {
      // Honest pages: each ticket carries the page's certificate fingerprint, and each side sees the other's.
      await join(honest, 'vault')
      const o = await join(other, 'vault')
      await until(async () => (await log(honest)).joined.length === 1 && (await log(other)).joined.length === 1, 15_000, 'honest link')
      const seenByHonest = (await log(honest)).joined[0]
      expect(seenByHonest.id).toBe(o.id)
      expect(seenByHonest.fingerprint).toMatch(/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
      expect((await log(other)).joined[0].fingerprint).toMatch(/^sha-256 /)
      expect(seenByHonest.fingerprint).not.toBe((await log(other)).joined[0].fingerprint)
      await other.close()

      // The victim signs in and joins with the fingerprint of its own certificate (made in its browser, key inside).
      const fingerprint = await victimPage.evaluate(() => (window as any).__t.fingerprint()) as string
      const stolen = (withFingerprint: boolean) => async (): Promise<JoinAnswer> =>
        asJoin(await postJoin(env.relay.url, 'vault', { token: await mintToken(key, victimHost.did, env.relay.relay), body: withFingerprint ? { fingerprint } : {} }))
      const bound = await stolen(true)()
      expect(bound.fingerprint).toBe(fingerprint)

      // The attacker uses the stolen answer: its socket is the victim's peer id, its certificate its own.
      await join(attacker, 'vault', bound)
      await until(async () => (await log(honest)).unreachableWhy.some((w) => w.startsWith(bound.peerId)), 15_000, 'the attacker refused')
      const why = (await log(honest)).unreachableWhy.find((w) => w.startsWith(bound.peerId))!
      console.log(`[e2e] stolen bound ticket: ${why}`)
      expect(why).toContain('TICKET_FINGERPRINT_MISMATCH')
      expect((await log(honest)).joined.map((j) => j.did)).not.toContain(victimHost.did)
      await attacker.evaluate(() => (window as any).__t.close())

      // Control: the same attack with a ticket that binds no certificate succeeds: the honest page takes the
      // attacker for the victim's DID.
      const unbound = await stolen(false)()
      expect(unbound.fingerprint).toBeUndefined()
      await join(attacker, 'vault', unbound)
      await until(async () => (await log(honest)).joined.some((j) => j.id === unbound.peerId), 15_000, 'the unbound ticket accepted')
      expect((await log(honest)).joined.find((j) => j.id === unbound.peerId)).toMatchObject({ did: victimHost.did, fingerprint: null })
    } finally {
      await victimHost.close()
      for (const p of [honest, attacker, victimPage]) await p.close()
    }
  })
})
