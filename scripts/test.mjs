#!/usr/bin/env node
// `npm test`: every test, including the browser tests in real Chromium. Never skips them silently:
// where no Chromium is found it installs Debian's `chromium` with apt (as Playwright's --with-deps does)
// when running as root, or stops with a message saying how to get one.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chromiumPath } from './chromium-path.mjs'

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  console.error(`npm test needs Node >= 22 (this is ${process.version}). On a machine whose system Node is older, run\n  . scripts/ensure-node.sh\nfirst (it provides Node 22 from the npm registry), then npm test again.`)
  process.exit(1)
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  return r.status ?? 1
}

if (!chromiumPath()) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.error('npm test: no Chromium found for the browser tests; installing Debian\'s chromium with apt-get')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    if (run('apt-get', ['update', '-q'], { env }) !== 0 || run('apt-get', ['install', '-y', '-q', 'chromium'], { env }) !== 0) {
      console.error('npm test: apt-get could not install chromium')
      process.exit(1)
    }
  }
  if (!chromiumPath()) {
    console.error('npm test: the browser tests need Chromium and none was found.\n' +
      '  Debian/Ubuntu: sudo apt-get install -y chromium   (or set CHROMIUM_PATH=/path/to/chrome)\n' +
      'The browser tests are part of the suite and are not skipped.')
    process.exit(1)
  }
}

process.exit(run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)]))
