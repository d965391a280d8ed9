import { addComponent, addEntity, createWorld } from 'bitecs'
import { createNetwork } from '../src/ecs/index.js'
import { createMemoryNetwork } from '../src/transport/memory/index.js'
import { createTestSchema } from '../test/helpers/test-schema.js'
const N = 10000
const hub = createMemoryNetwork({ seed: 1 })
const mk = (id: string) => { const s = createTestSchema(N + 16); const world = createWorld(); return { s, world, net: createNetwork(world, { schema: s.schema, transport: hub.join(id), maxEntities: N + 16 }) } }
const a = mk('a'), b = mk('b')
const times: number[] = []
const tick = (time: boolean) => { a.net.receive(); b.net.receive(); const t0 = performance.now(); a.net.flush(); if (time) times.push(performance.now() - t0); b.net.flush(); hub.advance(1000 / 30) }
for (let i = 0; i < 3; i++) tick(false)
const eids: number[] = []
for (let i = 0; i < N; i++) { const e = addEntity(a.world); addComponent(a.world, e, a.s.Transform); addComponent(a.world, e, a.s.Velocity); a.s.Transform.x[e] = (i % 200) - 100; a.s.Transform.z[e] = Math.floor(i / 200) - 100; a.net.spawn(e); eids.push(e) }
const moving = eids.filter((_, i) => i % 10 === 0)
const move = (t: number) => { for (const e of moving) { a.s.Transform.x[e] += 0.05; a.s.Transform.z[e] -= 0.03; a.s.Transform.yaw[e] = ((t % 120) / 120) * 6 - 3 } }
for (let t = 0; t < 400; t++) { move(t); tick(false) }
for (let t = 0; t < 600; t++) { move(400 + t); tick(true) }
times.sort((x, y) => x - y)
console.log('median', times[300].toFixed(3), 'p95', times[570].toFixed(3), 'remote', b.net.stats.entities.remote)
