/**
 * The product as a user gets it: the three packages packed with `npm pack`, installed from the tarballs into a game
 * project outside the repository (its own package.json, dependencies from the registry), then README's "Add it to
 * your game" steps: `npx bitecs-multiuser gen`, `tsc` (strict), `vite build` (with the codegen plugin),
 * `npx bitecs-multiuser relay`, and the built game in two Chromium pages that see each other.
 *
 * Twice: with npm's default (hoisted) layout, and with `--install-strategy=linked`, where a package sees only what
 * it declares (as with pnpm), so an import of an undeclared package fails the build. The linked run also measures
 * the bundles: a guest-only game must carry no `@atproto` module.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { launchChromium, until } from '../helpers/browser.js'
import { freePort, signInThroughPds, startTestPds, type TestAccount } from '../helpers/pds.js'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const fixture = join(repo, 'test', 'package', 'fixture-game')
const temps: string[] = []
const children: ChildProcess[] = []

interface Run {
  status: number | null
  out: string
}

function run(cmd: string, args: string[], cwd: string, timeout = 180_000): Run {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false', NO_COLOR: '1' } })
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` }
}

function ok(r: Run, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.out.slice(-4000)}`)
  return r.out
}

/** The version this repository runs, so the user project installs the same one (from npm's cache when warm). */
const versionOf = (pkg: string): string => (JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version

let tarballs: { runtime: string; codegen: string; relay: string }
/** The hoisted project, built: the sign-in test plays in it too, and the broken-install test breaks it last. */
let hoisted: string
let packedFiles: Record<string, string[]>

beforeAll(() => {
  const dest = mkdtempSync(join(tmpdir(), 'bmu-pack-'))
  temps.push(dest)
  const packed = JSON.parse(ok(run('npm', ['pack', '--json', '--silent', '--workspaces', '--include-workspace-root', '--pack-destination', dest], repo), 'npm pack').replace(/^[^[]*/, '')) as { name: string; filename: string; files: { path: string }[] }[]
  packedFiles = Object.fromEntries(packed.map((p) => [p.name, p.files.map((f) => f.path).sort()]))
  const file = (name: string): string => join(dest, packed.find((p) => p.name === name)!.filename)
  tarballs = { runtime: file('bitecs-multiuser'), codegen: file('@bitecs-multiuser/codegen'), relay: file('@bitecs-multiuser/relay') }
}, 180_000)

afterAll(() => {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL')
    } catch {
      /* already gone */
    }
  }
  for (const d of temps) rmSync(d, { recursive: true, force: true })
})

/** A game project outside the repository, installed from the tarballs; README's install lines. */
function createProject(strategy: 'hoisted' | 'linked'): string {
  const dir = mkdtempSync(join(tmpdir(), `bmu-game-${strategy}-`))
  temps.push(dir)
  cpSync(fixture, dir, { recursive: true })
  const pin = (pkg: string): Record<string, string> => ({ [pkg]: versionOf(pkg) })
  // What README's install lines put in a game's package.json (the sign-in entry's optional peers included).
  const manifest = {
    name: 'arena-game', private: true, type: 'module',
    dependencies: { 'bitecs-multiuser': `file:${tarballs.runtime}`, ...pin('bitecs'), ...pin('@babylonjs/core'), ...pin('@atproto/oauth-client-browser') },
    devDependencies: { '@bitecs-multiuser/codegen': `file:${tarballs.codegen}`, '@bitecs-multiuser/relay': `file:${tarballs.relay}`, ...pin('vite'), ...pin('typescript') },
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2))
  ok(run('npm', ['install', '--no-audit', '--no-fund', `--install-strategy=${strategy}`], dir), `npm install --install-strategy=${strategy}`)
  return dir
}

/** Every import specifier of the generated files that is not relative. */
function generatedImports(dir: string): Set<string> {
  const found = new Set<string>()
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name))
      else for (const m of readFileSync(join(d, e.name), 'utf8').matchAll(/\bfrom\s+["']([^"'.][^"']*)["']/g)) found.add(m[1])
    }
  }
  walk(dir)
  return found
}

