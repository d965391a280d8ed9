import { ErrorCode, MultiuserError } from '../shared/errors.js'

/**
 * Orientation as a unit quaternion, coded "smallest three" (Glenn Fiedler, "Snapshot Compression"): q and −q are
 * the same rotation, so the sign is chosen that makes the largest component positive; that component is then at
 * least 1/2 and the three others lie in [−1/√2, 1/√2], so only they are sent, each on `bits` bits, with the index
 * of the largest (2 bits). The receiver rebuilds the largest as √(1 − a² − b² − c²). 2 + 3·bits bits in all.
 *
 * The wire holds four canonical values (the delta coder's four wire slots, in field order x, y, z, w):
 * slot 0 = the index of the largest (0..3), slots 1..3 = the three others in x, y, z, w order, quantized.
 *
 * Error bound. With step s = √2 / (2^bits − 1) each of the three sent components is off by at most e = s / 2; the
 * rebuilt largest by at most ≈ 3e (|L − L'| ≤ ‖a − a'‖·(‖a‖ + ‖a'‖) / (L + L'), with L ≥ 1/2 so ‖a‖ / L ≤ √3); so
 * ‖q − q'‖ ≤ √12·e, and as a chord of unit quaternions is 2·sin(θ/4) for a rotation angle θ, the rotation is off
 * by at most θ = 4·asin(√3·e) ≈ 6.9·e radians: bits 9 → 0.55°, 10 → 0.27°, 12 → 0.069°, 16 → 0.0043°.
 * ({@link quaternionMaxAngleError} gives the figure; the tests check it on random and edge-case orientations.)
 * The input need not be normalized (it is, before coding); a zero or non-finite quaternion is sent as identity.
 */

/** Fewest / most bits per sent component. */
export const MIN_QUATERNION_BITS = 2
export const MAX_QUATERNION_BITS = 24

/** Range of the three sent components. */
export const SMALLEST_THREE_MAX = Math.SQRT1_2

/** Quantization step of a sent component. */
export function quaternionStep(bits: number): number {
  return (2 * SMALLEST_THREE_MAX) / (2 ** bits - 1)
}

/** The largest rotation error (radians) of smallest-three coding on `bits` bits (see the file's comment). */
export function quaternionMaxAngleError(bits: number): number {
  const e = quaternionStep(bits) / 2
  // (1 + e): the bound's second-order terms.
  return 4 * Math.asin(Math.min(1, Math.sqrt(3) * e * (1 + e)))
}

export function checkQuaternionBits(where: string, bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_QUATERNION_BITS || bits > MAX_QUATERNION_BITS) {
    throw new MultiuserError(ErrorCode.SCHEMA_INVALID, `${where}: rotation bits must be an integer in ${MIN_QUATERNION_BITS}..${MAX_QUATERNION_BITS} (got ${bits})`)
  }
}

/**
 * (x, y, z, w) → the four wire slots in `out[at .. at + 4)`: largest index, then the other three quantized to
 * [0, 2^bits − 1]. Ties go to the lowest index.
 */
export function quaternionToWire(x: number, y: number, z: number, w: number, bits: number, out: Float64Array, at: number): void {
  let n = Math.sqrt(x * x + y * y + z * z + w * w)
  if (!(n > 0) || !Number.isFinite(n)) {
    x = 0
    y = 0
    z = 0
    w = 1
    n = 1
  }
  const ax = Math.abs(x)
  const ay = Math.abs(y)
  const az = Math.abs(z)
  const aw = Math.abs(w)
  let largest = 0
  let big = ax
  if (ay > big) (largest = 1), (big = ay)
  if (az > big) (largest = 2), (big = az)
  if (aw > big) largest = 3
  const top = 2 ** bits - 1
  const step = (2 * SMALLEST_THREE_MAX) / top
  // Normalize, and flip the sign so the largest is positive.
  const k = ((largest === 0 ? x : largest === 1 ? y : largest === 2 ? z : w) < 0 ? -1 : 1) / n
  out[at] = largest
  let slot = at + 1
  for (let i = 0; i < 4; i++) {
    if (i === largest) continue
    const v = (i === 0 ? x : i === 1 ? y : i === 2 ? z : w) * k
    const q = Math.round((v + SMALLEST_THREE_MAX) / step)
    out[slot++] = q < 0 ? 0 : q > top ? top : q
  }
}

/**
 * The four wire slots `wire[at .. at + 4)` → (x, y, z, w) in `out[0..4)`, a unit quaternion. When `prev` (the
 * quaternion held so far, `prev[0..4)`) is given, the sign is chosen on its side (q·prev ≥ 0), so that values
 * interpolated between samples, component by component, do not pass through zero.
 */
export function quaternionFromWire(wire: ArrayLike<number>, at: number, bits: number, out: Float64Array, prev?: ArrayLike<number>): void {
  const top = 2 ** bits - 1
  const step = (2 * SMALLEST_THREE_MAX) / top
  const largest = wire[at] & 3
  let sum = 0
  let slot = at + 1
  for (let i = 0; i < 4; i++) {
    if (i === largest) continue
    let q = wire[slot++]
    q = q < 0 ? 0 : q > top ? top : q
    const v = q * step - SMALLEST_THREE_MAX
    out[i] = v
    sum += v * v
  }
  out[largest] = sum < 1 ? Math.sqrt(1 - sum) : 0
  if (sum > 1) {
    // Only a forged packet gets here (three components of a unit quaternion never exceed norm 1 by a step): normalize.
    const n = Math.sqrt(sum)
    for (let i = 0; i < 4; i++) out[i] /= n
  }
  if (prev !== undefined && out[0] * prev[0] + out[1] * prev[1] + out[2] * prev[2] + out[3] * prev[3] < 0) {
    for (let i = 0; i < 4; i++) out[i] = -out[i]
  }
}
