/**
 * Group "webrtc": round trip of a 64-byte message between two Chromium pages on this machine, on each channel of
 * our PeerJS transport (through the relay, tickets verified) and on a raw RTCPeerConnection with the same two
 * channel kinds (signalled by hand between the same two pages), measured alternately in the same run. The
 * difference is what our transport adds (framing, dispatch, heartbeat bookkeeping).
 */
import type { Page } from 'playwright-core'
import { pino } from 'pino'
import { createRelay } from '../../src/relay/index.js'
import { launchChromium, startPageServer, until } from '../../test/helpers/browser.js'
import { mdTable, percentile, round, textTable } from '../stats.js'
import type { BenchGroup } from './types.js'

type Channel = 'reliable' | 'unreliable'
interface Rtt {
  p50: number
  p99: number
  samples: number
}
export interface WebrtcResult {
  ours: Record<Channel, Rtt>
  raw: Record<Channel, Rtt>
  /** p50 of ours minus p50 of raw, ms. */
  addedMs: Record<Channel, number>
  messageBytes: number
}

const CHANNELS: Channel[] = ['reliable', 'unreliable']

export const webrtcGroup: BenchGroup<WebrtcResult> = {
  name: 'webrtc',
  title: 'round trip between two Chromium pages: our transport vs a raw data channel',
  inQuick: true,
  async run({ quick, log }) {
    const relay = createRelay({ auth: 'off', logger: pino({ level: 'silent' }), iceServers: [] })
    await relay.listen()
    const [browser, pages] = await Promise.all([launchChromium(), startPageServer()])
    try {
      const open = async (): Promise<Page> => {
        const p = await browser.newPage()
        await p.goto(`${pages.url}transport.html`)
        await p.waitForFunction(() => '__t' in window)
        return p
      }
      const [a, b] = await Promise.all([open(), open()])
      const join = (p: Page) => p.evaluate((url) => (window as any).__t.join(url, 'bench', { iceServers: [] }), relay.url) as Promise<{ id: string }>
      await join(a)
      const idb = (await join(b)).id
      await until(async () => (await a.evaluate(() => (window as any).__t.peers().length)) === 1, 15_000, 'link up')
      const offer = await a.evaluate(() => (window as any).__t.rawOffer())
      const answer = await b.evaluate((o) => (window as any).__t.rawAnswer(o), offer)
      await a.evaluate((ans) => (window as any).__t.rawAccept(ans), answer)

      const rounds = quick ? 2 : 10
      const perRound = quick ? 50 : 100
      const samples = { ours: { reliable: [] as number[], unreliable: [] as number[] }, raw: { reliable: [] as number[], unreliable: [] as number[] } }
      for (let r = 0; r < rounds; r++) {
        for (const ch of CHANNELS) {
          samples.ours[ch].push(...((await a.evaluate(([id, c, n]) => (window as any).__t.rtt(id, c, n), [idb, ch, perRound] as const)) as number[]))
          samples.raw[ch].push(...((await a.evaluate(([c, n]) => (window as any).__t.rawRtt(c, n), [ch, perRound] as const)) as number[]))
        }
      }
      const stat = (xs: number[]): Rtt => ({ p50: round(percentile(xs, 0.5), 3), p99: round(percentile(xs, 0.99), 3), samples: xs.length })
      const result: WebrtcResult = {
        ours: { reliable: stat(samples.ours.reliable), unreliable: stat(samples.ours.unreliable) },
        raw: { reliable: stat(samples.raw.reliable), unreliable: stat(samples.raw.unreliable) },
        addedMs: { reliable: 0, unreliable: 0 },
        messageBytes: 64,
      }
      for (const ch of CHANNELS) result.addedMs[ch] = round(result.ours[ch].p50 - result.raw[ch].p50, 3)
      log(`rtt p50 ours ${result.ours.reliable.p50}/${result.ours.unreliable.p50} ms, raw ${result.raw.reliable.p50}/${result.raw.unreliable.p50} ms (reliable/unreliable)`)
      return {
        result,
        ratios: {
          webrtc_rtt_p50_ours_vs_raw_reliable: round(result.ours.reliable.p50 / result.raw.reliable.p50, 3),
          webrtc_rtt_p50_ours_vs_raw_unreliable: round(result.ours.unreliable.p50 / result.raw.unreliable.p50, 3),
        },
      }
    } finally {
      await browser.close()
      await pages.close()
      await relay.close()
    }
  },
  table(r) {
    return textTable(
      ['path', 'channel', 'p50 ms', 'p99 ms', 'samples'],
      (['ours', 'raw'] as const).flatMap((who) => CHANNELS.map((ch) => [who, ch, r[who][ch].p50, r[who][ch].p99, r[who][ch].samples])),
    )
  },
  markdown(r) {
    const rows = (['ours', 'raw'] as const).flatMap((who) => CHANNELS.map((ch) => [who === 'ours' ? 'our transport' : 'raw RTCDataChannel', ch, r[who][ch].p50, r[who][ch].p99, r[who][ch].samples]))
    return (
      `Round trip of a ${r.messageBytes}-byte message between two headless Chromium pages on this machine (loopback, ` +
      `host candidates), alternating our transport and a raw data channel of the same kind, 100 round trips at a time.\n\n` +
      mdTable(['path', 'channel', 'p50 ms', 'p99 ms', 'samples'], rows, ['l', 'l', 'r', 'r', 'r']) +
      `\n\nAdded by our transport at p50: ${r.addedMs.reliable} ms (reliable), ${r.addedMs.unreliable} ms (unreliable).\n`
    )
  },
}
