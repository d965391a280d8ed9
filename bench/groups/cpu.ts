/**
 * Group "cpu": the sender's and the receiver's CPU per tick against their baselines (issue 16), side by side in one
 * run. Per scenario (N entities, 10 % moving, mover pattern `fixed` or `random`) the contenders are
 * - `ours`: sender `net.flush()` for one receiver, receiver `net.receive()` (Transform is `interpolate: true`);
 * - `ours-8`: the same sender with 8 receivers (its own copy of the world, stepped identically): `flush()` only;
 * - `floor`: the hand-packed reference, handed the changed list, no loss recovery (unattainable by design);
 * - `colyseus-split`: @colyseus/schema 5, its setters and its `encode()` timed apart, `decode()`.
 * Plus an idle world (10 000 entities, none moving) for `ours`. Each tick the world steps, then every contender
 * runs prepare → encode → (transport) → decode in an order that rotates each tick; times are medians per tick.
 *
 * `npm run bench -- --only=cpu` (300 measured ticks; --quick: 1 000 entities only, 60 ticks).
 */
import { createOurs } from '../contenders/ours.js'
import { colyseusSplit } from '../contenders/colyseus.js'
import { floor } from '../contenders/floor.js'
import type { Contender, ContenderInstance } from '../contenders/types.js'
import { fmtInt, fmtRatio, fmtUs, mdTable, median, mean, round, textTable } from '../stats.js'
import { createBenchWorld, type BenchWorld, type MoverPattern } from '../world.js'
import type { BenchGroup, GroupContext, GroupOutput, Target } from './types.js'

export interface CpuRow {
  contender: string
  pattern: MoverPattern
  entities: number
  moving: number
  bytesPerTick: number
  /** Median µs per tick of `prepare()` (Colyseus setters), 0 when the contender has none. */
  prepareUs: number
  /** Median µs per tick of `encode()` (ours: `flush()`). */
  encodeUs: number
  /** Median µs per tick of `decode()` (ours: `receive()`). */
  decodeUs: number
  correct: boolean
  maxError: number
  ticks: number
  error?: string
}

export interface CpuMeta {
  ticks: number
  warmup: number
  contenders: { name: string; description: string }[]
}

const FULL = { entities: [1000, 10000], ticks: 300, warmup: 60 }
const QUICK = { entities: [1000], ticks: 60, warmup: 15 }
const SEED = 0x5eed

const ours1: Contender = { name: 'ours', description: 'sender `net.flush()` for one receiver; receiver `net.receive()` (Transform `interpolate: true`, so receive also feeds the interpolation buffers)', kind: 'delta', create: (w) => createOurs(w) }
const ours8: Contender = { name: 'ours-8', description: 'the same sender with 8 receivers: `net.flush()` (its decode is the first receiver\'s `receive()`; the other 7 receive and ack untimed)', kind: 'delta', create: (w) => createOurs(w, { receivers: 8 }) }

interface Live {
  c: Contender
  world: BenchWorld
  inst: ContenderInstance | null
  error?: string
  bytes: number[]
  prep: number[]
  enc: number[]
  dec: number[]
  err: number
}

async function scenario(entities: number, moving: number, pattern: MoverPattern, list: Contender[], separate: Set<string>, ticks: number, warmup: number): Promise<CpuRow[]> {
  const shared = createBenchWorld(entities, moving, SEED, pattern)
  const worlds = [shared]
  const live: Live[] = []
  for (const c of list) {
    // A network owns its world: a second sender gets an identical copy, stepped alongside.
    const world = separate.has(c.name) ? createBenchWorld(entities, moving, SEED, pattern) : shared
    if (world !== shared) worlds.push(world)
    const l: Live = { c, world, inst: null, bytes: [], prep: [], enc: [], dec: [], err: 0 }
    try {
      l.inst = await c.create(world)
    } catch (e) {
      l.error = `setup failed: ${(e as Error).message}`
    }
    live.push(l)
  }
  const abs = new Float64Array(6)
  const m = live.length
  for (let t = 0; t < warmup + ticks; t++) {
    for (const w of worlds) w.step()
    for (let k = 0; k < m; k++) {
      const l = live[(k + t) % m]
      const inst = l.inst
      if (!inst) continue
      try {
        const t0 = performance.now()
        if (inst.prepare) inst.prepare()
        const t1 = inst.prepare ? performance.now() : t0
        const encoded = inst.encode()
        const t2 = performance.now()
        const bytes = inst.bytes ? inst.bytes() : encoded
        inst.between?.()
        const t3 = performance.now()
        inst.decode()
        const t4 = performance.now()
        inst.after?.()
        if (t < warmup) continue
        l.bytes.push(bytes)
        l.prep.push((t1 - t0) * 1000)
        l.enc.push((t2 - t1) * 1000)
        l.dec.push((t4 - t3) * 1000)
        const err = inst.check(abs)
        if (!(err <= l.err)) l.err = err
      } catch (e) {
        l.error = `tick failed: ${(e as Error).message}`
        inst.dispose?.()
        l.inst = null
      }
    }
  }
  return live.map((l) => {
    l.inst?.dispose?.()
    const row: CpuRow = {
      contender: l.c.name,
      pattern,
      entities,
      moving,
      bytesPerTick: round(mean(l.bytes), 1),
      prepareUs: round(median(l.prep), 2),
      encodeUs: round(median(l.enc), 2),
      decodeUs: round(median(l.dec), 2),
      correct: !l.error && l.bytes.length === ticks && l.err <= 1,
      maxError: round(l.err, 4),
      ticks: l.bytes.length,
    }
    if (l.error) row.error = l.error
    return row
  })
}

