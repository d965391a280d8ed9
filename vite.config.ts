import { defineConfig } from 'vitest/config'

// One config for the demo dev server (root: demo/), and vitest (test/).
export default defineConfig({
  root: 'demo',
  server: { host: '127.0.0.1' },
  test: {
    root: '.',
    // Unit, integration and browser (test/e2e, Playwright + Chromium) tests; `npm test` makes sure Chromium exists.
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
