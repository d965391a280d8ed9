// One relay, Chromium and test-page server per browser test file (a file of its own: the bench imports harness.ts
// outside vitest).
import { afterAll, beforeAll } from 'vitest'
import type { Browser } from 'playwright-core'
import { launchChromium, startPageServer, startTestRelay, type PageServer, type TestRelay } from './harness.js'

/** A relay, Chromium and the test pages' server for one test file: started before its tests, stopped after them. */
export interface PageFixture {
  relay: TestRelay
  browser: Browser
  pages: PageServer
}

/** Registers the file's beforeAll/afterAll; the fields are set once beforeAll has run. */
export function usePageFixture(): PageFixture {
  const env = {} as PageFixture
  beforeAll(async () => {
    ;[env.relay, env.browser, env.pages] = await Promise.all([startTestRelay(), launchChromium(), startPageServer()])
  }, 60_000)
  afterAll(async () => {
    await env.browser?.close()
    await env.pages?.close()
    await env.relay?.close()
  })
  return env
}
