/**
 * The late-join probe: a sender holding `entities` still entities (Transform and Velocity, every field set), and a
 * receiver that joins. Counts every byte the sender puts on the link to the newcomer (both channels, hello and
 * headers included) until the newcomer's world holds every entity with the sender's values, and compares it with
 * the state's quantized size: Transform 3 × 20 + 12 bits and Velocity 2 × 14 bits = 100 bits = 12.5 B per entity.
 */
import { addComponent, addEntity, createWorld } from 'bitecs'
import { createNetwork, type Network, type NetworkOptions } from '../../../src/ecs/index.js'
import { createMemoryNetwork, type LinkOptions } from '../../../src/transport/memory/index.js'
import { createRng } from '../../../src/transport/memory/rng.js'
import { createTestSchema, TransformDef, VelocityDef, type TestSchema } from '../test-schema.js'
import { TICK_MS } from './walk.js'

export const STATE_BYTES = (3 * 20 + 12 + 2 * 14) / 8

export interface JoinProbeResult {
  entities: number
  /** Bytes sender → newcomer until converged. */
  bytes: number
  bytesPerEntity: number
  /** bytes ÷ (entities × STATE_BYTES). */
  ratio: number
  /** Ticks from the join until converged (-1: not within the cap). */
  ticks: number
}

export function joinProbe(entities = 500, o: { seed?: number; link?: LinkOptions; net?: Partial<NetworkOptions> } = {}): JoinProbeResult {
  const hub = createMemoryNetwork({ seed: o.seed ?? 1, link: o.link })
  const cap = entities + 16
  const mk = (id: string): { s: TestSchema; net: Network } => {
    const s = createTestSchema(cap)
    return { s, net: createNetwork(createWorld(), { schema: s.schema, transport: hub.join(id), maxEntities: cap, ...o.net }) }
  }
  const a = mk('a')
  const rng = createRng(o.seed ?? 1)
  const eids: number[] = []
  for (let i = 0; i < entities; i++) {
    const e = addEntity(a.net.world)
    addComponent(a.net.world, e, a.s.Transform)
    addComponent(a.net.world, e, a.s.Velocity)
    a.s.Transform.x[e] = (rng() - 0.5) * 1000
    a.s.Transform.y[e] = (rng() - 0.5) * 1000
    a.s.Transform.z[e] = (rng() - 0.5) * 1000
    a.s.Transform.yaw[e] = (rng() - 0.5) * 6
    a.s.Velocity.x[e] = (rng() - 0.5) * 120
    a.s.Velocity.z[e] = (rng() - 0.5) * 120
    a.net.spawn(e)
    eids.push(e)
  }
  for (let t = 0; t < 3; t++) {
    a.net.receive()
    a.net.flush()
    hub.advance(TICK_MS)
  }
  const b = mk('b')
  const fields = [
    ...TransformDef.fields.map((f) => [f, a.s.Transform[f.name as 'x'], b.s.Transform[f.name as 'x']] as const),
    ...VelocityDef.fields.map((f) => [f, a.s.Velocity[f.name as 'x'], b.s.Velocity[f.name as 'x']] as const),
  ]
  const converged = (): boolean => {
    for (const e of eids) {
      const id = a.net.netIdOf(e)
      const r = id ? b.net.eidOf(id) : undefined
      if (r === undefined) return false
      for (const [f, from, to] of fields) if (f.toWire(from[e]) !== f.toWire(to[r])) return false
    }
    return true
  }
  const sent = (): number => {
    const c = hub.counters('a', 'b')
    return c.reliable.sentBytes + c.unreliable.sentBytes
  }
  let ticks = -1
  for (let t = 1; t <= 900; t++) {
    a.net.receive()
    b.net.receive()
    a.net.flush()
    b.net.flush()
    hub.advance(TICK_MS)
    if (b.net.stats.entities.remote === entities && converged()) {
      ticks = t
      break
    }
  }
  const bytes = sent()
  hub.dispose()
  return { entities, bytes, bytesPerEntity: bytes / entities, ratio: bytes / (entities * STATE_BYTES), ticks }
}
