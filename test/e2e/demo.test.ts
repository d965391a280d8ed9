// The demo in real Chromium pages against a real relay (in-process, random port), served by Vite as `npm start`
// does. What a player sees is read through the page's debug handle `window.__demo.state()`, whose positions are
// the Babylon nodes' (so this also proves the binding in a browser). Screenshots go to test-results/.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { pino } from 'pino'
import { createRelay } from '../../src/relay/index.js'
import { createWorld } from 'bitecs'
import { createNetwork, peerJsTransport, relayClient } from '../../src/index.js'
import { createGameSchema } from '../../generated/game/schema.js'
import { loadNodePeer } from '../helpers/node-webrtc.js'
import { until } from '../helpers/browser.js'
import { usePageFixture } from './page-fixture.js'
import { demo, failedResponses, openDemo, screenshot, startDemoServer, state, type DemoState } from './demo-harness.js'

// scale=2: half-resolution rendering; software WebGL on a small loaded machine is the bottleneck here.
const env = usePageFixture({ relay: () => ({ auth: 'optional' }), pages: startDemoServer })
let query: string
beforeAll(() => {
  query = `relay=${encodeURIComponent(env.relay.url)}&scale=2`
})

const avatarOf = (s: DemoState, owner: string | null) => s.avatars.find((a) => a.owner === owner)
const near = (a: number, b: number, eps: number) => Math.abs(a - b) <= eps

/** Every page sees `n` avatars, 4 crates and `n - 1` peers. */
async function converged(pages: Page[], n: number): Promise<void> {
  await until(async () => {
    for (const p of pages) {
      const s = await state(p)
      if (s.avatars.length !== n || s.crates.length !== 4 || s.peers.length !== n - 1) return false
    }
    return true
  }, 30_000, `${pages.length} pages converged on ${n} avatars and 4 crates`)
}

/** Holds a key in `page` until its own avatar moved by at least `distance`. */
async function walk(page: Page, key: string, distance: number): Promise<void> {
  const s0 = await state(page)
  const start = avatarOf(s0, s0.self)!
  await page.keyboard.down(key)
  try {
    await until(async () => {
      const me = avatarOf(await state(page), s0.self)!
      return Math.hypot(me.x - start.x, me.z - start.z) >= distance
    }, 15_000, `walking ${distance} m with ${key}`)
  } finally {
    await page.keyboard.up(key)
  }
}

