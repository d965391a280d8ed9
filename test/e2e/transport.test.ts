// The PeerJS transport in real Chromium pages against our relay: a truly unreliable channel, mesh, tab close,
// relay restart. Also measures the round trip of each channel against a raw RTCPeerConnection (same pages).
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { until } from '../helpers/browser.js'
import { usePageFixture } from './page-fixture.js'

const env = usePageFixture()

async function openPage(): Promise<Page> {
  const page = await env.browser.newPage()
  page.on('pageerror', (e) => console.error('[page error]', e.message))
  await page.goto(`${env.pages.url}transport.html`)
  await page.waitForFunction(() => '__t' in window)
  return page
}

type Log = { errors: string[]; joined: { id: string; did: string | null }[]; left: { id: string; reason: string; at: number }[]; messages: { from: string; channel: string; data: number[] }[]; status: string[] }
const log = (p: Page) => p.evaluate(() => (window as unknown as { __t: { log(): Log } }).__t.log())
const join = (p: Page, room: string, extra: Record<string, number> = {}) =>
  p.evaluate(([url, r, x]) => (window as any).__t.join(url, r, { iceServers: [], peerTimeout: 2_000, heartbeatInterval: 250, reconnectDelay: 100, ...x }), [env.relay.url, room, extra] as const) as Promise<{ id: string }>

