// TURN: the relay hands each player short-lived credentials for a real coturn (Debian's, on loopback, with the
// `use-auth-secret` scheme), and two Chromium pages forced to `iceTransportPolicy: 'relay'` connect through it only:
// both channels open and carry data, every selected candidate pair is relay ↔ relay, and coturn saw the allocations
// under the players' peer ids. With a secret coturn does not share, relay-only pages cannot connect at all.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { until } from '../helpers/browser.js'
import { freePort } from '../helpers/pds.js'
import { startTestRelay, type TestRelay } from '../helpers/browser.js'
import { turnserverPath } from '../helpers/turn.js'
import { usePageFixture } from './page-fixture.js'

const SECRET = 'turn-secret-of-this-test'
let turnPort = 0
let coturn: ChildProcess
let coturnLog = ''
let dir = ''

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coturn-'))
  turnPort = await freePort()
  const relayPorts = 20_000 + Math.floor(Math.random() * 20_000)
  coturn = spawn(turnserverPath(), [
    '-n', '--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1', '--listening-port', String(turnPort),
    '--min-port', String(relayPorts), '--max-port', String(relayPorts + 200),
    '--use-auth-secret', '--static-auth-secret', SECRET, '--realm', 'bitecs.test',
    '--no-tls', '--no-dtls', '--no-cli', '--allow-loopback-peers', '--log-file', 'stdout', '--simple-log', '--verbose',
    '--pidfile', join(dir, 'turnserver.pid'), '--db', join(dir, 'turndb'),
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  coturn.stdout!.on('data', (d: Buffer) => (coturnLog += d.toString()))
  coturn.stderr!.on('data', (d: Buffer) => (coturnLog += d.toString()))
  await until(() => /Total General servers/.test(coturnLog), 10_000, 'coturn listening')
})
afterAll(async () => {
  coturn?.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

const env = usePageFixture({ relay: () => ({ turnUrls: [`turn:127.0.0.1:${turnPort}?transport=udp`], turnSecret: SECRET }) })

async function openPage(): Promise<Page> {
  const page = await env.browser.newPage()
  page.on('pageerror', (e) => console.error('[page error]', e.message))
  await page.goto(`${env.pages.url}transport.html`)
  await page.waitForFunction(() => '__t' in window)
  return page
}
type Log = { joined: { id: string }[]; unreachable: string[]; messages: { from: string; channel: string; data: number[] }[] }
const log = (p: Page) => p.evaluate(() => (window as unknown as { __t: { log(): Log } }).__t.log())
// No `iceServers` override: the pages use what the join answer hands out (here only the TURN server).
const enter = (p: Page, relayUrl: string, room: string) =>
  p.evaluate(([url, r]) => (window as any).__t.join(url, r, { iceTransportPolicy: 'relay', peerTimeout: 4_000, heartbeatInterval: 250, connectTimeout: 5_000 }), [relayUrl, room] as const) as Promise<{ id: string }>

describe('TURN through coturn', () => {
  it('relay-only pages connect through TURN with the credentials the join answer carries; both channels work', async () => {
    const [a, b] = await Promise.all([openPage(), openPage()])
    const ida = (await enter(a, env.relay.url, 'turn')).id
    const idb = (await enter(b, env.relay.url, 'turn')).id
    await until(async () => (await log(a)).joined.length === 1 && (await log(b)).joined.length === 1, 20_000, 'linked through TURN')
    await a.evaluate((id) => {
      ;(window as any).__t.send(id, 'reliable', [1, 2, 3])
      ;(window as any).__t.send(id, 'unreliable', [4, 5, 6])
    }, idb)
    await until(async () => (await log(b)).messages.filter((m) => m.from === ida).length === 2, 10_000, 'both channels carried data')
    expect((await log(b)).messages.map((m) => `${m.channel}:${m.data.join(',')}`).sort()).toEqual(['reliable:1,2,3', 'unreliable:4,5,6'])
    for (const p of [a, b]) {
      const pairs = (await p.evaluate(() => (window as any).__t.selectedCandidates())) as string[][]
      expect(pairs.length).toBeGreaterThan(0)
      for (const pair of pairs) expect(pair).toEqual(['relay', 'relay'])
    }
    // coturn authenticated both players by the usernames the relay minted: `<expiry>:<peer id>`.
    for (const id of [ida, idb]) expect(coturnLog).toContain(`:${id}`)
    await a.close()
    await b.close()
  })

  it('credentials minted with another secret get nobody through a relay-only link', async () => {
    let wrong: TestRelay | undefined
    try {
      wrong = await startTestRelay({ turnUrls: [`turn:127.0.0.1:${turnPort}?transport=udp`], turnSecret: 'not-the-secret' })
      const [a, b] = await Promise.all([openPage(), openPage()])
      await enter(a, wrong.url, 'wrong')
      await enter(b, wrong.url, 'wrong')
      await until(async () => (await log(a)).unreachable.length + (await log(b)).unreachable.length > 0, 20_000, 'a link given up')
      expect((await log(a)).joined).toEqual([])
      expect((await log(b)).joined).toEqual([])
      await a.close()
      await b.close()
    } finally {
      await wrong?.close()
    }
  })
})
