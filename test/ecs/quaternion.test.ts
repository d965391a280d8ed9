import { addComponent, addEntity, createWorld } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createPhysicsSchema, type PhysicsSchema } from '../../generated/physics/schema.js'
import { createNetwork, type Network } from '../../src/ecs/index.js'
import { quaternionMaxAngleError } from '../../src/protocol/quaternion.js'
import { createMemoryNetwork, createRng, type LinkOptions, type MemoryNetwork } from '../../src/transport/memory/index.js'

const TICK_MS = 1000 / 60
/** physics.proto: CubeOrientation is `rotation: QUATERNION, rotation_bits: 9`. */
const BOUND = quaternionMaxAngleError(9)

interface Peer { net: Network; p: PhysicsSchema; world: ReturnType<typeof createWorld> }

function setup(link?: LinkOptions): { hub: MemoryNetwork; join(id: string): Peer; step(peers: Peer[], ticks?: number): void } {
  const hub = createMemoryNetwork({ seed: 7, link })
  const join = (id: string): Peer => {
    const p = createPhysicsSchema(256)
    const world = createWorld()
    // The memory hub gives each peer its own large clock origin (pages loaded hours apart).
    return { net: createNetwork(world, { schema: p.schema, transport: hub.join(id), maxEntities: 256, tickRate: 60 }), p, world }
  }
  const step = (peers: Peer[], ticks = 1): void => {
    for (let t = 0; t < ticks; t++) {
      for (const x of peers) x.net.receive()
      for (const x of peers) x.net.flush()
      hub.advance(TICK_MS)
    }
  }
  return { hub, join, step }
}

const angle = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  const s = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] < 0 ? -1 : 1
  let d = 0
  for (let i = 0; i < 4; i++) d += (a[i] - s * b[i]) ** 2
  return 4 * Math.asin(Math.min(1, Math.sqrt(d) / 2))
}
const quat = (x: Peer, e: number): number[] => [x.p.CubeOrientation.x[e], x.p.CubeOrientation.y[e], x.p.CubeOrientation.z[e], x.p.CubeOrientation.w[e]]

function randomUnit(rand: () => number, out: PhysicsSchema['CubeOrientation'], e: number): void {
  const q = [rand() - 0.5, rand() - 0.5, rand() - 0.5, rand() - 0.5]
  const n = Math.hypot(...q)
  out.x[e] = q[0] / n
  out.y[e] = q[1] / n
  out.z[e] = q[2] / n
  out.w[e] = q[3] / n
}

function spawnCubes(a: Peer, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const e = addEntity(a.world)
    addComponent(a.world, e, a.p.CubePosition)
    addComponent(a.world, e, a.p.CubeOrientation)
    a.p.CubePosition.x[e] = i
    a.p.CubePosition.z[e] = 0.5
    a.p.CubeOrientation.w[e] = 1
    a.net.spawn(e)
    return e
  })
}

describe('a rotation: QUATERNION component over the network', () => {
  it('arrives within the documented angle bound every tick, in 2 + 3 × 9 bits plus its masks', () => {
    const { join, step } = setup()
    const a = join('a')
    const b = join('b')
    step([a, b], 3)
    const [e] = spawnCubes(a, 1)
    step([a, b], 10)
    const rand = createRng(3)
    const bytes0 = a.net.stats.components['physics.CubeOrientation'].bytes
    let worst = 0
    const ticks = 120
    for (let t = 0; t < ticks; t++) {
      // A fresh orientation each tick: nothing for relative coding to gain, the absolute smallest three goes.
      randomUnit(rand, a.p.CubeOrientation, e)
      step([a, b])
      b.net.receive()
      const r = b.net.eidOf(a.net.netIdOf(e)!)!
      worst = Math.max(worst, angle(quat(a, e), quat(b, r)))
    }
    expect(worst).toBeLessThanOrEqual(BOUND + 1e-6)
    expect(worst).toBeGreaterThan(0)
    const perTick = (a.net.stats.components['physics.CubeOrientation'].bytes - bytes0) / ticks
    // 29 bits of slots, a present bit and the 4-bit mask, up to 4 mode bits: at most 38 bits, under 5 bytes
    // (four float32s would be 16).
    expect(perTick).toBeLessThanOrEqual(38 / 8)
    expect(perTick).toBeGreaterThanOrEqual(29 / 8)
  })

  it('converges under 25 % loss with reordering, and a late joiner gets it in its snapshot', () => {
    const { join, step } = setup({ loss: 0.25, latency: 40, jitter: 30, duplicate: 0.05 })
    const a = join('a')
    const b = join('b')
    step([a, b], 5)
    const eids = spawnCubes(a, 20)
    step([a, b], 30)
    const rand = createRng(11)
    // Spinning cubes: small turns each tick (relative coding), a few fresh orientations.
    const spin = eids.map(() => [rand() * 6 - 3, rand() * 6 - 3, rand() * 6 - 3])
    for (let t = 0; t < 180; t++) {
      eids.forEach((e, i) => {
        if (rand() < 0.02) return randomUnit(rand, a.p.CubeOrientation, e)
        const O = a.p.CubeOrientation
        const [wx, wy, wz] = spin[i]
        const h = 1 / 120
        const x = O.x[e], y = O.y[e], z = O.z[e], w = O.w[e]
        const q = [x + h * (wx * w + wy * z - wz * y), y + h * (wy * w + wz * x - wx * z), z + h * (wz * w + wx * y - wy * x), w - h * (wx * x + wy * y + wz * z)]
        const n = Math.hypot(...q)
        O.x[e] = q[0] / n; O.y[e] = q[1] / n; O.z[e] = q[2] / n; O.w[e] = q[3] / n
      })
      step([a, b])
    }
    const c = join('c')
    const off = (x: Peer): number => Math.max(...eids.map((e) => {
      const r = x.net.eidOf(a.net.netIdOf(e)!)
      return r === undefined ? Infinity : angle(quat(a, e), quat(x, r))
    }))
    let ticks = 0
    for (; ticks < 300 && (off(b) > BOUND + 1e-6 || off(c) > BOUND + 1e-6); ticks++) step([a, b, c])
    expect(off(b)).toBeLessThanOrEqual(BOUND + 1e-6)
    expect(off(c)).toBeLessThanOrEqual(BOUND + 1e-6)
    expect(b.net.stats.dropped.malformed).toBe(0)
  })
})
