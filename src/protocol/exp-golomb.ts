import type { BitReader } from './bit-reader.js'
import type { BitSink } from './bit-values.js'

/** Order-0 exponential Golomb code of n ≥ 0 (n < 2^32 - 1): 0 → 1 bit, 1-2 → 3 bits, 3-6 → 5 bits, 7-14 → 7 bits ... */
export function writeExpGolomb(w: BitSink, n: number): void {
  const v = n + 1
  const k = 31 - Math.clz32(v)
  if (k > 0) w.writeBits(0, k)
  w.writeBits(1, 1)
  if (k > 0) w.writeBits(v - 2 ** k, k)
}

export function readExpGolomb(r: BitReader): number {
  const small = r.readSmallExpGolomb()
  if (small >= 0) return small
  const k = r.readZeroRun(31)
  return k === 0 ? 0 : 2 ** k + r.readBits(k) - 1
}

/** Bits writeExpGolomb(n) takes. */
export function expGolombBits(n: number): number {
  return 2 * (31 - Math.clz32(n + 1)) + 1
}

/** Zigzag map of a signed integer (|d| < 2^31) to n ≥ 0: 0, -1, 1, -2 … → 0, 1, 2, 3 … */
export function zigzag(d: number): number {
  return d >= 0 ? 2 * d : -2 * d - 1
}

export function unzigzag(n: number): number {
  // Below 2^31 with integer operations; above, in doubles.
  if (n < 0x80000000) return (n >>> 1) ^ -(n & 1)
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2
}
