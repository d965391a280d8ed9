// Shared by the demo's browser tests: serve demo/ exactly as `npm start` does (the repo's vite.config.ts), open
// pages on a room with `?relay=`, and read the page's debug handle.
import { createServer, type ViteDevServer } from 'vite'
import { fileURLToPath } from 'node:url'
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'

const repo = fileURLToPath(new URL('../..', import.meta.url))
export const shots = `${repo}/test-results`

export interface DemoServer {
  url: string
  close(): Promise<void>
}

export async function startDemoServer(): Promise<DemoServer> {
  const server: ViteDevServer = await createServer({
    configFile: `${repo}/vite.config.ts`,
    root: `${repo}/demo`,
    logLevel: 'error',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, hmr: false, fs: { allow: [repo] } },
  })
  await server.listen()
  const { port } = server.httpServer!.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() }
}

export interface DemoState {
  self: string | null
  admittedAt: number | null
  name: string
  did: string | null
  room: string
  status: string
  /** `mine`: this page's own avatar (host mode: the host owns it, so `local` is false). */
  avatars: { owner: string | null; name: string; declaredName: string; did: string | null; local: boolean; mine: boolean; x: number; y: number; z: number }[]
  crates: { index: number; owner: string | null; origin: string | null; color: number; carried: boolean; x: number; y: number; z: number }[]
  chat: { from: string; text: string }[]
  peers: { id: string; name: string; did: string | null; rtt: number; loss: number; admittedAt: number | null }[]
  departures: { id: string; at: number }[]
  /** Signed-in pages: the friends panel's view (null for guests). */
  friends: {
    status: string
    online: { did: string; handle: string | null; room: string | null; joinable: boolean }[]
    invites: { from: string; handle: string | null; room: string }[]
    sessions: { did: string; room: string; relay: string }[]
  } | null
}

/** Responses with an error status each page got (a missing favicon.ico included). */
export const failedResponses = new WeakMap<Page, string[]>()

export const state = (p: Page): Promise<DemoState> => p.evaluate(() => (window as unknown as { __demo: { state(): DemoState } }).__demo.state())
export const demo = <R>(p: Page, fn: string, ...args: unknown[]): Promise<R> =>
  p.evaluate(([f, a]) => (window as unknown as Record<string, Record<string, (...x: unknown[]) => R>>).__demo[f as string](...(a as unknown[])), [fn, args] as const)

/** Opens the demo on `room` (`before` runs first, e.g. to route its requests); resolves once the debug handle exists. */
export async function openDemo(browser: Browser, base: string, room: string, query = '', name = 'page', before?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 800, height: 500 } })
  await before?.(page)
  const failed: string[] = []
  failedResponses.set(page, failed)
  page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${new URL(r.url()).pathname}`))
  page.on('pageerror', (e) => console.error(`[${name} page error]`, e.message))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|favicon/.test(m.text())) console.error(`[${name} console]`, m.text())
  })
  await page.goto(`${base}?${query}#room=${room}`)
  await page.waitForFunction(() => '__demo' in window, undefined, { timeout: 30_000 })
  return page
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(shots, { recursive: true })
  const path = `${shots}/${name}.png`
  await page.screenshot({ path })
  return path
}
