/**
 * Group "netcode": what players see, measured with the probes in test/helpers/netcode/ (memory hub, seeded, virtual
 * time, every peer its own clock, 30 Hz, default 100 ms interpolation delay, walkers at 5 m/s with corners): the
 * goals of issue 15, each a row with its limit, and the interest-management figures (10 000 entities, 8 viewers).
 * The deterministic goals are also asserted by test/ecs/netcode-goals.test.ts on the same probes.
 *
 * `npm run bench -- --only=netcode` (--quick: fewer seeds, no 10 000-entity run).
 */
import { bandwidthProbe } from '../../test/helpers/netcode/bandwidth-probe.js'
import { interestProbe, type InterestProbeResult } from '../../test/helpers/netcode/interest-probe.js'
import { joinProbe } from '../../test/helpers/netcode/join-probe.js'
import { renderProbe } from '../../test/helpers/netcode/render-probe.js'
import { TICK_STEP } from '../../test/helpers/netcode/walk.js'
import { gridRelevance } from '../../src/ecs/index.js'
import { mdTable, round, textTable } from '../stats.js'
import type { BenchGroup, GroupContext, GroupOutput, Target } from './types.js'

export interface GoalRow {
  scenario: string
  measure: string
  value: number
  unit: string
  /** The goal: value ≤ limit. */
  limit: number
  met: boolean
}

export interface InterestRow {
  relevance: string
  entities: number
  bytesPerViewerPerTick: number
  heldPerViewer: number
  flushMs: number
  flushP95Ms: number
}

export interface NetcodeResult {
  goals: GoalRow[]
  interest: InterestRow[]
}

/** The same probes on the code before issue 15 (commit 1b8efbe), for comparison ("≥ 10000": the probe's cap). */
const BEFORE: Record<string, number | string> = {
  '10 % loss + 50 ms jitter / max error vs truth (m)': 0.416,
  '10 % loss + 50 ms jitter / snaps': 10,
  '10 % loss + 50 ms jitter / max error, worst of 5 seeds (m)': 0.733,
  '10 % loss + 50 ms jitter / snaps, 5 seeds': 76,
  'perfect link, 180° reversals / max error (m)': 0.167,
  'perfect link, 180° reversals / snaps': 3,
  '30 % loss + 100 ms latency / max error (m)': 0.667,
  '30 % loss + 100 ms latency / max error, worst of 30 seeds (m)': 0.834,
  '30 % loss + 100 ms latency / ticks to converge after the stop, worst of 30 seeds': 7,
  '64 kbit/s, 1 000 entities, 100 walking / offered after 2 s, max over 500 ms windows (kbit/s)': 682.2,
  '64 kbit/s, 1 000 entities, 100 walking / self-inflicted link loss after 2 s (%)': 69.9,
  '64 kbit/s, 1 000 entities, 100 walking / highest-priority walkers: max staleness (ms)': '≥ 10000',
  '64 kbit/s, 1 000 entities, 100 walking / reliable event latency, max (ms)': 5066.7,
  '64 kbit/s, 1 000 entities, 100 walking / 1 000 spawns at once: top walkers max staleness meanwhile (ms)': '≥ 10000',
  '64 kbit/s, 1 000 entities, 100 walking / 1 000 spawns at once: delivered in (s)': 5.1,
  '64 kbit/s, 1 000 entities, 100 walking / 1 000 spawns at once: delta packets received per second meanwhile': 2.5,
  '64 kbit/s, 1 000 entities, 100 walking / every walker: mean staleness (ms)': 2157.2,
  'late join, 500 entities / bytes on the wire ÷ the state’s quantized size': 3.487,
  'interest / none / bytes per viewer per tick': 4143,
  'interest / none / flush ms': 3.046,
}

const goal = (scenario: string, measure: string, value: number, unit: string, limit: number): GoalRow => ({
  scenario, measure, value: round(value, 3), unit, limit: round(limit, 3), met: value <= limit,
})

