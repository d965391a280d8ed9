/**
 * Group "loss": ours over the in-memory link simulator at 0 / 10 / 30 % loss on the unreliable channel
 * (both directions; one-way latency 25 ms + up to 10 ms jitter, the reliable channel pays a retransmission
 * delay instead of losing). 1 000 entities, 10 % walking, one receiver. Reports the bytes per tick the
 * sender puts on the link while the world moves, the ack bytes coming back, and — after every walker
 * stops — the ticks until the receiver's world equals the sender's within quantization precision
 * (the cost of ack-based healing: nothing is retransmitted, the next delta is against an older baseline).
 */
import { createOursLink, oursAvailable } from '../contenders/ours.js'
import { fmtInt, mdTable, mean, median, round, textTable } from '../stats.js'
import { createBenchWorld, TICK_HZ } from '../world.js'
import type { BenchGroup, GroupContext, GroupOutput } from './types.js'

export interface LossRow {
  loss: number
  bytesPerTick: number
  ticksToConverge: number
  /** Worst of the repetitions (ticksToConverge is their median). -1 = did not converge within the cap. */
  ticksToConvergeMax: number
  ackBytesPerTick: number
  /** Bytes per tick sender → receiver while idle, 30–60 ticks after the stop (headers/acks only). */
  idleBytesPerTick: number
  /** Fraction of unreliable packets the simulator actually dropped (sender → receiver). */
  measuredLoss: number
  repetitions: number
  entities: number
  moving: number
  /** Every repetition converged within the cap. */
  converged: boolean
}

export interface LossMeta {
  latencyMs: number
  jitterMs: number
  movingTicks: number
  warmup: number
  capTicks: number
  pending?: string
}

const LOSSES = [0, 0.1, 0.3]
const LATENCY = 25
const JITTER = 10

