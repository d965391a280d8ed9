/**
 * Group "flush": the replication core alone, one sender and one receiver over the in-memory transport (the test
 * schema: Transform + Velocity; moving entities change x, z and yaw each tick). Bytes per tick at 1 000 entities
 * with 10 % and 100 % moving, and the time of one sender `net.flush()` (change detection + encode + handing the
 * packets to the transport) at 10 000 entities with 10 % moving: per round the median over the measured ticks,
 * reported as the median of the rounds' medians (single rounds vary by ±30 % on a loaded machine).
 *
 * `npm run bench -- --only=flush` (5 rounds of 300 ticks; `FLUSH_ROUNDS=n` for another count; --quick: 1 round of 60).
 */
import { addComponent, addEntity, createWorld } from 'bitecs'
import { createNetwork } from '../../src/ecs/index.js'
import { createMemoryNetwork } from '../../src/transport/memory/index.js'
import { createTestSchema } from '../../test/helpers/test-schema.js'
import { fmtInt, mdTable, median, round, textTable } from '../stats.js'
import type { BenchGroup, GroupContext, GroupOutput } from './types.js'

export interface FlushRow {
  entities: number
  moving: number
  bytesPerTick: number
  packetsPerTick: number
  /** Median over rounds of each round's median flush() time, ms. */
  flushMsMedian: number
  /** p95 of flush() time in the first round, ms. */
  flushMsP95: number
  /** Each round's median, ms. */
  roundMedians: number[]
}

export interface FlushMeta {
  ticks: number
  rounds: number
}

interface Round {
  bytesPerTick: number
  packetsPerTick: number
  median: number
  p95: number
}

function scenario(entities: number, movingShare: number, ticks: number): Round {
  const hub = createMemoryNetwork({ seed: 1 })
  const mk = (id: string) => {
    const s = createTestSchema(entities + 16)
    const world = createWorld()
    const net = createNetwork(world, { schema: s.schema, transport: hub.join(id), maxEntities: entities + 16 })
    return { s, world, net }
  }
  const a = mk('a')
  const b = mk('b')
  const tick = (timeFlush: boolean): number => {
    a.net.receive()
    b.net.receive()
    const t0 = performance.now()
    a.net.flush()
    const dt = performance.now() - t0
    b.net.flush()
    hub.advance(1000 / 30)
    return timeFlush ? dt : 0
  }
  for (let i = 0; i < 3; i++) tick(false)
  const eids: number[] = []
  for (let i = 0; i < entities; i++) {
    const e = addEntity(a.world)
    addComponent(a.world, e, a.s.Transform)
    addComponent(a.world, e, a.s.Velocity)
    a.s.Transform.x[e] = (i % 200) - 100
    a.s.Transform.z[e] = Math.floor(i / 200) - 100
    a.net.spawn(e)
    eids.push(e)
  }
  for (let i = 0; i < 10; i++) tick(false)
  const step = Math.round(1 / movingShare)
  const moving = eids.filter((_, i) => i % step === 0)
  const move = (t: number): void => {
    for (const e of moving) {
      a.s.Transform.x[e] += 0.05
      a.s.Transform.z[e] -= 0.03
      a.s.Transform.yaw[e] = ((t % 120) / 120) * 6 - 3
    }
  }
  for (let t = 0; t < 60; t++) {
    move(t)
    tick(false)
  }
  const before = hub.counters('a', 'b').unreliable
  const times: number[] = []
  for (let t = 0; t < ticks; t++) {
    move(60 + t)
    times.push(tick(true))
  }
  const after = hub.counters('a', 'b').unreliable
  a.net.close()
  b.net.close()
  hub.dispose()
  times.sort((x, y) => x - y)
  return {
    bytesPerTick: (after.sentBytes - before.sentBytes) / ticks,
    packetsPerTick: (after.sent - before.sent) / ticks,
    median: times[Math.floor(times.length / 2)],
    p95: times[Math.floor(times.length * 0.95)],
  }
}

const SCENARIOS: [entities: number, moving: number][] = [
  [1000, 0.1],
  [1000, 1],
  [10_000, 0.1],
]

export const flushGroup: BenchGroup<FlushRow[], FlushMeta> = {
  name: 'flush',
  title: 'The replication core alone: bytes per tick and flush() time',
  inQuick: true,
  async run(ctx: GroupContext): Promise<GroupOutput<FlushRow[], FlushMeta>> {
    const ticks = ctx.quick ? 60 : 300
    const rounds = ctx.quick ? 1 : Math.max(1, Number(process.env.FLUSH_ROUNDS ?? 5))
    const rows: FlushRow[] = []
    for (const [entities, moving] of SCENARIOS) {
      // The timing claim is about 10 000 entities; the smaller scenarios report bytes (identical every round).
      const n = entities === 10_000 ? rounds : 1
      const runs = Array.from({ length: n }, () => scenario(entities, moving, ticks))
      const row: FlushRow = {
        entities,
        moving,
        bytesPerTick: round(runs[0].bytesPerTick, 1),
        packetsPerTick: round(runs[0].packetsPerTick, 2),
        flushMsMedian: round(median(runs.map((r) => r.median))),
        flushMsP95: round(runs[0].p95),
        roundMedians: runs.map((r) => round(r.median)),
      }
      ctx.log(`  ${fmtInt(entities)} entities, ${moving * 100} % moving: ${fmtInt(row.bytesPerTick)} B/tick in ${row.packetsPerTick} packets; flush() ${row.flushMsMedian} ms (rounds: ${row.roundMedians.join(', ')})`)
      rows.push(row)
    }
    return { result: rows, meta: { ticks, rounds } }
  },
  table(rows) {
    return textTable(
      ['entities', 'moving', 'B/tick', 'packets', 'flush ms', 'p95 ms', 'round medians'],
      rows.map((r) => [r.entities, `${r.moving * 100} %`, fmtInt(r.bytesPerTick), r.packetsPerTick, r.flushMsMedian, r.flushMsP95, r.roundMedians.join(', ')]),
    )
  },
  markdown(rows, meta) {
    return [
      `One sender, one receiver over the in-memory transport (test schema), ${meta?.ticks ?? '?'} measured ticks per round; flush() time is the median of ${meta?.rounds ?? '?'} rounds' medians at 10 000 entities (one round for the smaller scenarios).`,
      '',
      mdTable(
        ['entities', 'moving', 'bytes/tick', 'packets/tick', 'flush() ms', 'p95 ms', 'round medians ms'],
        rows.map((r) => [fmtInt(r.entities), `${r.moving * 100} %`, fmtInt(r.bytesPerTick), r.packetsPerTick, r.flushMsMedian, r.flushMsP95, r.roundMedians.join(', ')]),
      ),
    ].join('\n')
  },
}