describe('peerJsTransport in Chromium', () => {
  it('meshes three pages; unreliable really is; relay restart is survived; a hung, a crashed and a closed tab are gone', { timeout: 90_000 }, async () => {
    const [a, b, c] = await Promise.all([openPage(), openPage(), openPage()])
    const ida = (await join(a, 'r')).id
    const idb = (await join(b, 'r')).id
    const idc = (await join(c, 'r')).id
    await until(async () => (await log(a)).joined.length === 2 && (await log(b)).joined.length === 2 && (await log(c)).joined.length === 2, 15_000, 'mesh')

    // Channel parameters read back on both sides of a link.
    const infoA = await a.evaluate((id) => (window as any).__t.linkInfo(id), idb)
    const infoB = await b.evaluate((id) => (window as any).__t.linkInfo(id), ida)
    for (const info of [infoA, infoB]) expect(info.unreliable).toMatchObject({ ordered: false, maxRetransmits: 0, negotiated: true, id: 2, readyState: 'open' })

    // Reliable messages: exactly once, in order, to everyone.
    await a.evaluate(() => {
      for (let i = 0; i < 50; i++) (window as any).__t.send('*', 'reliable', [7, i])
    })
    for (const p of [b, c]) {
      await until(async () => (await log(p)).messages.filter((m) => m.data[0] === 7).length >= 50, 10_000, 'reliable burst')
      const got = (await log(p)).messages.filter((m) => m.data[0] === 7)
      expect(got.map((m) => m.data[1])).toEqual([...Array(50).keys()])
      expect(got.every((m) => m.from === ida && m.channel === 'reliable')).toBe(true)
    }

    // Relay restart: links stay up, everyone rejoins.
    await env.relay.stop()
    await until(async () => (await log(a)).status.includes('reconnecting'), 10_000, 'reconnecting')
    await b.evaluate(() => (window as any).__t.send('*', 'reliable', [8]))
    await until(async () => (await log(a)).messages.some((m) => m.data[0] === 8), 5_000, 'P2P while relay down')
    const restartedAt = Date.now()
    await env.relay.start()
    for (const p of [a, b, c]) await until(async () => (await log(p)).status.at(-1) === 'joined', 15_000, 'rejoined')
    console.log(`[e2e] relay restart: all three pages rejoined ${Date.now() - restartedAt} ms after it came back`)
    // Same peer ids after the restart (resume): no peer seen twice, none seen leaving.
    await new Promise((r) => setTimeout(r, 1_000))
    for (const p of [a, b, c]) expect((await log(p)).left).toEqual([])
    for (const p of [a, b, c]) expect((await log(p)).joined.length).toBe(2)

    // A hung tab (its JS paused in the debugger, so no heartbeat, but its connections stay open): declared gone
    // after the peer timeout (2 s here) by the heartbeat alone.
    const cdp = await c.context().newCDPSession(c)
    await cdp.send('Debugger.enable')
    const frozenAt = Date.now()
    await cdp.send('Debugger.pause')
    await until(async () => (await log(a)).left.some((l) => l.id === idc) && (await log(b)).left.some((l) => l.id === idc), 8_000, 'silent peer declared gone')
    const silentMs = Date.now() - frozenAt
    console.log(`[e2e] frozen tab declared gone after ${silentMs} ms: ${JSON.stringify((await log(a)).left)}`)
    expect(silentMs).toBeGreaterThanOrEqual(1_500)
    expect((await log(a)).left.find((l) => l.id === idc)!.reason).toBe('timeout')
    await cdp.detach()
    await c.close()

    // A tab that crashes says nothing (no pagehide, no BYE; its data channels go silent, with no close the others
    // would see for ~30 s): the relay sees its socket drop and says PEER-LEFT; the link does not answer the probe
    // within a heartbeat interval (250 ms here): gone, well within 1.5 s, long before the peer timeout (2 s here).
    const d = await openPage()
    const idd = (await join(d, 'r')).id
    await until(async () => (await log(a)).joined.some((j) => j.id === idd) && (await log(b)).joined.some((j) => j.id === idd), 15_000, 'd linked')
    const crashedAt = Date.now()
    void (await d.context().newCDPSession(d)).send('Page.crash').catch(() => {}) // never answers: the page is gone
    for (const p of [a, b]) {
      await until(async () => (await log(p)).left.some((l) => l.id === idd), 10_000, 'crashed tab gone')
      const left = (await log(p)).left.find((l) => l.id === idd)!
      console.log(`[e2e] crashed tab gone after ${left.at - crashedAt} ms (${left.reason})`)
      expect(left.reason).toBe('left the relay, no answer on the link')
      expect(left.at - crashedAt).toBeLessThanOrEqual(1_500)
    }
    void d.close().catch(() => {})

    // A tab closing says BYE (pagehide) and closes its relay socket: the other drops it at once.
    const closedAt = Date.now()
    await b.close()
    await until(async () => (await log(a)).left.some((l) => l.id === idb), 10_000, 'leave')
    const left = (await log(a)).left.find((l) => l.id === idb)!
    console.log(`[e2e] tab close seen as a leave after ${left.at - closedAt} ms (${left.reason})`)
    expect(left.reason).toBe('left: page closed') // its BYE
    expect(left.at - closedAt).toBeLessThanOrEqual(1_500)
    await a.close()
  })

  it('backpressure: a congested unreliable channel drops its oldest; an overfull reliable queue drops the peer with SEND_QUEUE_FULL', async () => {
    const [a, b] = await Promise.all([openPage(), openPage()])
    await join(a, 'bp', { unreliableHighWater: 16 * 1024, unreliableQueueLimit: 8 * 1024, reliableQueueLimit: 512 * 1024 })
    const idb = (await join(b, 'bp')).id
    await until(async () => (await log(a)).joined.length === 1 && (await log(b)).joined.length === 1, 15_000, 'link')
    // 3 000 datagrams of 1 100 B in one go (3.3 MB): far more than the channel drains at once.
    await a.evaluate((id) => (window as any).__t.burst(id, 'unreliable', 3000, 1100), idb)
    const dropped = (await a.evaluate((id) => (window as any).__t.linkInfo(id), idb)).unreliableDropped as number
    expect(dropped).toBeGreaterThan(1000)
    // What is dropped is the oldest: the newest datagrams are the ones that go out.
    await until(async () => (await log(b)).messages.some((m) => m.data[0] === 9 && m.data[1] * 256 + m.data[2] >= 2990), 5_000, 'newest datagrams delivered')
    const seqs = (await log(b)).messages.filter((m) => m.channel === 'unreliable').map((m) => m.data[1] * 256 + m.data[2])
    console.log(`[e2e] unreliable burst: ${dropped} dropped by the sender, ${seqs.length} delivered, newest ${Math.max(...seqs)}`)
    // Reliable: a burst beyond the bounded queue cannot be dropped silently: the link goes, with a clear error.
    await a.evaluate((id) => (window as any).__t.burst(id, 'reliable', 64, 64 * 1024), idb)
    await until(async () => (await log(a)).errors.length === 1, 5_000, 'SEND_QUEUE_FULL')
    expect((await log(a)).errors[0]).toMatch(/^SEND_QUEUE_FULL: /)
    expect((await log(a)).left.map(({ id, reason }) => ({ id, reason }))).toEqual([{ id: idb, reason: 'SEND_QUEUE_FULL' }])
    await until(async () => (await log(b)).left.length === 1, 5_000, 'the other side sees it too')
    await a.close()
    await b.close()
  })

  it('round trip of 64-byte messages: our transport vs a raw data channel on the same pages', async () => {
    const [a, b] = await Promise.all([openPage(), openPage()])
    await join(a, 'rtt')
    const idb = (await join(b, 'rtt')).id
    await until(async () => (await log(a)).joined.length === 1, 15_000, 'link')
    const offer = await a.evaluate(() => (window as any).__t.rawOffer())
    const answer = await b.evaluate((o) => (window as any).__t.rawAnswer(o), offer)
    await a.evaluate((ans) => (window as any).__t.rawAccept(ans), answer)
    const n = 300
    const q = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))]
    const out: Record<string, { p50: number; p99: number; received: number }> = {}
    for (const channel of ['reliable', 'unreliable'] as const) {
      const ours = (await a.evaluate(([id, ch, k]) => (window as any).__t.rtt(id, ch, k), [idb, channel, n] as const)) as number[]
      const raw = (await a.evaluate(([ch, k]) => (window as any).__t.rawRtt(ch, k), [channel, n] as const)) as number[]
      out[`ours_${channel}`] = { p50: q(ours, 0.5), p99: q(ours, 0.99), received: ours.length }
      out[`raw_${channel}`] = { p50: q(raw, 0.5), p99: q(raw, 0.99), received: raw.length }
      expect(ours.length).toBeGreaterThan(n * 0.9)
    }
    console.log('[e2e] rtt ms', JSON.stringify(out))
    await a.close()
    await b.close()
  })
})
