// The demo's lobby screen in real Chromium pages against a real relay: a page opened without `#room=` shows the
// room list with player counts, "Create room" takes its creator into the new room, another page sees it listed and
// joins from the list (with its password), "Quick play" on two pages puts both in one matchmade room, and a
// `#room=` link still goes straight into the game.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { until } from '../helpers/browser.js'
import { usePageFixture } from './page-fixture.js'
import { failedResponses, openDemo, screenshot, startDemoServer, state } from './demo-harness.js'

const env = usePageFixture({ relay: () => ({ auth: 'optional' }), pages: startDemoServer })
let query: string
beforeAll(() => {
  query = `relay=${encodeURIComponent(env.relay.url)}&scale=2`
})

/** Opens the demo on its lobby screen (no fragment). */
async function openLobby(browser: Browser, name: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 800, height: 500 } })
  const failed: string[] = []
  failedResponses.set(page, failed)
  page.on('pageerror', (e) => console.error(`[${name} page error]`, e.message))
  await page.goto(`${env.pages.url}?${query}`)
  await page.waitForFunction(() => '__lobby' in window, undefined, { timeout: 30_000 })
  return page
}

const roomsOf = (p: Page) => p.evaluate(() => (window as unknown as { __lobby: { rooms(): { name: string; players: number; maxPlayers: number; access: string }[] } }).__lobby.rooms())
const inGame = (p: Page) => p.waitForFunction(() => '__demo' in window, undefined, { timeout: 30_000 })

describe('the demo\'s lobby', { timeout: 120_000 }, () => {
  it('lists rooms with their counts; Create room enters it; another player joins it from the list with its password', async () => {
    const a = await openLobby(env.browser, 'A')
    expect(await a.isVisible('#lobby')).toBe(true)
    expect(await a.isVisible('#chat')).toBe(false)
    await a.fill('#create-name', 'den')
    await a.fill('#create-max', '4')
    await a.fill('#create-password', 'swordfish')
    await a.click('#create button[type=submit]')
    await inGame(a)
    expect(new URL(a.url()).hash).toBe('#room=den')
    await until(async () => (await state(a)).status === 'joined', 30_000, 'A joined den')
    expect((await state(a)).room).toBe('den')

    const b = await openLobby(env.browser, 'B')
    await until(async () => (await roomsOf(b)).some((r) => r.name === 'den' && r.players === 1), 15_000, 'den listed with 1 player')
    expect((await roomsOf(b)).find((r) => r.name === 'den')).toMatchObject({ maxPlayers: 4, access: 'password' })
    expect(await b.textContent('#rooms tr[data-room="den"] td.count')).toBe('1 / 4')
    await screenshot(b, 'demo-lobby')
    b.once('dialog', (d) => void d.accept('swordfish'))
    await b.click('#rooms tr[data-room="den"] button')
    await inGame(b)
    await until(async () => (await state(a)).peers.length === 1 && (await state(b)).peers.length === 1, 30_000, 'A and B meet in den')

    const c = await openLobby(env.browser, 'C')
    await until(async () => (await roomsOf(c)).find((r) => r.name === 'den')?.players === 2, 15_000, 'den listed with 2 players')
    await Promise.all([a.close(), b.close(), c.close()])
  })

  it('Quick play on two pages puts both in one matchmade room; a #room= link still goes straight into the game', async () => {
    const [a, b] = await Promise.all([openLobby(env.browser, 'A'), openLobby(env.browser, 'B')])
    await a.click('#quick')
    await until(async () => (await a.textContent('#quick-status'))?.includes('looking') === true, 5_000, 'A waiting')
    await b.click('#quick')
    await Promise.all([inGame(a), inGame(b)])
    const room = new URL(a.url()).hash
    expect(room).toMatch(/^#room=m-[0-9a-f]{32}$/)
    expect(new URL(b.url()).hash).toBe(room)
    await until(async () => (await state(a)).peers.length === 1 && (await state(b)).peers.length === 1, 30_000, 'the match meets')
    // The matchmade room is the session's: a link to it is not enough (no session ticket).
    const c = await openDemo(env.browser, env.pages.url, room.slice('#room='.length), query, 'C')
    await until(async () => /ROOM_INVITE_REQUIRED|session/.test((await c.evaluate(() => (window as unknown as { __demo: { error(): string | null } }).__demo.error())) ?? ''), 30_000, 'C refused')
    // An ordinary link: straight into the game, no lobby.
    const d = await openDemo(env.browser, env.pages.url, 'plain', query, 'D')
    await until(async () => (await state(d)).status === 'joined', 30_000, 'D joined by link')
    expect(await d.isVisible('#lobby')).toBe(false)
    await Promise.all([a.close(), b.close(), c.close(), d.close()])
  })
})