/** The goals of issue 16, from one run's rows. A figure where a side failed its correctness check is INVALID, not met. */
export function cpuTargets(rows: CpuRow[]): { ratios: Record<string, number>; targets: Target[] } {
  const ratios: Record<string, number> = {}
  const targets: Target[] = []
  const find = (c: string, p: MoverPattern, n: number, f = 0.1) => rows.find((r) => r.contender === c && r.pattern === p && r.entities === n && r.moving === f && r.ticks > 0)
  const add = (name: string, key: string, a: CpuRow | undefined, b: CpuRow | undefined, value: (a: CpuRow, b: CpuRow) => number, limit: number, unit = '×') => {
    if (!a || !b) return
    const v = round(value(a, b), 4)
    if (!Number.isFinite(v)) return
    ratios[key] = v
    const bad = [a, b].filter((r) => !r.correct).map((r) => r.contender)
    targets.push({ name: bad.length ? `${name} [INVALID: ${bad.join(', ')} failed the correctness check]` : name, value: unit === '%' ? round(v * 100, 2) : v, limit, unit, met: bad.length === 0 && (unit === '%' ? v * 100 : v) <= limit })
  }
  const n1k = (n: number) => fmtInt(n)
  for (const p of ['fixed', 'random'] as const) {
    for (const n of [1000, 10000]) {
      const s = `${p}_${n}`
      add(`flush() ÷ floor encode ≤ 2× (${n1k(n)} entities, 10 % ${p} movers)`, `cpu_flush_vs_floor_${s}`, find('ours', p, n), find('floor', p, n), (a, b) => a.encodeUs / b.encodeUs, 2)
      if (n === 1000) add(`flush() ÷ (Colyseus setters + encode) ≤ 0.5× (${n1k(n)} entities, 10 % ${p} movers)`, `cpu_flush_vs_colyseus_${s}`, find('ours', p, n), find('colyseus-split', p, n), (a, b) => a.encodeUs / (b.prepareUs + b.encodeUs), 0.5)
      add(`receive() ÷ Colyseus decode ≤ 0.5× (${n1k(n)} entities, 10 % ${p} movers)`, `cpu_receive_vs_colyseus_${s}`, find('ours', p, n), find('colyseus-split', p, n), (a, b) => a.decodeUs / b.decodeUs, 0.5)
      add(`flush() with 8 receivers ÷ with 1 ≤ 2.5× (${n1k(n)} entities, 10 % ${p} movers)`, `cpu_flush8_vs_flush1_${s}`, find('ours-8', p, n), find('ours', p, n), (a, b) => a.encodeUs / b.encodeUs, 2.5)
      if (p === 'random') add(`bytes per tick ÷ floor ≤ 0.8× (${n1k(n)} entities, 10 % random movers, same grid)`, `cpu_bytes_vs_floor_${s}`, find('ours', p, n), find('floor', p, n), (a, b) => a.bytesPerTick / b.bytesPerTick, 0.8)
    }
  }
  const idleN = Math.max(...rows.filter((r) => r.moving === 0).map((r) => r.entities))
  add(`idle world flush() ≤ 5 % of the 10 %-moving flush() (${n1k(idleN)} entities)`, `cpu_idle_vs_moving_${idleN}`, find('ours', 'fixed', idleN, 0), find('ours', 'fixed', idleN), (a, b) => a.encodeUs / b.encodeUs, 5, '%')
  return { ratios, targets }
}

