import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const fixtures = join(repoRoot, 'test', 'codegen', 'fixtures')
export const bin = join(repoRoot, 'bin', 'bitecs-multiuser.js')

const temps: string[] = []
afterAll(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A fresh temp dir, removed after the test file's tests. */
export function tempDir(prefix = 'bmu-codegen-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  temps.push(dir)
  return dir
}

/** Writes `{ 'a/b.proto': '...' }` under a fresh temp dir and returns it. */
export function protoDir(files: Record<string, string>): string {
  const dir = tempDir()
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), content)
  }
  return dir
}

/** A copy of a fixture dir in a temp dir (tests may modify it). */
export function copyFixture(name: string): string {
  const dir = tempDir()
  cpSync(join(fixtures, name), dir, { recursive: true })
  return dir
}

export interface CliRun {
  status: number | null
  stdout: string
  stderr: string
}

/** `node bin/bitecs-multiuser.js <args>` as a child process. */
export function runCli(args: string[], cwd = repoRoot): CliRun {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Every file under `dir` → content, keys relative with `/`. */
export function readTree(dir: string, rel = '', out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name
    if (statSync(join(dir, r)).isDirectory()) readTree(dir, r, out)
    else out.set(r, readFileSync(join(dir, r), 'utf8'))
  }
  return out
}

/** Proto3 header importing the options. */
export const HEAD = 'syntax = "proto3";\npackage t;\nimport "multiuser/options.proto";\n'
