// One relay, Chromium and page server per browser test file (a file of its own: the bench imports
// test/helpers/browser.ts outside vitest).
import { afterAll, beforeAll } from 'vitest'
import type { Browser } from 'playwright-core'
import type { RelayOptions } from '../../src/relay/index.js'
import { launchChromium, startPageServer, startTestRelay, type PageServer, type TestRelay } from '../helpers/browser.js'

/** A relay, Chromium and the test pages' server for one test file: started before its tests, stopped after them. */
export interface PageFixture {
  relay: TestRelay
  browser: Browser
  pages: PageServer
}

export interface PageFixtureOptions {
  /** The relay's options (default: `auth: 'off'`), read when the fixture starts, after the file's earlier beforeAll hooks. */
  relay?: () => RelayOptions
  /** Starts the page server (default: the test pages of test/e2e/pages). */
  pages?: () => Promise<PageServer>
}

/** Registers the file's beforeAll/afterAll; the fields are set once beforeAll has run. */
export function usePageFixture(options: PageFixtureOptions = {}): PageFixture {
  const env = {} as PageFixture
  beforeAll(async () => {
    ;[env.relay, env.browser, env.pages] = await Promise.all([startTestRelay(options.relay?.()), launchChromium(), (options.pages ?? startPageServer)()])
  }, 60_000)
  afterAll(async () => {
    await env.browser?.close()
    await env.pages?.close()
    await env.relay?.close()
  })
  return env
}
