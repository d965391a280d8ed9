// The replication core over the PeerJS transport in three Chromium pages: state converges, events arrive exactly
// once, a late joiner catches up, a relay restart does not stop the game, a closed tab's entities despawn.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { until } from '../helpers/browser.js'
import { usePageFixture } from './page-fixture.js'

const env = usePageFixture()

type G = {
  start(url: string, room: string): Promise<string>
  spawn(x: number, z: number): number
  move(dx: number, dz: number): void
  chat(text: string): void
  state(): { owner: string | null; origin: string; n: number; x: number; z: number }[]
  chats(): { text: string; from: string }[]
  left(): string[]
  status(): string
}
const g = <R>(p: Page, f: (g: G, arg: any) => R, arg?: unknown) => p.evaluate(([src, a]) => new Function('g', 'a', `return (${src})(g, a)`)((window as any).__g, a), [f.toString(), arg] as const) as Promise<Awaited<R>>

async function openGame(room: string): Promise<{ page: Page; id: string }> {
  const page = await env.browser.newPage()
  page.on('pageerror', (e) => console.error('[page error]', e.message))
  await page.goto(`${env.pages.url}game.html`)
  await page.waitForFunction(() => '__g' in window)
  const id = await g(page, (g, a) => g.start(a[0], a[1]), [env.relay.url, room])
  return { page, id }
}

const sameState = async (ps: Page[]) => {
  const states = await Promise.all(ps.map((p) => g(p, (g) => g.state())))
  return states.every((s) => JSON.stringify(s) === JSON.stringify(states[0])) ? states[0] : null
}

describe('replication in Chromium over WebRTC', () => {
  it('three pages converge, chat exactly once, late joiner, relay restart, tab close', { timeout: 90_000 }, async () => {
    const a = await openGame('game')
    const b = await openGame('game')
    for (const [p, x] of [[a, 1], [b, 2]] as const) await g(p.page, (g, x) => g.spawn(x, 0), x)
    for (let i = 0; i < 20; i++) {
      await g(a.page, (g) => g.move(0.25, 0.1))
      await g(b.page, (g) => g.move(-0.1, 0.3))
      await new Promise((r) => setTimeout(r, 30))
    }
    await until(async () => (await sameState([a.page, b.page]))?.length === 2, 20_000, 'a and b converge')
    const s = (await sameState([a.page, b.page]))!
    expect(s.find((e) => e.owner === a.id)).toMatchObject({ x: 6, z: 2 })
    expect(s.find((e) => e.owner === b.id)).toMatchObject({ x: 0, z: 6 })

    // Late joiner receives the full state.
    const c = await openGame('game')
    await g(c.page, (g) => g.spawn(-3, -3))
    await until(async () => (await sameState([a.page, b.page, c.page]))?.length === 3, 20_000, 'late joiner converges')

    // Chat: exactly once, everyone.
    for (let i = 0; i < 10; i++) await g(b.page, (g, i) => g.chat(`m${i}`), i)
    for (const p of [a, c]) {
      await until(async () => (await g(p.page, (g) => g.chats())).length >= 10, 10_000, 'chat')
      expect((await g(p.page, (g) => g.chats())).map((m) => m.text)).toEqual([...Array(10).keys()].map((i) => `m${i}`))
    }

    // Relay restart mid-game: movement keeps replicating, peers rejoin.
    await env.relay.stop()
    await g(a.page, (g) => g.move(1, 1))
    await until(async () => (await sameState([a.page, b.page, c.page]))?.find((e) => e.owner === a.id)?.x === 7, 10_000, 'moves while relay is down')
    await env.relay.start()
    for (const p of [a, b, c]) await until(async () => (await g(p.page, (g) => g.status())) === 'joined', 15_000, 'rejoin')
    await g(c.page, (g) => g.move(0, 2))
    await until(async () => (await sameState([a.page, b.page, c.page]))?.find((e) => e.owner === c.id)?.z === -1, 10_000, 'moves after restart')
    for (const p of [a, b, c]) expect(await g(p.page, (g) => g.left())).toEqual([])

    // A tab closes: its entity despawns on the others.
    await a.page.close()
    await until(async () => (await sameState([b.page, c.page]))?.length === 2, 10_000, 'despawn after tab close')
    expect((await sameState([b.page, c.page]))!.some((e) => e.owner === a.id)).toBe(false)
    await b.page.close()
    await c.page.close()
  })
})
