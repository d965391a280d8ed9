import { putCompactI32, putCompactU32, putF32, putF64, type BitSink } from './bit-values.js'

export type { BitSink }

/**
 * The delta encoder's bit writer: the same stream as the protocol's BitWriter (least significant bit first),
 * but through a 32-bit accumulator flushed a word at a time, so a write costs a few integer operations. Fixed
 * capacity (the packet cap plus slack); the caller stops at its bit budget.
 */
export class BitPacker implements BitSink {
  private readonly buf: Uint8Array
  private pos = 0
  private acc = 0
  private accBits = 0

  constructor(maxBytes: number) {
    this.buf = new Uint8Array(maxBytes + 64)
  }

  get bitLength(): number {
    return this.pos * 8 + this.accBits
  }

  reset(): void {
    this.pos = 0
    this.acc = 0
    this.accBits = 0
  }

  /** Writes the low `bits` (1..32) bits of `value`. */
  writeBits(value: number, bits: number): void {
    const v = bits === 32 ? value >>> 0 : (value & ((1 << bits) - 1)) >>> 0
    const used = this.accBits
    this.acc = (this.acc | (v << used)) >>> 0
    const total = used + bits
    if (total < 32) {
      this.accBits = total
      return
    }
    const a = this.acc
    const buf = this.buf
    const p = this.pos
    buf[p] = a
    buf[p + 1] = a >>> 8
    buf[p + 2] = a >>> 16
    buf[p + 3] = a >>> 24
    this.pos = p + 4
    this.accBits = total - 32
    this.acc = this.accBits > 0 ? v >>> (bits - this.accBits) : 0
  }

  /** Order-0 exponential Golomb code of n ≥ 0 (as exp-golomb.ts writes it). */
  writeExpGolomb(n: number): void {
    const v = n + 1
    const k = 31 - Math.clz32(v)
    if (k <= 15) {
      // k zeros, a one, then the k low bits of v: one write of 2k + 1 bits.
      this.writeBits(k === 0 ? 1 : (1 << k) | ((v - (1 << k)) << (k + 1)), 2 * k + 1)
      return
    }
    this.writeBits(0, k)
    this.writeBits(1, 1)
    this.writeBits(v - 2 ** k, k)
  }

  writeF32(v: number): void {
    putF32(this, v)
  }

  writeF64(v: number): void {
    putF64(this, v)
  }

  writeCompactU32(v: number): void {
    putCompactU32(this, v)
  }

  writeCompactI32(v: number): void {
    putCompactI32(this, v)
  }

  /** Rewinds to an earlier bitLength. */
  truncate(bitLength: number): void {
    const word = bitLength >>> 5
    const rest = bitLength & 31
    if (word * 4 < this.pos) {
      const b = this.buf
      const p = word * 4
      this.acc = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
      this.pos = p
    }
    this.accBits = rest
    this.acc = rest === 0 ? 0 : (this.acc & (rest === 32 ? 0xffffffff : (1 << rest) - 1)) >>> 0
  }

  /** A copy of the bytes written so far (the last byte zero-padded). */
  finish(): Uint8Array {
    const n = this.pos + ((this.accBits + 7) >>> 3)
    const out = new Uint8Array(n)
    out.set(this.buf.subarray(0, this.pos))
    let a = this.acc
    for (let i = this.pos; i < n; i++, a >>>= 8) out[i] = a & 0xff
    return out
  }
}