/** README's steps in the project: generate, type-check, build. */
function generateCheckBuild(dir: string): void {
  const gen = ok(run('npx', ['bitecs-multiuser', 'gen', '--proto', 'proto', '--out', 'src/generated'], dir), 'bitecs-multiuser gen')
  expect(gen).toMatch(/bitecs-multiuser gen: \d+ files/)
  expect(existsSync(join(dir, 'src', 'generated', 'arena', 'schema.ts'))).toBe(true)
  // Generated code imports only the runtime package (and its `/wire` entry for the protobuf codecs).
  expect([...generatedImports(join(dir, 'src', 'generated'))].sort()).toEqual(['bitecs-multiuser', 'bitecs-multiuser/wire'])
  ok(run('npx', ['tsc', '-p', '.'], dir), 'tsc --noEmit (strict)')
}

interface CliRelay {
  url: string
  /** Stops the relay (SIGTERM to its process group) and waits for it to exit. */
  stop(): Promise<void>
}

/** `npx bitecs-multiuser relay …` in the project, as README says; resolves once it listens and answers /healthz. */
async function startRelay(dir: string, args: string[] = ['--port', '0', '--auth', 'optional'], dataDir = join(dir, '.relay')): Promise<CliRelay> {
  // Its own process group: stopping npx alone would leave the relay it started running.
  const child = spawn('npx', ['bitecs-multiuser', 'relay', '--host', '127.0.0.1', '--log-level', 'silent', '--data-dir', dataDir, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  children.push(child)
  let err = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /relay: (http:\/\/\S+) \(did:web:/.exec(err)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`relay exited ${code}: ${err}`)))
  })
  const health = await fetch(new URL('healthz', url))
  expect(health.status).toBe(200)
  return {
    url,
    async stop() {
      try {
        process.kill(-child.pid!, 'SIGTERM')
      } catch {
        /* already gone */
      }
      await exited
    },
  }
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' }

/** Serves a built `dist/` on 127.0.0.1. */
async function serveStatic(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const file = join(root, path === '/' ? 'index.html' : path)
    if (!file.startsWith(root) || !existsSync(file)) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server }
}

