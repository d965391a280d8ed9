// Browser-test plumbing, shared by the browser tests and the bench ("webrtc" group): Debian's Chromium through
// playwright-core, a Vite dev server for test pages, and a relay that can be stopped and started again.
import { chromium, type Browser } from 'playwright-core'
import { createServer, type ViteDevServer } from 'vite'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRelay, rotateRelayKey, type Relay, type RelayOptions } from '../../src/relay/index.js'
// @ts-expect-error plain .mjs helper shared with scripts/test.mjs
import { chromiumPath } from '../../scripts/chromium-path.mjs'

const repo = fileURLToPath(new URL('../..', import.meta.url))

/** Chromium with the flags this sandbox needs (no background networking to hosts it cannot reach). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = (chromiumPath as () => string | null)()
  if (!executablePath) throw new Error('no Chromium found: run `npm test`, which installs it, or set CHROMIUM_PATH')
  return chromium.launch({
    executablePath,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}

export interface PageServer {
  /** Base URL, always http://127.0.0.1:<port>/ (never localhost: ATProto loopback OAuth requires the IP). */
  url: string
  close(): Promise<void>
}

/** Serves `root` (relative to the repo) with Vite, resolving `bitecs-multiuser` to the sources. */
export async function startPageServer(root = 'test/e2e/pages'): Promise<PageServer> {
  const server: ViteDevServer = await createServer({
    configFile: false,
    root: `${repo}/${root}`,
    logLevel: 'error',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, hmr: false, fs: { allow: [repo] } },
    resolve: { alias: [{ find: /^bitecs-multiuser$/, replacement: `${repo}/src/index.ts` }, { find: /^bitecs-multiuser\/wire$/, replacement: `${repo}/src/protocol/protobuf-wire.ts` }] },
    optimizeDeps: { include: ['peerjs', 'bitecs'] },
  })
  await server.listen()
  const { port } = server.httpServer!.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() }
}

export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/**
 * A relay on a random loopback port, with a data directory of its own, that can be stopped and started again on
 * the same port: its signing key persists in the data directory (created on the first start), as a real one's does.
 */
export interface TestRelay {
  readonly url: string
  readonly relay: Relay
  /** Stops it (peers' relay sockets drop). */
  stop(): Promise<void>
  /**
   * Starts it again: same port, same data directory (so the same signing key: tickets and resume tokens stay
   * valid), empty rooms. `rotateKey`: a new key first, as `relay rotate-key` makes (the old one kept for resumes).
   */
  start(opts?: { rotateKey?: boolean }): Promise<void>
  /** Stops it for good and removes its data directory. */
  close(): Promise<void>
}

export async function startTestRelay(options: RelayOptions = {}): Promise<TestRelay> {
  const dataDir = await mkdtemp(join(tmpdir(), 'e2e-relay-'))
  const make = (port: number) => createRelay({ auth: 'off', logger: pino({ level: 'silent' }), iceServers: [], dataDir, ...options, port })
  let relay = make(0)
  await relay.listen()
  const port = relay.address.port
  let running = true
  const test: TestRelay = {
    get url() {
      return relay.url
    },
    get relay() {
      return relay
    },
    async stop() {
      if (running) await relay.close()
      running = false
    },
    async start(opts = {}) {
      if (running) return
      if (opts.rotateKey) await rotateRelayKey(dataDir)
      relay = make(port)
      await relay.listen()
      running = true
    },
    async close() {
      await test.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
  return test
}
