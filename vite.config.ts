import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

// One config for the demo dev server (root: demo/), and vitest (test/).
export default defineConfig({
  root: 'demo',
  server: { host: '127.0.0.1' },
  // The packages import themselves by name (generated/ schema modules import 'bitecs-multiuser'): in this repository
  // the names resolve to the TypeScript sources.
  resolve: {
    alias: [
      { find: /^bitecs-multiuser$/, replacement: src('index.ts') },
      { find: /^bitecs-multiuser\/(babylon|atproto|social)$/, replacement: src('$1/index.ts') },
      { find: /^bitecs-multiuser\/wire$/, replacement: src('protocol/protobuf-wire.ts') },
      { find: /^@bitecs-multiuser\/(relay|codegen)$/, replacement: src('$1/index.ts') },
    ],
  },
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