describe('the packed packages in a game project outside the repository', () => {
  it('each tarball holds only its build, bin, LICENSE, README and manifest; source maps carry their sources', () => {
    const allowed: Record<string, RegExp> = {
      'bitecs-multiuser': /^(package\.json|README\.md|LICENSE|bin\/bitecs-multiuser\.js|dist\/(src|generated\/multiuser)\/.+\.(js|d\.ts|js\.map))$/,
      '@bitecs-multiuser/codegen': /^(package\.json|README\.md|LICENSE|bin\/bitecs-multiuser-gen\.js|proto\/multiuser\/options\.proto|dist\/src\/(codegen|protocol|shared)\/.+\.(js|d\.ts|js\.map))$/,
      '@bitecs-multiuser/relay': /^(package\.json|README\.md|LICENSE|bin\/bitecs-multiuser-relay\.js|dist\/src\/.+\.(js|d\.ts|js\.map))$/,
    }
    for (const [name, files] of Object.entries(packedFiles)) {
      expect(files.filter((f) => !allowed[name].test(f)), name).toEqual([])
      expect(files, name).toContain('LICENSE')
    }
    // The game runtime ships neither the generator nor the relay, and the relay no client-only code.
    expect(packedFiles['bitecs-multiuser'].filter((f) => /\/(codegen|relay)\//.test(f))).toEqual([])
    expect(packedFiles['@bitecs-multiuser/relay'].filter((f) => /\/(ecs|transport|babylon|atproto)\//.test(f))).toEqual([])
    const map = JSON.parse(readFileSync(join(repo, 'dist', 'src', 'index.js.map'), 'utf8')) as { sourcesContent?: string[] }
    expect(map.sourcesContent?.length).toBeGreaterThan(0)
  })

  it('hoisted install: gen, strict tsc, vite build, relay, and two Chromium pages of the built game see each other', async () => {
    const dir = (hoisted = createProject('hoisted'))
    generateCheckBuild(dir)
    ok(run('npx', ['vite', 'build'], dir), 'vite build')
    const relay = (await startRelay(dir)).url
    const site = await serveStatic(join(dir, 'dist'))
    const browser = await launchChromium()
    try {
      const pages = await Promise.all([0, 1].map(() => browser.newPage()))
      const errors: string[] = []
      for (const p of pages) p.on('pageerror', (e) => errors.push(e.message))
      for (const p of pages) await p.goto(`${site.url}?relay=${encodeURIComponent(relay)}&room=packed`)
      type G = { game?: { peers(): number; remote(): number; chats(): string[] } }
      for (const p of pages) {
        await until(async () => (await p.evaluate(() => (window as unknown as G).game?.remote() ?? 0)) >= 1, 20_000, 'the other page\'s entity')
        expect(await p.evaluate(() => (window as unknown as G).game!.peers())).toBe(1)
        await until(async () => (await p.evaluate(() => (window as unknown as G).game!.chats())).some((c) => c.endsWith(': hello')), 10_000, 'a chat event')
      }
      expect(errors).toEqual([])
    } finally {
      await browser.close()
      site.server.close()
    }
  }, 300_000)

  it('sign-in: two pages sign in through the PDS OAuth pages (least-privilege scope), see each other\'s DID and handle, survive a reload and a relay restart, sign out; a relay of another service DID is a final, readable refusal', async () => {
    const dir = hoisted
    const pds = await startTestPds()
    const browser = await launchChromium()
    const port = await freePort()
    const relayArgs = ['--port', String(port), '--auth', 'required', '--plc-url', pds.plcUrl, '--allow-private-did-hosts', '--handle-resolver', pds.pdsUrl]
    let relay = await startRelay(dir, relayArgs)
    const site = await serveStatic(join(dir, 'dist'))
    const errors: string[] = []
    try {
      const [alice, bob] = await Promise.all([pds.createAccount('alice'), pds.createAccount('bob')])
      const page = async (who: TestAccount, relayUrl = relay.url) => {
        const p = await (await browser.newContext()).newPage()
        p.on('pageerror', (e) => errors.push(`${who.handle}: ${e.message}`))
        await p.goto(`${site.url}signin.html?relay=${encodeURIComponent(relayUrl)}&pds=${encodeURIComponent(pds.pdsUrl)}&plc=${encodeURIComponent(pds.plcUrl)}#room=guild`)
        return p
      }
      type G = { game?: { did(): string | null; status(): string; statuses(): string[]; peers(): { id: string; did: string | null; handle: string | null }[] } }
      const game = <T>(p: Page, f: (g: NonNullable<G['game']>) => T): Promise<T> => p.evaluate(`(${f.toString()})(window.game)`) as Promise<T>
      const signIn = async (p: Page, who: TestAccount) => {
        await signInThroughPds(p, who, pds.pdsUrl, site.url)
        await p.waitForFunction(() => 'game' in window, undefined, { timeout: 30_000 })
      }
      const sees = (p: Page, other: TestAccount) => until(async () => (await game(p, (g) => g.peers())).some((x) => x.did === other.did && x.handle === other.handle), 30_000, `${other.handle} seen with DID and handle`)

      // A guest at a relay that requires sign-in: a final refusal, said plainly.
      const a = await page(alice)
      await until(async () => (await game(a, (g) => g.status())) === 'left', 20_000, 'a guest refused')
      expect((await game(a, (g) => g.statuses())).at(-1)).toMatch(/^left AUTH_MISSING: /)
      await signIn(a, alice)
      const b = await page(bob)
      await signIn(b, bob)
      expect(await game(a, (g) => g.did())).toBe(alice.did)
      // The page came back to the same room (its fragment restored after the OAuth redirect).
      expect(new URL(a.url()).hash).toBe('#room=guild')
      await sees(a, bob)
      await sees(b, alice)

      // A reload restores the session: no trip to the PDS.
      await a.reload()
      await a.waitForFunction(() => 'game' in window)
      expect(new URL(a.url()).origin).toBe(new URL(site.url).origin)
      expect(await game(a, (g) => g.did())).toBe(alice.did)
      await sees(a, bob)
      await sees(b, alice)

      // The relay restarts (same data directory: same key): both rejoin with fresh tokens, nobody leaves.
      await relay.stop()
      relay = await startRelay(dir, relayArgs)
      for (const p of [a, b]) {
        await until(async () => (await game(p, (g) => g.statuses())).slice(-2).join() === 'reconnecting,joined', 30_000, 'rejoined after the restart')
      }
      await sees(a, bob)
      await sees(b, alice)

      // Sign-out: alice leaves the room (this relay takes no guests: left, AUTH_MISSING); bob sees her go.
      await a.click('#signout')
      await until(async () => (await game(a, (g) => g.status())) === 'left', 20_000, 'alice out')
      expect((await game(a, (g) => g.statuses())).at(-1)).toMatch(/^left AUTH_MISSING: /)
      await until(async () => !(await game(b, (g) => g.peers())).some((x) => x.did === alice.did), 20_000, 'bob sees alice leave')

      // Bob's session was granted for this relay only: at a relay of another service DID the PDS mints nothing, and the
      // page says so once, finally, instead of retrying.
      const other = await startRelay(dir, ['--port', '0', '--auth', 'required', '--service-did', 'did:web:other.example', '--plc-url', pds.plcUrl, '--allow-private-did-hosts'], join(dir, '.relay-other'))
      try {
        await b.goto(`${site.url}signin.html?relay=${encodeURIComponent(other.url)}&pds=${encodeURIComponent(pds.pdsUrl)}&plc=${encodeURIComponent(pds.plcUrl)}#room=guild`)
        await b.waitForFunction(() => 'game' in window, undefined, { timeout: 30_000 })
        await until(async () => (await game(b, (g) => g.status())) === 'left', 20_000, 'refused at the other relay')
        const last = (await game(b, (g) => g.statuses())).at(-1)!
        console.log(`[signin] at a relay of another service DID: ${last}`)
        expect(last).toMatch(/^left TOKEN_SOURCE_FAILED: .*Missing required scope/)
      } finally {
        await other.stop()
      }
      expect(errors).toEqual([])
    } finally {
      await browser.close()
      site.server.close()
      await relay.stop()
      await pds.close()
    }
  }, 300_000)

  it('a broken install is a readable message saying what to reinstall, never a stack trace', () => {
    const dir = hoisted
    rmSync(join(dir, 'node_modules', '@bitecs-multiuser', 'codegen', 'proto'), { recursive: true })
    const noOptions = run('npx', ['bitecs-multiuser', 'gen', '--proto', 'proto', '--out', 'src/generated'], dir)
    expect(noOptions.status).toBe(1)
    expect(noOptions.out).toMatch(/bitecs-multiuser gen: the code generator's multiuser\/options\.proto was not found .*reinstall @bitecs-multiuser\/codegen/)
    cpSync(join(repo, 'proto', 'multiuser'), join(dir, 'node_modules', '@bitecs-multiuser', 'codegen', 'proto', 'multiuser'), { recursive: true })
    rmSync(join(dir, 'node_modules', '@bufbuild', 'buf'), { recursive: true })
    const noBuf = run('npx', ['bitecs-multiuser', 'gen', '--proto', 'proto', '--out', 'src/generated'], dir)
    expect(noBuf.status).toBe(1)
    expect(noBuf.out).toMatch(/bitecs-multiuser gen: the \.proto compiler buf \(@bufbuild\/buf\) is not installed/)
    for (const r of [noOptions, noBuf]) expect(r.out).not.toMatch(/\n\s+at /)
    rmSync(join(dir, 'node_modules', '@bitecs-multiuser', 'relay'), { recursive: true })
    const noRelay = run('npx', ['bitecs-multiuser', 'relay'], dir)
    expect(noRelay.status).toBe(1)
    expect(noRelay.out).toContain('npm install @bitecs-multiuser/relay')
  }, 300_000)

  it('linked install (only declared packages resolve): gen, strict tsc, vite build; a guest bundle carries no @atproto module', () => {
    const dir = createProject('linked')
    generateCheckBuild(dir)
    writeFileSync(join(dir, 'measure.mjs'), MEASURE)
    type Sizes = Record<string, { raw: number; gzip: number }>
    const report = JSON.parse(ok(run('node', ['measure.mjs'], dir), 'vite build (measured)').split('\n').filter((l) => l.startsWith('{')).pop()!) as Record<'guest' | 'signin', { eager: Sizes; lazy: Sizes }>
    const packages = (entry: 'guest' | 'signin'): string[] => [...Object.keys(report[entry].eager), ...Object.keys(report[entry].lazy)]
    expect(packages('guest')).toContain('bitecs-multiuser')
    expect(packages('guest').filter((p) => p.startsWith('@atproto/'))).toEqual([])
    // The check can fail: the sign-in entry does pull ATProto code in.
    expect(packages('signin').filter((p) => p.startsWith('@atproto/')).length).toBeGreaterThan(0)
    const kb = (n: number): string => `${(n / 1024).toFixed(1)} kB`
    for (const entry of ['guest', 'signin'] as const) {
      for (const when of ['eager', 'lazy'] as const) {
        const rows = Object.entries(report[entry][when]).sort((a, b) => b[1].gzip - a[1].gzip)
        console.log(`bundle ${entry} (${when}): ${rows.map(([p, s]) => `${p} ${kb(s.gzip)} gzip (${kb(s.raw)})`).join(', ')}`)
      }
    }
    const extra = Object.entries(report.signin.eager).filter(([p]) => !(p in report.guest.eager) && p !== '(game)')
    console.log(`bundle signin adds ${kb(extra.reduce((n, [, s]) => n + s.gzip, 0))} gzip over guest in ${extra.length} packages`)
  }, 300_000)
})

/**
 * `vite build` with the project's own config plus a reporting plugin: for each entry, the modules its chunks hold
 * (static and dynamic imports), grouped by package, with their rendered size and the gzip size of their code.
 */
const MEASURE = `
import { build } from 'vite'
import { gzipSync } from 'node:zlib'
const report = {}
const pkgOf = (id) => {
  const i = id.lastIndexOf('/node_modules/')
  if (i < 0) return id.includes('/src/generated/') ? '(generated)' : '(game)'
  const parts = id.slice(i + 14).split('/')
  return parts[0].startsWith('@') ? parts[0] + '/' + parts[1] : parts[0]
}
const reporter = {
  name: 'measure',
  generateBundle(_, bundle) {
    const chunks = Object.values(bundle).filter((c) => c.type === 'chunk')
    const byName = new Map(chunks.map((c) => [c.fileName, c]))
    const closure = (entry, dynamic) => {
      const seen = new Set(), todo = [entry]
      while (todo.length) {
        const c = todo.pop()
        if (seen.has(c)) continue
        seen.add(c)
        for (const f of dynamic ? [...c.imports, ...c.dynamicImports] : c.imports) if (byName.get(f)) todo.push(byName.get(f))
      }
      return seen
    }
    for (const entry of chunks.filter((c) => c.isEntry)) {
      // What the page loads at once, and what it loads only through a dynamic import.
      const eager = closure(entry, false)
      const parts = { eager: {}, lazy: {} }
      for (const c of closure(entry, true)) for (const [id, m] of Object.entries(c.modules)) (parts[eager.has(c) ? 'eager' : 'lazy'][pkgOf(id)] ??= []).push(m.code ?? '')
      const sizes = (code) => Object.fromEntries(Object.entries(code).map(([p, parts]) => [p, { raw: parts.join('').length, gzip: gzipSync(parts.join('\\n')).length }]))
      report[entry.name] = { eager: sizes(parts.eager), lazy: sizes(parts.lazy) }
    }
  },
}
await build({ logLevel: 'warn', plugins: [reporter] })
console.log(JSON.stringify(report))
`
