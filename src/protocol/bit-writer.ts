import { putCompactI32, putCompactU32, putF32, putF64, type BitSink } from './bit-values.js'
import { ErrorCode, MultiuserError } from '../shared/errors.js'

const utf8 = new TextEncoder()
/** Spare bytes past the write position, so a single writeBits never needs a bounds check per byte. */
const SLACK = 8

/**
 * Bit-packed output stream, least significant bit first within each byte.
 * Grows on demand up to `maxBytes`; writing past it throws ENCODE_OVERFLOW (the packetizer
 * uses {@link BitWriter.bitLength} to stop before that happens).
 */
export class BitWriter implements BitSink {
  private buf: Uint8Array
  private byte = 0
  private bit = 0
  /** The most bytes it may hold. */
  readonly maxBytes: number

  constructor(initialBytes = 1200, maxBytes = 0x7fffffff) {
    this.maxBytes = maxBytes
    this.buf = new Uint8Array(Math.min(initialBytes, maxBytes) + SLACK)
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.byte * 8 + this.bit
  }
  /** Bytes the output occupies (last byte partially filled). */
  get byteLength(): number {
    return this.byte + (this.bit > 0 ? 1 : 0)
  }

  /** Empties it for reuse. */
  reset(): this {
    this.buf.fill(0, 0, this.byteLength)
    this.byte = 0
    this.bit = 0
    return this
  }

  /** Rewinds to an earlier {@link BitWriter.bitLength} (used to undo a partially written entity). */
  truncate(bitLength: number): void {
    const end = this.byteLength
    this.byte = bitLength >>> 3
    this.bit = bitLength & 7
    if (this.bit > 0) this.buf[this.byte] &= (1 << this.bit) - 1
    this.buf.fill(0, this.byte + (this.bit > 0 ? 1 : 0), end)
  }

  /** Makes room for `extraBytes` more whole bytes plus SLACK, refusing to pass `maxBytes`. */
  private ensure(extraBytes: number): void {
    const need = this.byte + extraBytes + SLACK
    if (need <= this.buf.length) return
    if (this.byte + extraBytes > this.maxBytes) this.overflow()
    const next = new Uint8Array(Math.min(Math.max(need, this.buf.length * 2), this.maxBytes + SLACK))
    next.set(this.buf)
    this.buf = next
  }

  private overflow(): never {
    throw new MultiuserError(ErrorCode.ENCODE_OVERFLOW, `bit stream exceeds ${this.maxBytes} bytes`)
  }

  /** Writes the low `bits` (0..32) bits of `value` (treated as unsigned). */
  writeBits(value: number, bits: number): void {
    if (bits === 0) return
    this.ensure(0) // a write touches at most 5 bytes, within SLACK
    let v = value >>> 0
    let n = bits
    const buf = this.buf
    while (n > 0) {
      const free = 8 - this.bit
      const take = n < free ? n : free
      buf[this.byte] |= (v & ((1 << take) - 1)) << this.bit
      v >>>= take
      n -= take
      this.bit += take
      if (this.bit === 8) {
        this.bit = 0
        this.byte++
      }
    }
    if (this.byteLength > this.maxBytes) this.overflow()
  }

  /** Writes one bit. */
  writeBool(v: boolean): void {
    this.writeBits(v ? 1 : 0, 1)
  }

  /** Writes a float32 (32 bits). */
  writeF32(v: number): void {
    putF32(this, v)
  }

  /** Writes a float64 (64 bits). */
  writeF64(v: number): void {
    putF64(this, v)
  }

  /** Unsigned integer below 2^32 in 3 bits of byte count + that many bytes: 0 costs 3 bits, one below 256 costs 11. */
  writeCompactU32(v: number): void {
    putCompactU32(this, v)
  }

  /** Signed 32-bit integer, zigzag-mapped then {@link BitWriter.writeCompactU32}. */
  writeCompactI32(v: number): void {
    putCompactI32(this, v)
  }

  /** LEB128 varint (unsigned, up to 2^53), in 8-bit groups; not byte-aligned by itself. */
  writeVarUint(v: number): void {
    let x = Math.floor(v)
    while (x >= 0x80) {
      this.writeBits((x % 0x80) | 0x80, 8)
      x = Math.floor(x / 0x80)
    }
    this.writeBits(x, 8)
  }

  /** Pads with zero bits to the next byte boundary. */
  align(): void {
    if (this.bit > 0) {
      this.bit = 0
      this.byte++
    }
  }

  /** Length-prefixed, byte-aligned blob. */
  writeBytes(bytes: Uint8Array): void {
    this.writeVarUint(bytes.length)
    this.align()
    this.ensure(bytes.length)
    this.buf.set(bytes, this.byte)
    this.byte += bytes.length
    if (this.byte > this.maxBytes) this.overflow()
  }

  /** Writes a length-prefixed UTF-8 string. */
  writeString(s: string): void {
    this.writeBytes(utf8.encode(s))
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.byteLength)
  }

  /** A view of the bytes written so far (valid until the next write or reset). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.byteLength)
  }
}
