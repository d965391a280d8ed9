/**
 * The physics-cube world, after Glenn Fiedler's "Snapshot Compression" demo: 901 cubes at 60 Hz, one player cube
 * that roams and 900 small cubes on a 30 × 30 grid (1.5 m apart) that rest until the player comes close, then fly
 * off (kicked away and up, spinning), bounce on the ground losing energy, and come to rest again where they land.
 * Position on the schema's grid (x, y ±256 m, height 0..32 m, 1/512 m), orientation a unit quaternion. Seeded:
 * every run moves the same cubes the same way. Not a physics engine: ballistic flight, a damped bounce, no
 * cube–cube contact; what matters here is the share of cubes moving (reported) and that they move smoothly.
 */
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { createPhysicsSchema, type PhysicsSchema } from '../generated/physics/schema.js'
import { createRng } from '../src/transport/memory/rng.js'

export const CUBES_HZ = 60
const DT = 1 / CUBES_HZ
const GRID = 30
const SPACING = 1.5
const HALF = 0.5
const GRAVITY = 9.81
const KICK_RADIUS = 4
const PLAYER_SPEED = 8

export interface CubesWorld {
  readonly world: World
  readonly physics: PhysicsSchema
  /** Entity ids; index 0 is the player cube. */
  readonly eids: Uint32Array
  /** Cubes that moved in the last step. */
  moving: number
  step(): void
}

export function createCubesWorld(seed = 0xc0be): CubesWorld {
  const rand = createRng(seed)
  const world = createWorld()
  const n = GRID * GRID + 1
  const eids = new Uint32Array(n)
  for (let i = 0; i < n; i++) eids[i] = addEntity(world)
  const physics = createPhysicsSchema(Math.max(...eids) + 1)
  const P = physics.CubePosition
  const O = physics.CubeOrientation
  const vel = new Float64Array(n * 3)
  const spin = new Float64Array(n * 3)
  const flying = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const e = eids[i]
    addComponent(world, e, P)
    addComponent(world, e, O)
    const gx = (i - 1) % GRID
    const gy = Math.floor((i - 1) / GRID)
    P.x[e] = i === 0 ? 0 : (gx - (GRID - 1) / 2) * SPACING
    P.y[e] = i === 0 ? 0 : (gy - (GRID - 1) / 2) * SPACING
    P.z[e] = i === 0 ? 1 : HALF
    // Resting on a face, turned about the vertical axis.
    const yaw = rand() * Math.PI * 2
    O.x[e] = 0
    O.y[e] = 0
    O.z[e] = Math.sin(yaw / 2)
    O.w[e] = Math.cos(yaw / 2)
  }
  let t = 0
  const state: CubesWorld = {
    world,
    physics,
    eids,
    moving: 0,
    step() {
      t += DT
      let moving = 1
      // The player cube roams a Lissajous path over the grid, rolling.
      const p = eids[0]
      const px = 20 * Math.sin((t * PLAYER_SPEED) / 20)
      const py = 20 * Math.sin((t * PLAYER_SPEED) / 27 + 1)
      P.x[p] = px
      P.y[p] = py
      rotate(O, p, 0, 0, PLAYER_SPEED, DT)
      for (let i = 1; i < n; i++) {
        const e = eids[i]
        const v = i * 3
        if (!flying[i]) {
          const dx = P.x[e] - px
          const dy = P.y[e] - py
          const d = Math.hypot(dx, dy)
          if (d > KICK_RADIUS) continue
          // Kicked: away from the player and up, spinning.
          const push = 2 + rand() * 2
          vel[v] = (dx / (d || 1)) * push
          vel[v + 1] = (dy / (d || 1)) * push
          vel[v + 2] = 4 + rand() * 4
          for (let k = 0; k < 3; k++) spin[v + k] = (rand() * 2 - 1) * 8
          flying[i] = 1
        }
        moving++
        vel[v + 2] -= GRAVITY * DT
        P.x[e] += vel[v] * DT
        P.y[e] += vel[v + 1] * DT
        P.z[e] += vel[v + 2] * DT
        rotate(O, e, spin[v], spin[v + 1], spin[v + 2], DT)
        if (P.z[e] <= HALF) {
          P.z[e] = HALF
          vel[v + 2] = -vel[v + 2] * 0.6
          vel[v] *= 0.6
          vel[v + 1] *= 0.6
          for (let k = 0; k < 3; k++) spin[v + k] *= 0.5
          if (vel[v + 2] < 0.6) flying[i] = 0 // at rest where it landed
        }
      }
      state.moving = moving
    },
  }
  return state
}

/** q ← q + ½·(0, ω)·q·dt, normalized (angular velocity ω in world axes, rad/s). */
function rotate(O: PhysicsSchema['CubeOrientation'], e: number, wx: number, wy: number, wz: number, dt: number): void {
  const x = O.x[e]
  const y = O.y[e]
  const z = O.z[e]
  const w = O.w[e]
  const h = dt / 2
  const nx = x + h * (wx * w + wy * z - wz * y)
  const ny = y + h * (wy * w + wz * x - wx * z)
  const nz = z + h * (wz * w + wx * y - wy * x)
  const nw = w - h * (wx * x + wy * y + wz * z)
  const len = Math.hypot(nx, ny, nz, nw)
  O.x[e] = nx / len
  O.y[e] = ny / len
  O.z[e] = nz / len
  O.w[e] = nw / len
}
