// The demo against a headless host (README "Demo": `npm run host`, pages on `#room=arena&host=1`): the host in this
// process (node-datachannel, as the CLI runs it) spawns each page's avatar and circles the crates; each page finds
// its avatar, walks it with the keys (predicted at once), and the other page sees it move.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import hostGame from '../../demo/host-game.js'
import { startHost, type StartedHost } from '../../src/host/start-host.js'
import { until } from '../helpers/browser.js'
import { usePageFixture } from './page-fixture.js'
import { openDemo, startDemoServer, state, type DemoState } from './demo-harness.js'

const env = usePageFixture({ relay: () => ({ auth: 'optional' }), pages: startDemoServer })
let host: StartedHost
let query: string
beforeAll(async () => {
  query = `relay=${encodeURIComponent(env.relay.url)}&scale=2`
  host = await startHost({ game: hostGame, relay: env.relay.url, room: 'arena' })
}, 60_000)
afterAll(() => host?.stop())

const mine = (s: DemoState): DemoState['avatars'][number] | undefined => s.avatars.find((a) => a.mine)

describe('demo against a headless host', () => {
  it('two pages: avatars spawned by the host, each walks its own (predicted), the other sees it; the host circles the crates', async () => {
    const a = await openDemo(env.browser, env.pages.url, 'arena&host=1', query, 'A')
    const b = await openDemo(env.browser, env.pages.url, 'arena&host=1', query, 'B')
    const hostId = host.transport.self!.id
    const ready = async (p: Page): Promise<boolean> => {
      const s = await state(p)
      return s.avatars.length === 2 && s.crates.length === 4 && mine(s) !== undefined && s.peers.map((x) => x.id).join() === hostId
    }
    await until(async () => (await ready(a)) && (await ready(b)), 40_000, 'both pages with their avatar, 4 crates, the host as only peer')
    const s0 = await state(a)
    expect(s0.avatars.every((x) => x.owner === hostId && !x.local)).toBe(true)
    const start = mine(s0)!
    await a.keyboard.down('KeyW')
    try {
      await until(async () => {
        const me = mine(await state(a))!
        return Math.hypot(me.x - start.x, me.z - start.z) >= 2
      }, 15_000, 'A walking 2 m')
    } finally {
      await a.keyboard.up('KeyW')
    }
    // B's view of A's avatar settles where A draws it.
    await until(async () => {
      const me = mine(await state(a))!
      const seen = (await state(b)).avatars.find((x) => !x.mine)!
      return Math.abs(me.x - seen.x) < 0.05 && Math.abs(me.z - seen.z) < 0.05
    }, 10_000, "B's view of A to settle where A is")
    // The crates move on their own (the host's simulation).
    const c0 = (await state(b)).crates[0]
    await until(async () => {
      const c = (await state(b)).crates[0]
      return Math.hypot(c.x - c0.x, c.z - c0.z) > 0.3
    }, 10_000, 'a crate to move')
  })
})
