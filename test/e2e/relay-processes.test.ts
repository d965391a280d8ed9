// Chromium pages playing through three relay processes (the CLI) on one real Redis behind a round-robin balancer: the
// pages' sockets land on both processes, so their signals cross processes; the busiest process is killed with
// SIGKILL mid-game: within 5 s every page is joined again on the survivors under the same peer id, nobody saw anyone
// leave, every page sees every entity, and a newcomer meets everyone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, startPageServer, until, type PageServer } from '../helpers/browser.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'
import { relayGroup, socketsOf, type RelayGroup } from '../helpers/relay-group.js'

let browser: Browser
let pages: PageServer
let redis: TestRedis
let group: RelayGroup
beforeAll(async () => {
  ;[browser, pages, redis] = await Promise.all([launchChromium(), startPageServer(), startRedis()])
  group = await relayGroup(3, redis.url)
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await pages?.close()
  await group?.close()
  await redis?.stop()
})

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
  const page = await browser.newPage()
  page.on('pageerror', (e) => console.error('[page error]', e.message))
  await page.goto(`${pages.url}game.html`)
  await page.waitForFunction(() => '__g' in window)
  return page
}

async function everyoneSeesEveryone(all: Page[], ms: number, what: string): Promise<void> {
  await until(async () => {
    const states = await Promise.all(all.map((p) => g(p, (g) => ({ entities: g.state(), peers: g.peers().length, status: g.status() }))))
    return states.every((s) => s.status === 'joined' && s.peers === all.length - 1 && s.entities.length === all.length && JSON.stringify(s.entities) === JSON.stringify(states[0].entities))
  }, ms, what)
}

describe('Chromium pages through three relay processes on one Redis', () => {
  it('a process killed mid-game: its pages resume on the others within 5 s, same ids, nobody left, a newcomer meets everyone', { timeout: 120_000 }, async () => {
    const [a, b, c, d] = await Promise.all([openPage(), openPage(), openPage(), openPage()])
    const ids: string[] = []
    for (const [i, p] of [a, b, c].entries()) {
      ids.push(await g(p, (g, a) => g.start(a[0], a[1]), [group.url, 'procs']))
      await g(p, (g, x) => g.spawn(x, 0), i + 1)
    }
    await everyoneSeesEveryone([a, b, c], 30_000, 'three pages play')
    const counts = await Promise.all(group.processes.map(socketsOf))
    expect(counts.filter((n) => n > 0).length, `sockets per process: ${counts}`).toBeGreaterThanOrEqual(2) // signals crossed processes
    const victim = group.processes[counts.indexOf(Math.max(...counts))]
    victim.child.kill('SIGKILL')
    await victim.exited
    const killedAt = Date.now()
    await g(a, (g) => g.move(0.5, 0)) // the game goes on
    const survivors = group.processes.filter((p) => p !== victim)
    await until(async () => (await Promise.all(survivors.map(socketsOf))).reduce((x, y) => x + y, 0) === 3, 5_000, 'the three sockets on the survivors')
    await everyoneSeesEveryone([a, b, c], Math.max(0, 5_000 - (Date.now() - killedAt)), 'the pages of the killed process back within 5 s')
    console.log(`[e2e] relay process killed: 3 pages on the survivors, joined and in sync ${Date.now() - killedAt} ms later`)
    ids.push(await g(d, (g, a) => g.start(a[0], a[1]), [group.url, 'procs']))
    await g(d, (g) => g.spawn(4, 0))
    await everyoneSeesEveryone([a, b, c, d], 20_000, 'the newcomer meets everyone')
    expect(new Set((await g(a, (g) => g.state())).map((e) => e.owner))).toEqual(new Set(ids))
    for (const p of [a, b, c, d]) expect(await g(p, (g) => g.left())).toEqual([])
    await Promise.all([a, b, c, d].map((p) => p.close()))
  })
})