export const cpuGroup: BenchGroup<CpuRow[], CpuMeta> = {
  name: 'cpu',
  title: 'CPU per tick against the floor and Colyseus (flush, receive, 8 receivers, idle)',
  inQuick: false,
  async run(ctx: GroupContext): Promise<GroupOutput<CpuRow[], CpuMeta>> {
    const cfg = ctx.quick ? QUICK : FULL
    const list = [ours1, ours8, floor, colyseusSplit]
    const rows: CpuRow[] = []
    for (const n of cfg.entities) {
      for (const p of ['fixed', 'random'] as const) {
        const out = await scenario(n, 0.1, p, list, new Set(['ours-8']), cfg.ticks, cfg.warmup)
        ctx.log(`  ${fmtInt(n).padStart(6)} entities, 10 % ${p.padEnd(6)}: ` + out.map((r) => `${r.contender} ${fmtInt(r.bytesPerTick)} B ${r.prepareUs ? `${fmtUs(r.prepareUs)}+` : ''}${fmtUs(r.encodeUs)}/${fmtUs(r.decodeUs)} µs${r.correct ? '' : ' ✗'}`).join(' | '))
        rows.push(...out)
      }
    }
    const idleN = cfg.entities[cfg.entities.length - 1]
    const idle = await scenario(idleN, 0, 'fixed', [ours1, floor], new Set(), cfg.ticks, cfg.warmup)
    ctx.log(`  ${fmtInt(idleN).padStart(6)} entities idle: ` + idle.map((r) => `${r.contender} ${fmtInt(r.bytesPerTick)} B ${fmtUs(r.encodeUs)}/${fmtUs(r.decodeUs)} µs${r.correct ? '' : ' ✗'}`).join(' | '))
    rows.push(...idle)
    const { ratios, targets } = cpuTargets(rows)
    return { result: rows, meta: { ticks: cfg.ticks, warmup: cfg.warmup, contenders: [ours1, ours8, floor, colyseusSplit].map((c) => ({ name: c.name, description: c.description })) }, ratios, targets }
  },
  table(rows) {
    return textTable(
      ['contender', 'pattern', 'entities', 'moving', 'B/tick', 'setters µs', 'enc µs', 'dec µs', 'correct'],
      rows.map((r) => [r.contender, r.pattern, r.entities, `${r.moving * 100} %`, fmtInt(r.bytesPerTick), r.prepareUs ? fmtUs(r.prepareUs) : '', fmtUs(r.encodeUs), fmtUs(r.decodeUs), r.correct ? 'yes' : `NO${r.error ? ` (${r.error})` : ` (err ${r.maxError}×tol)`}`]),
    )
  },
  markdown(rows, meta) {
    const out: string[] = []
    out.push(`${meta?.ticks ?? '?'} measured ticks per scenario after ${meta?.warmup ?? '?'} warm-up ticks; times are median µs per tick, bytes the mean per tick for one receiver. Order of the contenders rotates each tick. Patterns: \`fixed\` = the same 10 % walk every tick; \`random\` = a fresh random 10 % each tick.`)
    out.push('')
    out.push('Contenders:')
    for (const c of meta?.contenders ?? []) out.push(`- **${c.name}**: ${c.description}`)
    out.push('')
    const scen = [...new Set(rows.map((r) => `${r.entities}|${r.moving}|${r.pattern}`))]
    for (const s of scen) {
      const [n, f, p] = s.split('|')
      const rs = rows.filter((r) => `${r.entities}|${r.moving}|${r.pattern}` === s)
      const me = rs.find((r) => r.contender === 'ours')
      const fl = rs.find((r) => r.contender === 'floor')
      out.push(`### ${fmtInt(Number(n))} entities, ${Number(f) * 100} % moving${Number(f) > 0 ? `, ${p} movers` : ''}`)
      out.push('')
      out.push(mdTable(
        ['contender', 'bytes/tick', 'setters µs', 'encode µs', 'decode µs', 'correct', 'sender ÷ floor'],
        rs.map((r) => [
          r.contender === 'ours' ? '**ours**' : r.contender,
          fmtInt(r.bytesPerTick),
          r.prepareUs ? fmtUs(r.prepareUs) : '',
          fmtUs(r.encodeUs),
          fmtUs(r.decodeUs),
          r.correct ? 'yes' : `**NO**${r.error ? ` (${r.error})` : ` (${r.maxError} × tolerance)`}`,
          fl && fl.encodeUs > 0 ? fmtRatio((r.prepareUs + r.encodeUs) / fl.encodeUs) : '',
        ]),
      ))
      void me
      out.push('')
    }
    return out.join('\n')
  },
}