describe('demo in Chromium', () => {
  it('two players: moving in A moves A in B (keys → delta → interpolated node), HUD shows the link', async () => {
    const a = await openDemo(env.browser, env.pages.url, 'duo', query, 'A')
    const b = await openDemo(env.browser, env.pages.url, 'duo', query, 'B')
    await converged([a, b], 2)
    const ida = (await state(a)).self!

    await walk(a, 'KeyW', 2.5)
    await walk(a, 'KeyD', 1.5)
    // B's copy of A's avatar comes to rest where A's own is (quantization 2 mm; interpolation delay 100 ms).
    await until(async () => {
      const mine = avatarOf(await state(a), ida)!
      const seen = avatarOf(await state(b), ida)!
      return near(mine.x, seen.x, 0.01) && near(mine.z, seen.z, 0.01)
    }, 10_000, "B's view of A to settle where A is")
    const mine = avatarOf(await state(a), ida)!
    const seen = avatarOf(await state(b), ida)!
    expect(seen.local).toBe(false)
    expect(mine.local).toBe(true)
    expect(seen.name).toBe(mine.name)
    expect(seen.name).toMatch(/^guest-/)

    // The HUD reads the network's own numbers.
    await until(async () => /rtt +[\d.]+ ms/.test((await demo<string>(b, 'hud')) ?? ''), 5_000, 'HUD with a peer RTT')
    const hud = await demo<string>(b, 'hud')
    expect(hud).toMatch(/unreliable +[\d.]+ +[\d.]+/)
    expect(hud).toMatch(/entities \d+ own \/ \d+ remote/)
    console.log(`[demo] HUD of B:\n${hud}`)

    // Network conditions panel: 150 ms each way on A's traffic shows in B's RTT, and B's view of A still settles, through
    // a 128 kbit/s bottleneck too (A's send budget to B follows it: the HUD shows it).
    const rttBefore = (await state(b)).peers[0].rtt
    console.log(`[demo] RTT B→A on loopback: ${rttBefore.toFixed(1)} ms`)
    await demo(a, 'setConditions', { latency: 150, jitter: 20, loss: 0.2, bandwidth: 16_000 })
    // The panel's sliders show conditions set from code, not only their own.
    const sliders = (p: Page) => p.evaluate(() => ['loss', 'latency', 'jitter', 'bandwidth'].map((k) => [(document.querySelector(`#c-${k}`) as HTMLInputElement).value, document.querySelector(`#c-${k}`)!.nextElementSibling!.textContent]))
    await until(async () => JSON.stringify(await sliders(a)) === JSON.stringify([['20', '20 %'], ['150', '150 ms'], ['20', '20 ms'], ['128', '128 kbit/s']]), 5_000, 'sliders show setConditions')
    expect(await demo<string>(a, 'hud')).toMatch(/budget +[\d.]+ kbit\/s/)
    await until(async () => (await state(b)).peers[0].rtt > rttBefore + 200, 15_000, 'RTT grows by ~2 × latency')
    await walk(a, 'KeyS', 1.5)
    await until(async () => {
      const m = avatarOf(await state(a), ida)!
      const v = avatarOf(await state(b), ida)!
      return near(m.x, v.x, 0.01) && near(m.z, v.z, 0.01)
    }, 15_000, "B's view of A settles under 20 % loss and 150 ms latency")
    console.log(`[demo] HUD of B with 150 ms ± 20 ms latency and 20 % loss on A:\n${await demo<string>(b, 'hud')}`)
    await demo(a, 'setConditions', {})
    await until(async () => JSON.stringify(await sliders(a)) === JSON.stringify([['0', '0 %'], ['0', '0 ms'], ['0', '0 ms'], ['0', '∞']]), 5_000, 'sliders back at 0')

    // Enter opens the chat; what is typed there never drives the game (w a s d walk, e grabs, 1 emotes); Enter sends.
    const crate = (await state(a)).crates[0]
    const me0 = avatarOf(await state(a), ida)!
    await demo(a, 'move', crate.x - me0.x, crate.z - 1.2 - me0.z) // next to crate 0: E would grab it
    await until(async () => near(avatarOf(await state(a), ida)!.z, crate.z - 1.2, 0.01), 5_000, 'A next to crate 0')
    const before = avatarOf(await state(a), ida)!
    await a.keyboard.press('Enter')
    expect(await a.evaluate(() => document.activeElement?.id)).toBe('chat-input')
    await a.keyboard.type('wasd e 1 www', { delay: 30 })
    await a.keyboard.down('KeyW') // held in the text box
    await new Promise((r) => setTimeout(r, 300))
    await a.keyboard.up('KeyW')
    const typed = await state(a)
    expect(avatarOf(typed, ida)).toMatchObject({ x: before.x, z: before.z })
    expect(typed.crates[0].carried).toBe(false)
    await a.keyboard.press('Enter')
    expect(await a.evaluate(() => document.activeElement?.id)).not.toBe('chat-input')
    await until(async () => (await state(b)).chat.some((l) => l.text === 'wasd e 1 wwww'), 10_000, 'the typed line reaches B')
    await a.keyboard.press('KeyE') // out of the chat box, E grabs again
    await until(async () => (await state(a)).crates[0].carried, 5_000, 'E grabs outside the chat box')
    await demo(a, 'drop')
    await screenshot(a, 'demo-two-a')
    await screenshot(b, 'demo-two-b')
    await a.close()
    await b.close()
  }, 90_000)

  it('three players: chat reaches everyone, a crate grabbed in C changes owner everywhere and is carried, closing A removes A', async () => {
    const a = await openDemo(env.browser, env.pages.url, 'trio', query, 'A')
    const b = await openDemo(env.browser, env.pages.url, 'trio', query, 'B')
    const c = await openDemo(env.browser, env.pages.url, 'trio', query, 'C')
    const pages = [a, b, c]
    await converged(pages, 3)
    const [ida, idb, idc] = await Promise.all(pages.map(async (p) => (await state(p)).self!))

    // Chat: a .proto event on the reliable channel.
    await demo(b, 'chat', 'hello from B')
    for (const p of [a, c]) await until(async () => (await state(p)).chat.some((l) => l.text === 'hello from B'), 10_000, 'chat line')
    for (const p of [a, c]) expect((await state(p)).chat.find((l) => l.text === 'hello from B')!.from).toBe((await state(b)).name)

    // Grab crate 0 in C: ownership transfer, carried, seen by all.
    expect(await demo<boolean>(c, 'grab', 0)).toBe(true)
    for (const p of pages) {
      await until(async () => {
        const crate = (await state(p)).crates[0]
        return crate.owner === idc && crate.carried
      }, 10_000, 'crate 0 owned and carried by C everywhere')
    }
    // Carry it: it follows C in A's view.
    await walk(c, 'KeyS', 2)
    await until(async () => {
      const sc = await state(c)
      const sa = await state(a)
      return near(sa.crates[0].x, sc.crates[0].x, 0.02) && near(sa.crates[0].z, sc.crates[0].z, 0.02) && sa.crates[0].y > 1
    }, 10_000, "the carried crate in A's view follows C")
    await demo(c, 'drop')
    await until(async () => !(await state(a)).crates[0].carried && near((await state(a)).crates[0].y, 0.5, 0.01), 10_000, 'dropped')

    // Recolor crate 1 from B (RELIABLE component).
    const before = (await state(a)).crates[1].color
    expect(await demo<boolean>(b, 'recolor', 1)).toBe(true)
    for (const p of [a, c]) await until(async () => (await state(p)).crates[1].color !== before && (await state(p)).crates[1].owner === idb, 10_000, 'recolored')

    for (const [p, n] of [[a, 'a'], [b, 'b'], [c, 'c']] as const) await screenshot(p, `demo-three-${n}`)

    // A closes its tab: its avatar goes at once (BYE), well within 1.5 s; the crates it owned stay (persistent,
    // migrated to the heir: B, admitted before C, whatever the pages' clocks read).
    const ofA = (await state(b)).crates.map((k, i) => (k.owner === ida ? i : -1)).filter((i) => i >= 0)
    expect(ofA.length).toBeGreaterThan(0)
    const closedAt = Date.now()
    await a.close()
    for (const p of [b, c]) {
      await until(async () => {
        const s = await state(p)
        return !s.avatars.some((x) => x.owner === ida) && s.avatars.length === 2 && s.crates.length === 4 && ofA.every((i) => s.crates[i].owner === idb)
      }, 20_000, "A's avatar removed, its crates inherited by B")
      const gone = (await state(p)).departures.find((d) => d.id === ida)!
      console.log(`[demo] closed tab's avatar gone ${gone.at - closedAt} ms after the close`)
      expect(gone.at - closedAt).toBeLessThanOrEqual(1_500)
    }
    expect((await state(b)).peers.map((p) => p.id)).toEqual([idc])
    await b.close()
    await c.close()
  }, 120_000)

  it('relay down and token refused show readable errors; retry recovers', async () => {
    // Relay down: nothing listens on this port yet.
    const down = createRelay({ auth: 'optional', logger: pino({ level: 'silent' }), iceServers: [] })
    await down.listen()
    const port = down.address.port
    await down.close()
    const url = `http://127.0.0.1:${port}/`
    const p = await openDemo(env.browser, env.pages.url, 'err', `relay=${encodeURIComponent(url)}&scale=2`, 'E')
    await until(async () => (await demo<string | null>(p, 'error'))?.includes(`Cannot reach the relay at ${url}; retrying`) === true, 15_000, 'relay-down message with its URL')
    await screenshot(p, 'demo-error-relay-down')
    const back = createRelay({ port, auth: 'optional', logger: pino({ level: 'silent' }), iceServers: [] })
    await back.listen()
    try {
      // No click needed: the page retries by itself (the rejoin backoff) and clears the message once joined.
      await until(async () => (await state(p)).status === 'joined' && (await demo<string | null>(p, 'error')) === null, 20_000, 'joined by its own retry')
      expect((await state(p)).avatars.length).toBe(1)
    } finally {
      await p.close()
      await back.close()
    }

    // Token refused: a relay that requires ATProto sign-in, joined anonymously.
    const strict = createRelay({ auth: 'required', logger: pino({ level: 'silent' }), iceServers: [] })
    await strict.listen()
    try {
      const q = await openDemo(env.browser, env.pages.url, 'err', `relay=${encodeURIComponent(strict.url)}&scale=2`, 'T')
      await until(async () => /refused your sign-in \(AUTH_MISSING\)/.test((await demo<string | null>(q, 'error')) ?? ''), 15_000, 'token-refused message')
      await q.close()
    } finally {
      await strict.close()
    }
  }, 90_000)

  it('the room\'s first admitted player places the crates, even when a later one put its own down first', async () => {
    // A is admitted first, but its relay socket is held back: B, admitted after it, finds the room empty and puts
    // crates down. When A's socket opens, A (the first admitted) puts its own down too, and everyone keeps A's:
    // the order comes from the relay-signed tickets, not from who was quicker or whose id is smaller.
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    let admitted!: Promise<unknown>
    const a = await openDemo(env.browser, env.pages.url, 'first', query, 'A', async (page) => {
      admitted = page.waitForResponse((r) => r.url().endsWith('/v1/rooms/first/join') && r.status() === 200)
      await page.routeWebSocket(/\/peerjs\?/, async (ws) => {
        await held
        ws.connectToServer()
      })
    })
    await admitted
    const b = await openDemo(env.browser, env.pages.url, 'first', query, 'B')
    await until(async () => (await state(b)).crates.length === 4, 20_000, "B's own crates")
    const bFirst = (await state(b)).crates[0].origin
    release()
    await converged([a, b], 2)
    const [sa, sb] = [await state(a), await state(b)]
    console.log(`[demo] A admitted at ${sa.admittedAt}, B at ${sb.admittedAt}; B had put crates down first (${bFirst === sb.self}); crates kept: ${sa.crates[0].origin === sa.self ? "A's" : "B's"}`)
    expect(bFirst).toBe(sb.self)
    expect(sa.admittedAt!).toBeLessThan(sb.admittedAt!)
    await until(async () => (await state(b)).crates.every((k) => k.origin === sa.self), 10_000, "only A's crates remain")
    for (const s of [await state(a), await state(b)]) {
      expect(s.crates).toHaveLength(4)
      expect(s.crates.every((k) => k.origin === sa.self)).toBe(true)
    }
    // Both pages agree on each other's admission time (the relay's, from the tickets).
    expect(sa.peers[0].admittedAt).toBe(sb.admittedAt)
    expect(sb.peers[0].admittedAt).toBe(sa.admittedAt)
    await a.close()
    await b.close()
  }, 90_000)

  it('layout: no panel covers a crate, on a laptop, a phone upright and sideways, and a small window; no request fails, the icon loads', async () => {
    const p = await openDemo(env.browser, env.pages.url, 'layout', query, 'L')
    await until(async () => (await state(p)).crates.length === 4, 20_000, 'crates placed')
    // The view a player starts with: the avatar in the middle of where players appear, the camera behind it.
    const me = avatarOf(await state(p), (await state(p)).self)!
    await demo(p, 'move', -me.x, -3 - me.z)
    await new Promise((r) => setTimeout(r, 1_500)) // the camera follows
    for (const [width, height] of [[1280, 800], [800, 500], [390, 844], [844, 390]]) {
      await p.setViewportSize({ width, height })
      await new Promise((r) => setTimeout(r, 600)) // resize, a few frames
      const crates = await demo<{ index: number; left: number; top: number; right: number; bottom: number }[]>(p, 'crateRects')
      const panels = await p.evaluate(() =>
        ['#bar', '#hud-panel', '#conditions', '#chat', '#help', '#error'].flatMap((sel) => {
          const el = document.querySelector(sel) as HTMLElement
          if (!el || el.hidden || getComputedStyle(el).display === 'none') return []
          const r = el.getBoundingClientRect()
          return r.width && r.height ? [{ sel, left: r.left, top: r.top, right: r.right, bottom: r.bottom }] : []
        }),
      )
      expect(crates).toHaveLength(4)
      for (const c of crates) {
        // On screen, and under no panel.
        expect(c.left >= 0 && c.top >= 0 && c.right <= width && c.bottom <= height, `${width}×${height}: crate ${c.index} on screen ${JSON.stringify(c)}`).toBe(true)
        for (const q of panels) {
          const overlap = c.left < q.right && q.left < c.right && c.top < q.bottom && q.top < c.bottom
          expect(overlap, `${width}×${height}: ${q.sel} ${JSON.stringify(q)} covers crate ${c.index} ${JSON.stringify(c)}`).toBe(false)
        }
      }
      await screenshot(p, `demo-layout-${width}x${height}`)
    }
    expect(failedResponses.get(p)).toEqual([])
    // The browser asks for /favicon.ico (a 404 on a dev server) unless the page names an icon that loads.
    expect(await p.evaluate(async () => {
      const href = (document.querySelector('link[rel~="icon"]') as HTMLLinkElement | null)?.href
      return href ? (await fetch(href)).ok : false
    })).toBe(true)
    await p.close()
  }, 60_000)

  it('a peer with another schema: the page says so (schema mismatch), with a reload as the retry', async () => {
    const p = await openDemo(env.browser, env.pages.url, 'mismatch', query, 'M')
    await until(async () => (await state(p)).status === 'joined', 15_000, 'page joined')
    // A Node peer (WebRTC from node-datachannel) running another game's schema joins the same room.
    const transport = peerJsTransport({ relay: relayClient(env.relay.url), Peer: loadNodePeer(), iceServers: [] })
    const world = createWorld()
    const net = createNetwork(world, { schema: createGameSchema(64).schema, transport, maxEntities: 64 })
    const timer = setInterval(() => (net.receive(), net.flush()), 33)
    const refused: string[] = []
    net.events.on('refused', (r) => refused.push(r.code))
    try {
      await transport.join('mismatch')
      await until(async () => /different version of the game \(SCHEMA_MISMATCH/.test((await demo<string | null>(p, 'error')) ?? ''), 20_000, 'schema mismatch message')
      // The Node peer refuses the page too (each side checks the other's hello), or learns of the page's refusal.
      await until(() => refused.includes('SCHEMA_MISMATCH'), 10_000, 'the Node peer refused as well')
      expect((await state(p)).avatars.length).toBe(1) // nothing of the other game got in
      await screenshot(p, 'demo-error-schema-mismatch')
    } finally {
      clearInterval(timer)
      net.close()
      transport.close()
      await p.close()
    }
  }, 60_000)
})