function renderGoals(seeds: number, heavySeeds: number, log: (l: string) => void): GoalRow[] {
  const rows: GoalRow[] = []
  const worst = (link: object, reversals: boolean, from: number, n: number, ticks = 600) => {
    let maxError = 0
    let snaps = 0
    let converge = 0
    for (let seed = from; seed < from + n; seed++) {
      const r = renderProbe({ link, seed, reversals, ticks })
      maxError = Math.max(maxError, r.maxError)
      snaps += r.snaps
      converge = Math.max(converge, r.convergeTicks < 0 ? Number.POSITIVE_INFINITY : r.convergeTicks)
    }
    return { maxError, snaps, converge }
  }
  const info = (row: GoalRow): GoalRow => ({ ...row, limit: Number.POSITIVE_INFINITY, met: true })
  const jitterLink = { loss: 0.1, jitter: 50 }
  const jitter = worst(jitterLink, false, 1, 1)
  rows.push(goal('10 % loss + 50 ms jitter', 'max error vs truth (m)', jitter.maxError, 'm', TICK_STEP))
  rows.push(goal('10 % loss + 50 ms jitter', 'snaps', jitter.snaps, '', 0))
  const jitterSeeds = worst(jitterLink, false, 1, seeds)
  rows.push(info(goal('10 % loss + 50 ms jitter', `max error, worst of ${seeds} seeds (m)`, jitterSeeds.maxError, 'm', 0)))
  rows.push(info(goal('10 % loss + 50 ms jitter', `snaps, ${seeds} seeds`, jitterSeeds.snaps, '', 0)))
  const perfect = worst({}, true, 1, 1)
  rows.push(goal('perfect link, 180° reversals', 'max error (m)', perfect.maxError, 'm', 0.02))
  rows.push(goal('perfect link, 180° reversals', 'snaps', perfect.snaps, '', 0))
  const heavyLink = { loss: 0.3, latency: 100 }
  const heavy1 = worst(heavyLink, true, 1, 1, 300)
  rows.push(goal('30 % loss + 100 ms latency', 'max error (m)', heavy1.maxError, 'm', 2 * TICK_STEP))
  const heavy = worst(heavyLink, true, 1, heavySeeds, 300)
  rows.push(info(goal('30 % loss + 100 ms latency', `max error, worst of ${heavySeeds} seeds (m)`, heavy.maxError, 'm', 0)))
  rows.push(goal('30 % loss + 100 ms latency', `ticks to converge after the stop, worst of ${heavySeeds} seeds`, heavy.converge, 'ticks', 10))
  log(`  render: jitter ${round(jitter.maxError)} m / ${jitter.snaps} snaps (${seeds} seeds: ${round(jitterSeeds.maxError)} m / ${jitterSeeds.snaps}); reversals ${round(perfect.maxError)} m / ${perfect.snaps} snaps; 30 % ${round(heavy1.maxError)} m (${heavySeeds} seeds: ${round(heavy.maxError)} m), converge ≤ ${heavy.converge} ticks`)
  return rows
}

function bandwidthGoals(log: (l: string) => void): GoalRow[] {
  const r = bandwidthProbe()
  const s = '64 kbit/s, 1 000 entities, 100 walking'
  log(`  64 kbit/s: offered ≤ ${round(r.offeredMaxBps / 1000, 1)} kbit/s, link loss ${round(r.linkLoss * 100, 1)} %, top walkers ≤ ${round(r.topStaleMax)} ms stale, events ≤ ${round(r.eventLatencyMax)} ms, burst ${round(r.burstSeconds, 2)} s`)
  return [
    goal(s, 'offered after 2 s, max over 500 ms windows (kbit/s)', r.offeredMaxBps / 1000, 'kbit/s', 64),
    goal(s, 'self-inflicted link loss after 2 s (%)', r.linkLoss * 100, '%', 5),
    goal(s, 'highest-priority walkers: max staleness (ms)', r.topStaleMax, 'ms', 300),
    goal(s, 'reliable event latency, max (ms)', r.eventLatencyMax, 'ms', 300),
    goal(s, '1 000 spawns at once: top walkers max staleness meanwhile (ms)', r.topStaleBurstMax, 'ms', 300),
    { ...goal(s, '1 000 spawns at once: delivered in (s)', r.burstSeconds < 0 ? Number.POSITIVE_INFINITY : r.burstSeconds, 's', Number.POSITIVE_INFINITY), met: r.burstSeconds >= 0 },
    { ...goal(s, '1 000 spawns at once: delta packets received per second meanwhile', r.burstDeltaPacketsPerSecond, '/s', Number.POSITIVE_INFINITY), met: r.burstDeltaPacketsPerSecond >= 25 },
    { ...goal(s, 'every walker: mean staleness (ms)', r.allStaleMean, 'ms', Number.POSITIVE_INFINITY), met: true },
    { ...goal(s, 'the sender’s estimate of the path (kbit/s)', (r.senderEstimate.capacity * 8) / 1000, 'kbit/s', Number.POSITIVE_INFINITY), met: true },
  ]
}

