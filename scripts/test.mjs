#!/usr/bin/env node
// `npm test`: every test, including the browser tests in real Chromium and the TURN test against a real coturn. Never
// skips them silently: where one is missing it installs Debian's package with apt (as Playwright's --with-deps does)
// when running as root, or stops with a message saying how to get it.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chromiumPath } from './chromium-path.mjs'
import { redisServerPath } from './redis-server-path.mjs'
import { turnserverPath } from './turnserver-path.mjs'

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  console.error(`npm test needs Node >= 22 (this is ${process.version}). On a machine whose system Node is older, run\n  . scripts/ensure-node.sh\nfirst (it provides Node 22 from the npm registry), then npm test again.`)
  process.exit(1)
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  return r.status ?? 1
}

// What the tests need from the system, found or installed the way Playwright's --with-deps would (Debian packages,
// with apt when root), never skipped: the browser tests run Chromium, the TURN test a real coturn, the scale-out tests a real Redis.
const NEEDS = [
  { what: 'Chromium (browser tests)', apt: 'chromium', find: chromiumPath, hint: 'or set CHROMIUM_PATH=/path/to/chrome' },
  { what: 'coturn (the TURN test)', apt: 'coturn', find: turnserverPath, hint: 'or set TURNSERVER_PATH=/path/to/turnserver' },
  { what: 'Redis (the scale-out tests)', apt: 'redis-server', find: redisServerPath, hint: 'or set REDIS_SERVER_PATH=/path/to/redis-server' },
]
const missing = NEEDS.filter((n) => !n.find())
if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.error(`npm test: installing Debian's ${missing.map((n) => n.apt).join(', ')} with apt-get (for ${missing.map((n) => n.what).join(', ')})`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    if (run('apt-get', ['update', '-q'], { env }) !== 0 || run('apt-get', ['install', '-y', '-q', ...missing.map((n) => n.apt)], { env }) !== 0) {
      console.error('npm test: apt-get could not install them')
      process.exit(1)
    }
  }
  for (const n of NEEDS.filter((x) => !x.find())) {
    console.error(`npm test: the tests need ${n.what} and none was found.\n  Debian/Ubuntu: sudo apt-get install -y ${n.apt}   (${n.hint})\nThose tests are part of the suite and are not skipped.`)
  }
  if (NEEDS.some((x) => !x.find())) process.exit(1)
}

process.exit(run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)]))
