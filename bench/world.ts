/**
 * The benchmark world, identical for every contender: N entities with Transform (x, y, z, yaw) and
 * Velocity (x, z) in bitECS SoA stores, a fixed, seeded subset of which walks each tick.
 *
 * Motion is a realistic walk at 30 Hz, not noise: each walker has a speed of 1.5–5 m/s that drifts
 * slowly, a heading that turns smoothly (turn rate does a damped random walk, |ω| ≤ 1.2 rad/s), steers
 * back toward the centre near the ±480 m edge, and follows gentle terrain (y = 2·sin(x/20)·cos(z/20)).
 * Positions stay within ±512 m. Idle entities never change.
 *
 * Two mover patterns: `fixed` (the same seeded f·N walk every tick) and `random` (a fresh random f·N subset walks
 * each tick, each entity keeping its own speed and heading between its turns: a baseline for relative coding is
 * then often older than one flush).
 */
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { createRng } from '../src/transport/memory/rng.js'
import { createGameSchema, type GameSchema, type TransformStore, type VelocityStore } from './schema.js'

export const TICK_HZ = 30
const DT = 1 / TICK_HZ
const EDGE = 480

export const terrain = (x: number, z: number): number => 2 * Math.sin(x / 20) * Math.cos(z / 20)

const wrapAngle = (a: number): number => {
  let r = (a + Math.PI) % (2 * Math.PI)
  if (r < 0) r += 2 * Math.PI
  return r - Math.PI
}

export interface BenchWorld {
  readonly entities: number
  readonly moving: number
  /** The sender's bitECS world (ours registers its entities here). */
  readonly world: World
  /** Entity ids, index i → eid. */
  readonly eids: Uint32Array
  /** Source stores, indexed by eid. Never cache their columns: a network may resize them in place. */
  readonly Transform: TransformStore
  readonly Velocity: VelocityStore
  /** The generated schema owning these stores (Color, Transform, Velocity), for a network on {@link world}. */
  readonly game: GameSchema
  /** Eids that changed in the last {@link step} (every walker, every tick while walking), ascending. */
  readonly moved: Uint32Array
  /** One tick of motion. */
  step(): void
  /** Walkers stop: the next {@link step} zeroes their velocity, later steps change nothing. */
  stop(): void
  /** Ticks stepped so far. */
  readonly tick: number
}

export type MoverPattern = 'fixed' | 'random'

export function createBenchWorld(entities: number, moving: number, seed = 0x5eed, pattern: MoverPattern = 'fixed'): BenchWorld {
  const rand = createRng(seed ^ (entities * 31) ^ Math.round(moving * 1000))
  const world = createWorld()
  const eids = new Uint32Array(entities)
  for (let i = 0; i < entities; i++) eids[i] = addEntity(world)
  let maxEid = 0
  for (const e of eids) maxEid = Math.max(maxEid, e)
  const game = createGameSchema(maxEid + 1)
  const { Transform, Velocity } = game
  for (let i = 0; i < entities; i++) {
    const e = eids[i]
    addComponent(world, e, Transform)
    addComponent(world, e, Velocity)
    const x = (rand() * 2 - 1) * 450
    const z = (rand() * 2 - 1) * 450
    Transform.x[e] = x
    Transform.z[e] = z
    Transform.y[e] = terrain(x, z)
    Transform.yaw[e] = wrapAngle(rand() * 2 * Math.PI)
  }
  // A fixed, seeded subset walks (Fisher–Yates prefix).
  const order = Array.from(eids)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  const count = Math.round(entities * moving)
  // Random pattern: every entity may walk, so every entity has walking state (indexed by its place in `order`).
  const pool = Uint32Array.from(pattern === 'random' ? order : order.slice(0, count))
  const speed = new Float64Array(pool.length)
  const heading = new Float64Array(pool.length)
  const turn = new Float64Array(pool.length)
  for (let k = 0; k < pool.length; k++) {
    speed[k] = 1.5 + rand() * 3.5
    heading[k] = Transform.yaw[pool[k]]
    turn[k] = (rand() * 2 - 1) * 0.5
  }
  // This tick's walkers (fixed: the first `count` of the pool; random: a fresh partial shuffle), and each eid's
  // place in the pool (its walking state).
  const slots = Uint32Array.from({ length: pool.length }, (_, k) => k)
  const kOf = new Int32Array(maxEid + 1).fill(-1)
  for (let k = 0; k < pool.length; k++) kOf[pool[k]] = k
  let walkers = pool.slice(0, count)
  // Handed to contenders that are given the changes: ascending eids.
  const sortedWalkers = walkers.slice().sort()
  let walking = true
  let stopping = false
  let tick = 0
  const none = new Uint32Array(0)
  const state: { -readonly [K in keyof BenchWorld]: BenchWorld[K] } = {
    entities,
    moving,
    world,
    eids,
    Transform,
    Velocity,
    game,
    moved: sortedWalkers.length > 0 ? sortedWalkers : none,
    get tick() {
      return tick
    },
    step() {
      tick++
      if (!walking) {
        if (state.moved.length > 0 && stopping) {
          for (const e of state.moved) {
            Velocity.x[e] = 0
            Velocity.z[e] = 0
          }
          stopping = false
        } else state.moved = none
        return
      }
      const T = Transform
      const V = Velocity
      if (pattern === 'random') {
        // A fresh subset: Fisher–Yates prefix of `count` over the pool's indexes (a new array: contenders may
        // cache per `moved` array).
        for (let i = 0; i < count; i++) {
          const j = i + Math.floor(rand() * (slots.length - i))
          const t = slots[i]
          slots[i] = slots[j]
          slots[j] = t
        }
        walkers = new Uint32Array(count)
        for (let i = 0; i < count; i++) walkers[i] = pool[slots[i]]
        walkers.sort()
        state.moved = walkers
      }
      for (let i = 0; i < walkers.length; i++) {
        const e = walkers[i]
        const k = kOf[e]
        const x = T.x[e]
        const z = T.z[e]
        let w = turn[k] * 0.98 + (rand() - 0.5) * 0.2
        if (Math.abs(x) > EDGE || Math.abs(z) > EDGE) {
          // Steer toward the centre.
          const want = Math.atan2(-z, -x)
          w = wrapAngle(want - heading[k]) > 0 ? 1.2 : -1.2
        }
        turn[k] = w > 1.2 ? 1.2 : w < -1.2 ? -1.2 : w
        heading[k] = wrapAngle(heading[k] + turn[k] * DT)
        const s = speed[k] + (rand() - 0.5) * 0.05
        speed[k] = s < 1.5 ? 1.5 : s > 5 ? 5 : s
        const vx = speed[k] * Math.cos(heading[k])
        const vz = speed[k] * Math.sin(heading[k])
        V.x[e] = vx
        V.z[e] = vz
        const nx = x + vx * DT
        const nz = z + vz * DT
        T.x[e] = nx
        T.z[e] = nz
        T.y[e] = terrain(nx, nz)
        T.yaw[e] = heading[k]
      }
    },
    stop() {
      walking = false
      stopping = true
    },
  }
  return state
}