export const netcodeGroup: BenchGroup<NetcodeResult> = {
  name: 'netcode',
  title: 'Netcode that looks right to players: smoothness, congestion, priorities, interest',
  inQuick: true,
  async run(ctx: GroupContext): Promise<GroupOutput<NetcodeResult>> {
    const goals = [...renderGoals(ctx.quick ? 1 : 5, ctx.quick ? 5 : 30, ctx.log), ...bandwidthGoals(ctx.log)]
    const j = joinProbe(500)
    goals.push(goal('late join, 500 entities', 'bytes on the wire ÷ the state’s quantized size', j.ratio, '×', 2))
    ctx.log(`  late join: ${round(j.bytesPerEntity, 1)} B per entity, ${round(j.ratio, 2)} × the state`)
    const interest: InterestRow[] = []
    const entities = ctx.quick ? 2000 : 10_000
    const row = (relevance: string, r: InterestProbeResult): InterestRow => ({
      relevance, entities: r.entities, bytesPerViewerPerTick: round(r.bytesPerViewerPerTick, 1), heldPerViewer: round(r.heldPerViewer, 1), flushMs: round(r.flushMs), flushP95Ms: round(r.flushP95Ms),
    })
    interest.push(row('none', interestProbe({ entities })))
    interest.push(row('gridRelevance, radius 100 m, cells 25 m', interestProbe({
      entities,
      owner: ({ focus, s }) => ({ relevance: gridRelevance({ store: s.Transform, cellSize: 25, radius: 100, focus }) }),
    })))
    for (const r of interest) ctx.log(`  interest (${r.relevance}): ${round(r.bytesPerViewerPerTick, 0)} B per viewer per tick, ${r.heldPerViewer} entities held, flush ${r.flushMs} ms`)
    const targets: Target[] = goals.filter((g) => Number.isFinite(g.limit)).map((g) => ({ name: `netcode: ${g.scenario}: ${g.measure}`, value: g.value, limit: g.limit, unit: g.unit || 'count', met: g.met }))
    const none = interest.find((i) => i.relevance === 'none')
    const grid = interest.find((i) => i.relevance !== 'none')
    const ratios: Record<string, number> = {}
    if (none && grid && none.bytesPerViewerPerTick > 0) ratios.netcode_interest_bytes_vs_none = round(grid.bytesPerViewerPerTick / none.bytesPerViewerPerTick, 4)
    return { result: { goals, interest }, targets, ratios }
  },
  table(r) {
    return [
      textTable(['scenario', 'measure', 'value', 'goal', 'met'], r.goals.map((g) => [g.scenario, g.measure, g.value, Number.isFinite(g.limit) ? `≤ ${g.limit}` : '', Number.isFinite(g.limit) ? (g.met ? 'yes' : 'NO') : ''])),
      '',
      textTable(['relevance', 'B/viewer/tick', 'held', 'flush ms', 'p95'], r.interest.map((i) => [i.relevance, i.bytesPerViewerPerTick, i.heldPerViewer, i.flushMs, i.flushP95Ms])),
    ].join('\n')
  },
  markdown(r) {
    const key = (g: GoalRow): string => `${g.scenario} / ${g.measure}`
    return [
      'Probes in [`test/helpers/netcode/`](../test/helpers/netcode/): memory hub, seeded, virtual time, every peer its own clock, 30 Hz, ' +
        'default 100 ms interpolation delay, walkers at 5 m/s turning at corners; the receiver renders at 60 frames/s. Error is against where the walker ' +
        'really was `interpolationDelay + latency` earlier; a snap is a frame step over twice the true step (+ 2 mm). The 64 kbit/s link is the hub\'s ' +
        'bottleneck (8 000 B/s each way, a queue of 1 s of data that drops what does not fit) with 20 ms latency; ten walkers have priority 10. ' +
        '"before" is the same probe on the code before issue 15 (commit 1b8efbe).',
      '',
      mdTable(
        ['scenario', 'measure', 'before', 'now', 'goal', 'met'],
        r.goals.map((g) => [g.scenario, g.measure, BEFORE[key(g)] === undefined ? '–' : String(BEFORE[key(g)]), String(g.value), Number.isFinite(g.limit) ? `≤ ${g.limit}` : '', Number.isFinite(g.limit) ? (g.met ? 'yes' : '**no**') : '']),
        ['l', 'l', 'r', 'r', 'r', 'l'],
      ),
      '',
      `Interest management: one peer owns ${(r.interest[0]?.entities ?? 0).toLocaleString('en-US')} entities spread over 1 000 m × 1 000 m (10 % walking), 8 viewers stand 300 m from the centre, each with an avatar there; flush() is the owner's, to all 8 (median over the measured ticks).`,
      '',
      mdTable(
        ['relevance', 'bytes per viewer per tick', 'before', 'entities each viewer holds', 'owner flush() ms (8 viewers)', 'before', 'p95 ms'],
        r.interest.map((i) => [
          i.relevance, String(i.bytesPerViewerPerTick), i.relevance === 'none' ? String(BEFORE['interest / none / bytes per viewer per tick']) : '–',
          String(i.heldPerViewer), String(i.flushMs), i.relevance === 'none' ? String(BEFORE['interest / none / flush ms']) : '–', String(i.flushP95Ms),
        ]),
      ),
    ].join('\n')
  },
}
