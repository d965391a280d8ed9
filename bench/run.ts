/**
 * `npm run bench [-- --quick] [-- --only=encode,loss]`
 *
 * Runs the selected groups (all by default), prints their tables, and merges their results into
 * bench/results.json (quick: bench/results.quick.json, gitignored), keeping groups it did not run,
 * then regenerates bench/RESULTS.md (quick: bench/RESULTS.quick.md) from the merged file.
 * Exits non-zero only if a group crashes; timings are never asserted.
 */
import { execSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { groups } from './groups/index.js'
import type { Results } from './groups/types.js'
import { writeReport } from './report.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const onlyArg = args.find((a) => a.startsWith('--only='))
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',').filter(Boolean)) : null
if (only) for (const n of only) if (!groups.some((g) => g.name === n)) {
  console.error(`unknown group "${n}"; groups: ${groups.map((g) => g.name).join(', ')}`)
  process.exit(2)
}

const here = (f: string) => new URL(f, import.meta.url).pathname
const jsonPath = here(quick ? './results.quick.json' : './results.json')
const mdPath = here(quick ? './RESULTS.quick.md' : './RESULTS.md')

function machine() {
  const cpus = os.cpus()
  return {
    machine: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
  }
}

/** Which code was measured: HEAD, and source files that differed from it (a shared working tree). */
function code(): { commit: string; uncommitted: string[] } {
  try {
    const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const status = execSync('git status --porcelain -- src generated', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return { commit, uncommitted: status.split('\n').filter(Boolean).map((l) => l.slice(3)) }
  } catch {
    return { commit: 'unknown', uncommitted: [] }
  }
}

const previous: Partial<Results> = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as Partial<Results>) : {}
const results: Results = {
  ...previous,
  ...machine(),
  ...code(),
  loadavg: [],
  date: new Date().toISOString(),
  quick,
  runs: { ...(previous.runs ?? {}) },
  ratios: { ...(previous.ratios ?? {}) },
  targets: [...(previous.targets ?? [])],
  meta: { ...(previous.meta ?? {}) },
}

const started = performance.now()
const loadBefore = os.loadavg()[0]
let failed = false
for (const g of groups) {
  if (only ? !only.has(g.name) : quick && !g.inQuick) continue
  console.log(`\n== ${g.name}: ${g.title}${quick ? ' (quick)' : ''}`)
  const t0 = performance.now()
  try {
    const out = await g.run({ quick, log: (line) => console.log(line) })
    const old = results.runs[g.name]
    for (const k of old?.ratioKeys ?? []) delete results.ratios[k]
    results.targets = results.targets.filter((t) => !(old?.targetNames ?? []).includes(t.name))
    results[g.name] = out.result
    if (out.meta !== undefined) results.meta[g.name] = out.meta
    Object.assign(results.ratios, out.ratios ?? {})
    results.targets.push(...(out.targets ?? []))
    const seconds = (performance.now() - t0) / 1000
    results.runs[g.name] = { date: new Date().toISOString(), quick, seconds: Math.round(seconds), ratioKeys: Object.keys(out.ratios ?? {}), targetNames: (out.targets ?? []).map((t) => t.name) }
    console.log('')
    console.log(g.table(out.result, out.meta))
    console.log(`(${g.name}: ${seconds.toFixed(1)} s)`)
  } catch (e) {
    failed = true
    console.error(`group ${g.name} crashed:`, e)
  }
}

// Other work on the machine during the run (1-minute load average at start and end; 2 = both cores busy).
results.loadavg = [Number(loadBefore.toFixed(2)), Number(os.loadavg()[0].toFixed(2))]
writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n')
writeReport(results, mdPath)
if (results.targets.length) {
  console.log('\ntargets:')
  for (const t of results.targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.value} ${t.unit} (limit ${t.limit})${t.subject ? ` [${t.subject}]` : ''}`)
}
console.log(`\nwrote ${jsonPath} and ${mdPath} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
process.exit(failed ? 1 : 0)
