#!/usr/bin/env node
// Builds the publishable packages from src/: `runtime` (bitecs-multiuser, the repository root), `codegen`
// (@bitecs-multiuser/codegen, packages/codegen) and `relay` (@bitecs-multiuser/relay, packages/relay).
// Each is compiled by tsc from its own tsconfig.build.json (entry files only: a package holds the code its entries
// import, nothing else) into <package>/dist, with source maps that carry their sources, and gets LICENSE; the
// codegen package also gets proto/multiuser/options.proto, the file every game schema imports. `create`
// (create-bitecs-multiuser, packages/create-bitecs-multiuser: `npm create bitecs-multiuser`) is plain JavaScript and
// its template: nothing to compile, only LICENSE to copy.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const PACKAGES = {
  runtime: { dir: '.', copy: [] },
  codegen: { dir: 'packages/codegen', copy: ['proto/multiuser/options.proto'] },
  relay: { dir: 'packages/relay', copy: [] },
  create: { dir: 'packages/create-bitecs-multiuser', copy: [], compile: false },
}
const names = process.argv.slice(2)
if (names.length === 0 || names.some((n) => !(n in PACKAGES))) {
  console.error(`usage: node scripts/build-package.mjs <${Object.keys(PACKAGES).join('|')}>...`)
  process.exit(2)
}
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
for (const name of names) {
  const { dir, copy, compile = true } = PACKAGES[name]
  const pkg = join(root, dir)
  if (compile) {
    rmSync(join(pkg, 'dist'), { recursive: true, force: true })
    const r = spawnSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], { stdio: 'inherit' })
    if (r.status !== 0) process.exit(r.status ?? 1)
  }
  for (const rel of ['LICENSE', ...copy]) {
    const to = join(pkg, rel)
    if (to === join(root, rel)) continue
    mkdirSync(dirname(to), { recursive: true })
    copyFileSync(join(root, rel), to)
  }
  console.log(`build-package: ${name} -> ${compile ? join(dir, 'dist') : dir}`)
}
