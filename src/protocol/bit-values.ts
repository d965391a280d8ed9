/**
 * The encodings of single values in a bit stream, shared by every writer of the format (the protocol's
 * BitWriter and the delta encoder's faster BitPacker), so the two can never disagree.
 */

/** Anything bits can be written to, least significant bit first. */
export interface BitSink {
  writeBits(value: number, bits: number): void
}

const f32 = new Float32Array(1)
const f32u = new Uint32Array(f32.buffer)
const f64 = new Float64Array(1)
const f64u = new Uint32Array(f64.buffer)

/** A float32 as its 32-bit pattern. */
export function putF32(w: BitSink, v: number): void {
  f32[0] = v
  w.writeBits(f32u[0], 32)
}

/** A float64 as two 32-bit words, low word first. */
export function putF64(w: BitSink, v: number): void {
  f64[0] = v
  w.writeBits(f64u[0], 32)
  w.writeBits(f64u[1], 32)
}

/** Unsigned integer < 2^32 in 3 bits of byte count + that many bytes: 0 costs 3 bits, < 256 costs 11. */
export function putCompactU32(w: BitSink, v: number): void {
  const u = v >>> 0
  const n = u === 0 ? 0 : u < 0x100 ? 1 : u < 0x10000 ? 2 : u < 0x1000000 ? 3 : 4
  w.writeBits(n, 3)
  if (n > 0) w.writeBits(u, n * 8)
}

/** Signed 32-bit integer, zigzag-mapped then {@link putCompactU32}. */
export function putCompactI32(w: BitSink, v: number): void {
  putCompactU32(w, ((v << 1) ^ (v >> 31)) >>> 0)
}
