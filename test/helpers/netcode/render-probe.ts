/**
 * The render probe: what a player sees of a remote walker. Two peers on the memory hub (seeded, virtual time, each
 * its own clock), the sender flushing at 30 Hz, the receiver rendering at 60 frames per second through
 * `net.interpolated(Transform)` (default 100 ms interpolation delay). Each frame compares the drawn position with
 * where the walker really was `interpolationDelay + latency` earlier (the truth the renderer aims at: the newest
 * state can be no younger than the link's minimum one-way latency), and counts snaps: frames whose step is more than
 * twice the true step (plus 2 mm of quantization). After the walk the walker stops, and the probe counts the ticks
 * until the receiver's store holds the sender's values.
 */
import { addComponent, addEntity, createWorld } from 'bitecs'
import { createNetwork, type Network, type NetworkOptions } from '../../../src/ecs/index.js'
import { createMemoryNetwork, type LinkOptions } from '../../../src/transport/memory/index.js'
import { createTestSchema, TransformDef, type TestSchema } from '../test-schema.js'
import { TICK_MS, Truth, Walk } from './walk.js'

export interface RenderProbeOptions {
  link: LinkOptions
  seed: number
  reversals?: boolean
  /** Ticks of walking measured (after 2 s of warm-up walking). Default 600 (20 s). */
  ticks?: number
  /** Ticks to wait for convergence after the stop. Default 300. */
  stopCap?: number
  net?: Partial<NetworkOptions>
}

export interface RenderProbeResult {
  /** Largest distance between the drawn and the true position (m), over the measured frames. */
  maxError: number
  /** Mean of it. */
  meanError: number
  /** Frames whose step exceeded twice the true step (+ 2 mm). */
  snaps: number
  frames: number
  /** Ticks after the stop until the receiver's store equals the sender's (wire values); -1 = not within stopCap. */
  convergeTicks: number
}

const FRAME_MS = TICK_MS / 2
const WARMUP_TICKS = 60

interface Side {
  s: TestSchema
  net: Network
}

export function renderProbe(o: RenderProbeOptions): RenderProbeResult {
  const hub = createMemoryNetwork({ seed: o.seed, link: o.link })
  const mk = (id: string): Side => {
    const s = createTestSchema(64)
    const world = createWorld()
    const net = createNetwork(world, { schema: s.schema, transport: hub.join(id), maxEntities: 64, ...o.net })
    return { s, net }
  }
  const a = mk('a')
  const b = mk('b')
  const aWorld = a.net.world
  const walk = new Walk(o.seed * 7 + 1, o.reversals === true)
  const e = addEntity(aWorld)
  addComponent(aWorld, e, a.s.Transform)
  a.s.Transform.x[e] = walk.x
  a.s.Transform.z[e] = walk.z
  const truth = new Truth()
  const delay = o.net?.interpolationDelay ?? 100
  const lead = delay + (o.link.latency ?? 0)
  const ticks = o.ticks ?? 600
  let frame = 0
  let moving = true
  let spawned = false
  let replica = -1
  const view = b.net.interpolated(b.s.Transform)
  const want = [0, 0]
  const prevTruth = [0, 0]
  let prevX = Number.NaN
  let prevZ = Number.NaN
  let maxError = 0
  let sumError = 0
  let frames = 0
  let snaps = 0
  // One frame: the sender's tick every other frame (move, receive, flush), the receiver's receive every frame and
  // flush every other, then the clock moves a frame on.
  const runFrame = (measure: boolean): void => {
    const tickFrame = frame % 2 === 0
    if (tickFrame) {
      if (moving && spawned) walk.step()
      a.s.Transform.x[e] = walk.x
      a.s.Transform.z[e] = walk.z
      a.s.Transform.yaw[e] = walk.yaw
      a.net.receive()
      if (!spawned && a.net.selfId) {
        a.net.spawn(e)
        spawned = true
      }
      a.net.flush()
      truth.record(hub.now, walk.x, walk.z)
    }
    b.net.receive()
    if (tickFrame) b.net.flush()
    if (replica < 0 && spawned) {
      const id = a.net.netIdOf(e)
      replica = id ? (b.net.eidOf(id) ?? -1) : -1
    }
    if (replica >= 0) {
      truth.at(hub.now - lead, want)
      const x = view.x[replica]
      const z = view.z[replica]
      if (measure) {
        const err = Math.hypot(x - want[0], z - want[1])
        maxError = Math.max(maxError, err)
        sumError += err
        frames++
        const step = Math.hypot(x - prevX, z - prevZ)
        const trueStep = Math.hypot(want[0] - prevTruth[0], want[1] - prevTruth[1])
        if (step > 2 * trueStep + 0.002) snaps++
      }
      prevX = x
      prevZ = z
      prevTruth[0] = want[0]
      prevTruth[1] = want[1]
    }
    hub.advance(FRAME_MS)
    frame++
  }
  for (let t = 0; t < 10; t++) runFrame(false)
  for (let t = 0; t < WARMUP_TICKS * 2; t++) runFrame(false)
  for (let t = 0; t < ticks * 2; t++) runFrame(true)
  moving = false
  let convergeTicks = -1
  const cap = o.stopCap ?? 300
  const [fx, , fz] = TransformDef.fields
  for (let t = 1; t <= cap && convergeTicks < 0; t++) {
    runFrame(false)
    runFrame(false)
    const same = fx.toWire(a.s.Transform.x[e]) === fx.toWire(b.s.Transform.x[replica]) && fz.toWire(a.s.Transform.z[e]) === fz.toWire(b.s.Transform.z[replica])
    if (same) convergeTicks = t
  }
  hub.dispose()
  return { maxError, meanError: frames ? sumError / frames : 0, snaps, frames, convergeTicks }
}
