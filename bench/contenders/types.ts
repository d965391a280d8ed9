import type { BenchWorld } from '../world.js'

/** One contender set up on one world: a sender and one receiver. */
export interface ContenderInstance {
  /**
   * Game-side work a contender needs before {@link encode} that is not encoding (Colyseus: assigning the moved
   * values through its change-tracking setters). Timed apart by groups that report it (the `cpu` group).
   */
  prepare?(): void
  /**
   * Everything the sender does for this tick (its change detection, if any, and encoding for one receiver).
   * Returns the bytes that would go on the wire to that receiver this tick.
   */
  encode(): number
  /**
   * The bytes of the last {@link encode}, when counting them is no part of the sender's work (ours: summing the
   * in-memory transport's link counters): read after encode, not timed. Without it, encode's return value counts.
   */
  bytes?(): number
  /** Not timed: the transport moving bytes between encode and decode (ours: the in-memory link). */
  between?(): void
  /** Everything the receiver does to apply what {@link encode} produced. */
  decode(): void
  /** Not timed: bookkeeping after decode (ours: the receiver's ack goes back and the sender applies it). */
  after?(): void
  /**
   * Largest difference between the receiver's world and the source, in units of this contender's
   * tolerance (≤ 1 is correct). Also raises `abs[k]` to the worst absolute error of field k (FIELDS order). Not timed.
   */
  check(abs: Float64Array): number
  /** Extra per-scenario facts worth reporting (e.g. ack bytes). */
  extras?(): Record<string, number | string | boolean>
  dispose?(): void
}

export interface Contender {
  /** Key used in results.json (`contender`). */
  readonly name: string
  /** One line for RESULTS.md: what exactly is measured. */
  readonly description: string
  /** `delta`: sends changes only; `full`: the whole state every tick. */
  readonly kind: 'delta' | 'full'
  /** Skip scenarios this contender cannot run (returns a reason), e.g. capacity limits. */
  unsupported?(entities: number, moving: number): string | undefined
  create(world: BenchWorld): ContenderInstance | Promise<ContenderInstance>
}

/** Per-field tolerances, in the order of FIELDS (x, y, z, yaw, vx, vz). */
export type Tolerances = readonly [number, number, number, number, number, number]

/** Exact float32 transport: the decoded value must be the same float32. */
export const EXACT: Tolerances = [1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9]

const TWO_PI = 2 * Math.PI

/**
 * Max of |received - source| / tolerance over every entity and field. Yaw is compared on the circle.
 * A float32 store holds values to ~6e-5 at 512 m, so half a float32 ulp of slack is added per value.
 */
export function maxError(
  w: BenchWorld,
  read: (i: number, eid: number, out: Float64Array) => void,
  tol: Tolerances,
  abs?: Float64Array,
): number {
  const got = new Float64Array(6)
  const src = new Float64Array(6)
  let worst = 0
  const source = storeColumns(w.Transform, w.Velocity)
  for (let i = 0; i < w.entities; i++) {
    const e = w.eids[i]
    readColumns(source, e, src)
    read(i, e, got)
    for (let k = 0; k < 6; k++) {
      let d = Math.abs(got[k] - src[k])
      if (k === 3 && d > Math.PI) d = Math.abs(d - TWO_PI)
      if (Number.isNaN(d)) return Infinity
      if (abs && d > abs[k]) abs[k] = d
      const slack = Math.max(Math.abs(got[k]), Math.abs(src[k])) * 2 ** -24
      const r = d <= slack ? 0 : (d - slack) / tol[k]
      if (r > worst) worst = r
    }
  }
  return worst
}

/** A receiver's columns, indexed by eid (or by `replica[i]`): Transform x, y, z, yaw and Velocity x, z. */
export interface ReceiverColumns {
  x: ArrayLike<number>
  y: ArrayLike<number>
  z: ArrayLike<number>
  yaw: ArrayLike<number>
  vx: ArrayLike<number>
  vz: ArrayLike<number>
}

/** The columns of a receiver's Transform and Velocity stores (read them anew at each check: stores may be resized). */
export const storeColumns = (T: { x: ArrayLike<number>; y: ArrayLike<number>; z: ArrayLike<number>; yaw: ArrayLike<number> }, V: { x: ArrayLike<number>; z: ArrayLike<number> }): ReceiverColumns => ({
  x: T.x, y: T.y, z: T.z, yaw: T.yaw, vx: V.x, vz: V.z,
})

/**
 * ContenderInstance.check for a receiver that holds its world in columns: {@link maxError} of `rx` against the
 * source, entity i read at its eid, or at `replica[i]` when the receiver gave it another id.
 */
export function columnsError(w: BenchWorld, rx: ReceiverColumns, tol: Tolerances, abs: Float64Array, replica?: Int32Array): number {
  return maxError(w, (i, e, out) => readColumns(rx, replica ? replica[i] : e, out), tol, abs)
}

/** Entity `r`'s six values (FIELDS order) from `c` into `out`. */
function readColumns(c: ReceiverColumns, r: number, out: Float64Array): void {
  out[0] = c.x[r]
  out[1] = c.y[r]
  out[2] = c.z[r]
  out[3] = c.yaw[r]
  out[4] = c.vx[r]
  out[5] = c.vz[r]
}