export const lossGroup: BenchGroup<LossRow[], LossMeta> = {
  name: 'loss',
  title: 'Ours under packet loss: bytes and ticks to converge',
  inQuick: true,
  async run(ctx: GroupContext): Promise<GroupOutput<LossRow[], LossMeta>> {
    const reps = ctx.quick ? 1 : 5
    const movingTicks = ctx.quick ? 60 : 300
    const warmup = ctx.quick ? 30 : 60
    const cap = 300
    const entities = 1000
    const moving = 0.1
    const meta: LossMeta = { latencyMs: LATENCY, jitterMs: JITTER, movingTicks, warmup, capTicks: cap }
    if (!oursAvailable()) {
      meta.pending = 'createNetwork is not available yet (src/ecs): the loss group needs the real replication core'
      ctx.log(`  pending: ${meta.pending}`)
      return { result: [], meta }
    }
    const rows: LossRow[] = []
    const dtMs = 1000 / TICK_HZ
    for (const loss of LOSSES) {
      const bytes: number[] = []
      const acks: number[] = []
      const idle: number[] = []
      const converge: number[] = []
      let dropped = 0
      let sent = 0
      let correct = true
      for (let rep = 0; rep < reps; rep++) {
        const world = createBenchWorld(entities, moving, 0x5eed + rep)
        const link = await createOursLink(world, { loss, latencyMs: LATENCY, jitterMs: JITTER, seed: 1 + rep * 7919 + Math.round(loss * 100) })
        const tick = () => {
          world.step()
          link.senderReceive()
          link.flush()
          link.advance(dtMs)
          link.receiverReceive()
          link.receiverFlush()
        }
        for (let t = 0; t < warmup; t++) tick()
        const c0 = link.counters()
        for (let t = 0; t < movingTicks; t++) tick()
        const c1 = link.counters()
        bytes.push((c1.toReceiverBytes - c0.toReceiverBytes) / movingTicks)
        acks.push((c1.toSenderBytes - c0.toSenderBytes) / movingTicks)
        dropped += c1.toReceiverDropped - c0.toReceiverDropped
        sent += c1.toReceiverPackets - c0.toReceiverPackets
        // A moving world is never exactly equal (the receiver is a latency behind), so correctness while
        // moving is judged after convergence: stop and count.
        world.stop()
        let ticks = -1
        const abs = new Float64Array(6)
        for (let t = 1; t <= cap; t++) {
          tick()
          if (link.check(abs) <= 1) {
            ticks = t
            break
          }
        }
        if (ticks < 0) correct = false
        converge.push(ticks < 0 ? Infinity : ticks)
        // Idle cost once the last changes are acknowledged: skip 30 ticks, then measure 30.
        for (let t = 0; t < 30; t++) tick()
        const i0 = link.counters()
        for (let t = 0; t < 30; t++) tick()
        const i1 = link.counters()
        idle.push((i1.toReceiverBytes - i0.toReceiverBytes) / 30)
        link.dispose()
      }
      const worst = Math.max(...converge)
      rows.push({
        loss,
        bytesPerTick: round(mean(bytes), 1),
        ticksToConverge: median(converge),
        ticksToConvergeMax: Number.isFinite(worst) ? worst : -1,
        ackBytesPerTick: round(mean(acks), 1),
        idleBytesPerTick: round(mean(idle), 1),
        measuredLoss: round(sent ? dropped / sent : 0, 3),
        repetitions: reps,
        entities,
        moving,
        converged: correct,
      })
      ctx.log(`  loss ${loss * 100} %: ${fmtInt(rows.at(-1)!.bytesPerTick)} B/tick, converged in ${rows.at(-1)!.ticksToConverge} ticks (max ${rows.at(-1)!.ticksToConvergeMax})`)
    }
    const base = rows.find((r) => r.loss === 0)
    const ratios: Record<string, number> = {}
    if (base && base.bytesPerTick > 0) for (const r of rows) if (r.loss > 0) ratios[`loss_bytes_vs_lossless_${r.loss}`] = round(r.bytesPerTick / base.bytesPerTick, 4)
    return { result: rows, meta, ratios }
  },
  table(rows, meta) {
    if (rows.length === 0) return `(no rows${meta?.pending ? `: ${meta.pending}` : ''})`
    return textTable(
      ['loss', 'B/tick', 'ack B/tick', 'idle B/tick', 'ticks to converge', 'max'],
      rows.map((r) => [`${r.loss * 100} %`, fmtInt(r.bytesPerTick), fmtInt(r.ackBytesPerTick), r.idleBytesPerTick, r.ticksToConverge, r.ticksToConvergeMax]),
    )
  },
  markdown(rows, meta) {
    if (rows.length === 0) return `Pending: ${meta?.pending ?? 'not run'}.`
    const m = meta!
    return [
      `${rows[0].entities.toLocaleString('en-US')} entities, ${rows[0].moving * 100} % walking, one receiver; link one-way latency ${m.latencyMs} ms + up to ${m.jitterMs} ms jitter, ` +
        `loss applied to the unreliable channel in both directions (the reliable channel retransmits). Bytes are measured over ${m.movingTicks} moving ticks after ${m.warmup} warm-up ticks; ` +
        `then every walker stops and we count ticks until the receiver equals the sender within quantization precision (median of ${rows[0].repetitions} seeds, max alongside).`,
      '',
      mdTable(
        ['loss', 'bytes/tick (sender → receiver)', 'ack bytes/tick (back)', 'idle bytes/tick', 'ticks to converge (median)', 'max', 'packets dropped'],
        rows.map((r) => [`${r.loss * 100} %`, fmtInt(r.bytesPerTick), fmtInt(r.ackBytesPerTick), String(r.idleBytesPerTick), String(r.ticksToConverge), r.ticksToConvergeMax < 0 ? '**never**' : String(r.ticksToConvergeMax), `${(r.measuredLoss * 100).toFixed(1)} %`]),
      ),
    ].join('\n')
  },
}
