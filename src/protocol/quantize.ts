import { ErrorCode, MultiuserError } from '../shared/errors.js'

/** The `(multiuser.quantize)` field option as written in a .proto. */
export interface QuantizeOptions {
  /** Lowest value (default -pi for angles). */
  min?: number
  /** Highest value (default pi for angles). */
  max?: number
  /** Largest allowed error is precision / 2. Give `precision` or `bits`, not both. */
  precision?: number
  /** Width in bits (instead of `precision`). */
  bits?: number
  /** Wrapped angle: the range [min, max) is a circle (default [-π, π)). */
  angle?: boolean
}

/** A resolved quantizer: maps a number to an integer in [0, 2^bits) and back. */
export interface Quantizer {
  /** Lowest value. */
  readonly min: number
  /** Highest value. */
  readonly max: number
  /** Width in bits. */
  readonly bits: number
  /** Step between representable values. */
  readonly step: number
  /** Whether it is a wrapped angle. */
  readonly angle: boolean
  /** A value to its quantized integer (clamped; angles wrap). */
  quantize(value: number): number
  /** A quantized integer back to a value. */
  dequantize(q: number): number
}

export const MAX_QUANTIZE_BITS = 32

function invalid(message: string): never {
  throw new MultiuserError(ErrorCode.SCHEMA_INVALID, message)
}

/** Bits needed for a linear range: exactly ceil(log2((max - min) / precision + 1)). */
export function bitsForRange(min: number, max: number, precision: number): number {
  const steps = (max - min) / precision
  // Guard against float noise (e.g. 1024 / 0.001 = 1023999.9999999999).
  const rounded = Math.round(steps)
  const exact = Math.abs(steps - rounded) < 1e-9 * Math.max(1, steps) ? rounded : steps
  return Math.max(1, Math.ceil(Math.log2(exact + 1) - 1e-12))
}

// The quantizers' arithmetic as plain functions: a hot loop over many fields calls these with per-field
// parameters (one monomorphic, inlinable call site) instead of each field's `quantize` closure.

/** Step index of `v` in [min, max], clamped to [0, maxQ]; NaN → 0. */
export function quantizeLinear(v: number, min: number, max: number, step: number, maxQ: number): number {
  if (!(v > min)) return 0 // also NaN
  if (v >= max) return maxQ
  const q = Math.round((v - min) / step)
  return q > maxQ ? maxQ : q
}

/** Index of angle `v` among `levels` points around the circle from `min`; non-finite → 0. */
export function quantizeAngle(v: number, min: number, step: number, levels: number): number {
  if (!Number.isFinite(v)) return 0
  const q = Math.round((v - min) / step) % levels
  return q < 0 ? q + levels : q
}

export function createQuantizer(where: string, o: QuantizeOptions): Quantizer {
  const angle = o.angle === true
  const min = o.min ?? (angle ? -Math.PI : undefined)
  const max = o.max ?? (angle ? Math.PI : undefined)
  if (min === undefined || max === undefined) invalid(`${where}: quantize needs min and max (or angle: true)`)
  if (!Number.isFinite(min) || !Number.isFinite(max) || min >= max) invalid(`${where}: quantize needs min < max (got min ${min}, max ${max})`)
  if (o.precision !== undefined && o.bits !== undefined) invalid(`${where}: quantize takes precision or bits, not both`)
  let bits: number
  if (o.bits !== undefined) {
    if (!Number.isInteger(o.bits) || o.bits < 1 || o.bits > MAX_QUANTIZE_BITS) invalid(`${where}: quantize bits must be an integer in 1..${MAX_QUANTIZE_BITS} (got ${o.bits})`)
    bits = o.bits
  } else {
    if (o.precision === undefined) invalid(`${where}: quantize needs precision or bits`)
    if (!(o.precision > 0)) invalid(`${where}: quantize precision must be > 0 (got ${o.precision})`)
    bits = angle ? Math.max(1, Math.ceil(Math.log2((max - min) / o.precision) - 1e-12)) : bitsForRange(min, max, o.precision)
    if (bits > MAX_QUANTIZE_BITS) invalid(`${where}: quantize range/precision needs ${bits} bits, more than ${MAX_QUANTIZE_BITS}`)
  }
  const levels = 2 ** bits
  const span = max - min
  if (angle) {
    // 2^bits points around the circle; max wraps onto min.
    const step = span / levels
    return {
      min, max, bits, step, angle,
      quantize: (v) => quantizeAngle(v, min, step, levels),
      dequantize: (q) => min + q * step,
    }
  }
  const top = levels - 1
  const step = o.precision !== undefined && o.bits === undefined ? o.precision : span / top
  const maxQ = Math.min(top, Math.round(span / step))
  return {
    min, max, bits, step, angle,
    quantize: (v) => quantizeLinear(v, min, max, step, maxQ),
    dequantize: (q) => {
      const v = min + q * step
      return v > max ? max : v
    },
  }
}
