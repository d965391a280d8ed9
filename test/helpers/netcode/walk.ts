/**
 * The walk of the netcode probes: an entity walking at 5 m/s on the x/z plane, one step per 30 Hz tick, turning at
 * corners (90°) or, with `reversals`, half of its turns 180° (it walks back the way it came). Seeded, so a run is
 * the same every time. `Truth` records where the sender put it at each tick (hub time) and answers where it was at
 * any time between: the sampled path is the truth (the sender's game runs at 30 Hz).
 */
import { createRng } from '../../../src/transport/memory/rng.js'

export const SPEED = 5
export const TICK_HZ = 30
export const TICK_MS = 1000 / TICK_HZ
/** One tick of motion at 5 m/s. */
export const TICK_STEP = SPEED / TICK_HZ

export class Walk {
  x: number
  z: number
  private dir = 0
  private left: number
  private readonly rng: () => number

  constructor(
    seed: number,
    private readonly reversals = false,
    x = 0,
    z = 0,
  ) {
    this.rng = createRng(seed)
    this.x = x
    this.z = z
    this.dir = Math.floor(this.rng() * 4)
    this.left = this.segment()
  }

  /** Heading as an angle (for yaw). */
  get yaw(): number {
    return [0, Math.PI / 2, -Math.PI, -Math.PI / 2][this.dir]
  }

  /** One tick forward; turns when the segment is walked. Stays within ±`bound` (turns back at the edge). */
  step(bound = 400): void {
    if (this.left-- <= 0) {
      const r = this.rng()
      this.dir = this.reversals && r < 0.5 ? (this.dir + 2) % 4 : (this.dir + (r < 0.75 ? 1 : 3)) % 4
      this.left = this.segment()
    }
    let nx = this.x + [TICK_STEP, 0, -TICK_STEP, 0][this.dir]
    let nz = this.z + [0, TICK_STEP, 0, -TICK_STEP][this.dir]
    if (Math.abs(nx) > bound || Math.abs(nz) > bound) {
      // At the edge: head back toward the centre along the axis that is out.
      this.dir = Math.abs(nx) > bound ? (nx > 0 ? 2 : 0) : nz > 0 ? 3 : 1
      this.left = this.segment()
      nx = this.x + [TICK_STEP, 0, -TICK_STEP, 0][this.dir]
      nz = this.z + [0, TICK_STEP, 0, -TICK_STEP][this.dir]
    }
    this.x = nx
    this.z = nz
  }

  private segment(): number {
    return 6 + Math.floor(this.rng() * 19)
  }
}

/** The sender's positions by hub time; `at(t)` interpolates between ticks (clamped at the ends). */
export class Truth {
  readonly t: number[] = []
  readonly x: number[] = []
  readonly z: number[] = []

  record(t: number, x: number, z: number): void {
    this.t.push(t)
    this.x.push(x)
    this.z.push(z)
  }

  /** Position at hub time `t` into `out` ([x, z]). */
  at(t: number, out: number[]): void {
    const ts = this.t
    const n = ts.length
    if (n === 0) {
      out[0] = out[1] = Number.NaN
      return
    }
    if (t <= ts[0]) {
      out[0] = this.x[0]
      out[1] = this.z[0]
      return
    }
    if (t >= ts[n - 1]) {
      out[0] = this.x[n - 1]
      out[1] = this.z[n - 1]
      return
    }
    let lo = 0
    let hi = n - 1
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1
      if (ts[mid] <= t) lo = mid
      else hi = mid
    }
    const u = (t - ts[lo]) / (ts[hi] - ts[lo])
    out[0] = this.x[lo] + (this.x[hi] - this.x[lo]) * u
    out[1] = this.z[lo] + (this.z[hi] - this.z[lo]) * u
  }

  /**
   * How old the state (x, z) is at hub time `now`: now minus the time of the newest tick whose position it equals
   * (within `eps`), looking back `within` ticks; Infinity if none.
   */
  staleness(now: number, x: number, z: number, within = 300, eps = 0.0011): number {
    for (let k = this.t.length - 1; k >= 0 && k >= this.t.length - within; k--) {
      if (Math.abs(this.x[k] - x) <= eps && Math.abs(this.z[k] - z) <= eps) return now - this.t[k]
    }
    return Number.POSITIVE_INFINITY
  }
}
