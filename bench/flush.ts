/**
 * Replication figures: bytes per tick (1 000 entities, 10 % and 100 % moving) and the time of one
 * `net.flush()` (change detection + encode) for 10 000 entities with 10 % moving and one receiver.
 * Run: npx tsx bench/flush.ts            (FLUSH_ROUNDS=5 repeats the 10 000-entity case and reports the median
 * of the per-round medians: on a loaded machine single rounds vary by ±30 %).
 */
import { addComponent, addEntity, createWorld } from 'bitecs'
import { createNetwork } from '../src/ecs/index.js'
import { createMemoryNetwork } from '../src/transport/memory/index.js'
import { createTestSchema } from '../test/helpers/test-schema.js'

function scenario(entities: number, movingShare: number, ticks: number) {
  const hub = createMemoryNetwork({ seed: 1 })
  const mk = (id: string) => {
    const s = createTestSchema(entities + 16)
    const world = createWorld()
    const net = createNetwork(world, { schema: s.schema, transport: hub.join(id), maxEntities: entities + 16, now: hub.clock })
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
  times.sort((x, y) => x - y)
  return {
    entities,
    moving: moving.length,
    bytesPerTick: (after.sentBytes - before.sentBytes) / ticks,
    packetsPerTick: (after.sent - before.sent) / ticks,
    flushMsMedian: times[Math.floor(times.length / 2)],
    flushMsP95: times[Math.floor(times.length * 0.95)],
  }
}

const rounds = Math.max(1, Number(process.env.FLUSH_ROUNDS ?? 1))
const results = [scenario(1000, 0.1, 300), scenario(1000, 1, 300), scenario(10_000, 0.1, 300)]
for (const r of results) {
  console.log(
    `${r.entities} entities, ${r.moving} moving (x, z, yaw): ${r.bytesPerTick.toFixed(0)} B/tick in ${r.packetsPerTick} packets; ` +
      `flush() median ${r.flushMsMedian.toFixed(3)} ms, p95 ${r.flushMsP95.toFixed(3)} ms`,
  )
}
if (rounds > 1) {
  const medians = [results[2].flushMsMedian]
  for (let i = 1; i < rounds; i++) medians.push(scenario(10_000, 0.1, 300).flushMsMedian)
  medians.sort((x, y) => x - y)
  console.log(`10000 entities, ${rounds} rounds: flush() median of medians ${medians[Math.floor(medians.length / 2)].toFixed(3)} ms (${medians.map((m) => m.toFixed(3)).join(', ')})`)
}
