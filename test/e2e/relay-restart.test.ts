// A relay restart under live pages must not split the room: two Chromium pages play, the relay restarts (its key
// from its data directory; the second time a rotated key, so every page must fetch the new DID document past its
// HTTP cache to check the newcomer's ticket), and a newcomer joins at once: within 5 s everyone sees everyone and
// every entity, under the same peer ids as before, and nobody saw anyone leave.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { until } from '../helpers/browser.js'
import { usePageFixture } from './page-fixture.js'

const env = usePageFixture()

type G = {
  start(url: string, room: string): Promise<string>
  spawn(x: number, z: number): number
  move(dx: number, dz: number): void
  state(): { owner: string | null; origin: string; n: number; x: number; z: number }[]
  peers(): { id: string }[]
  left(): string[]
  status(): string
}
const g = <R>(p: Page, f: (g: G, arg: any) => R, arg?: unknown) => p.evaluate(([src, a]) => new Function('g', 'a', `return (${src})(g, a)`)((window as any).__g, a), [f.toString(), arg] as const) as Promise<Awaited<R>>

async function openPage(): Promise<Page> {
  const page = await env.browser.newPage()
  page.on('pageerror', (e) => console.error('[page error]', e.message))
  await page.goto(`${env.pages.url}game.html`)
  await page.waitForFunction(() => '__g' in window)
  return page
}

/** Every page sees `n - 1` peers and the same `n` entities, one per page. */
async function everyoneSeesEveryone(pages: Page[], ms: number, what: string): Promise<void> {
  await until(async () => {
    const states = await Promise.all(pages.map((p) => g(p, (g) => ({ entities: g.state(), peers: g.peers().length }))))
    return states.every((s) => s.peers === pages.length - 1 && s.entities.length === pages.length && JSON.stringify(s.entities) === JSON.stringify(states[0].entities))
  }, ms, what)
}

describe('relay restart under live pages', () => {
  it('two pages playing, the relay restarted (same key, then a rotated one), a newcomer each time: all see each other and every entity within 5 s', { timeout: 120_000 }, async () => {
    const room = 'restart'
    const [a, b, c, d] = await Promise.all([openPage(), openPage(), openPage(), openPage()])
    const join = async (p: Page, x: number) => {
      const id = await g(p, (g, a) => g.start(a[0], a[1]), [env.relay.url, room])
      await g(p, (g, x) => g.spawn(x, 0), x)
      return id
    }
    const ids = [await join(a, 1), await join(b, 2)]
    await everyoneSeesEveryone([a, b], 20_000, 'a and b play')

    for (const [round, newcomer, rotateKey] of [[1, c, false], [2, d, true]] as const) {
      const playing = [a, b, c, d].slice(0, round + 1)
      await env.relay.stop()
      await g(a, (g) => g.move(0.5, 0)) // the game goes on while the relay is down
      await env.relay.start({ rotateKey })
      const joinedAt = Date.now()
      ids.push(await join(newcomer, 2 + round))
      await everyoneSeesEveryone([...playing, newcomer], 5_000, `round ${round}: the newcomer and the players see each other within 5 s of its join`)
      console.log(`[e2e] relay restart ${round} (${rotateKey ? 'rotated key' : 'same key'}): ${playing.length + 1} pages saw each other and every entity ${Date.now() - joinedAt} ms after the newcomer joined`)
      for (const p of playing) expect(await g(p, (g) => g.status())).toBe('joined')
    }
    // The same peer ids throughout (resumed), and nobody saw anyone leave.
    const owners = new Set((await g(a, (g) => g.state())).map((e) => e.owner))
    expect(owners).toEqual(new Set(ids))
    for (const p of [a, b, c, d]) expect(await g(p, (g) => g.left())).toEqual([])
    await Promise.all([a, b, c, d].map((p) => p.close()))
  })
})
