import { DecodeError } from '../shared/errors.js'

const f32 = new Float32Array(1)
const f32u = new Uint32Array(f32.buffer)
const f64 = new Float64Array(1)
const f64u = new Uint32Array(f64.buffer)
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Reads what {@link BitWriter} wrote. Every read is bounds-checked and throws {@link DecodeError}. */
export class BitReader {
  private byte = 0
  private bit = 0
  private readonly end: number

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    // A window past the buffer (or inverted) must not let reads run off the end: clamp it.
    this.end = Math.max(0, Math.min(end, buf.length))
    this.byte = Math.max(0, Math.min(start, this.end))
  }

  /** Bits left to read. */
  get bitsLeft(): number {
    return (this.end - this.byte) * 8 - this.bit
  }
  /** Bits read so far. */
  get bitPosition(): number {
    return this.byte * 8 + this.bit
  }

  /** Reads an unsigned integer of `bits` bits (0..32). */
  readBits(bits: number): number {
    if (bits === 0) return 0
    if (bits > this.bitsLeft) throw new DecodeError(`truncated: need ${bits} bits, ${this.bitsLeft} left`)
    const buf = this.buf
    if (bits <= 24 && this.byte + 4 <= this.end) {
      // Fast path (most reads): one little-endian 32-bit load holds bit + bits ≤ 31 bits.
      const i = this.byte
      const word = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)
      const out = (word >>> this.bit) & ((1 << bits) - 1)
      const pos = this.bit + bits
      this.byte = i + (pos >>> 3)
      this.bit = pos & 7
      return out
    }
    let out = 0
    let shift = 0
    let n = bits
    while (n > 0) {
      const avail = 8 - this.bit
      const take = n < avail ? n : avail
      const chunk = (buf[this.byte] >>> this.bit) & ((1 << take) - 1)
      out += chunk * 2 ** shift
      shift += take
      n -= take
      this.bit += take
      if (this.bit === 8) {
        this.bit = 0
        this.byte++
      }
    }
    return out
  }

  /**
   * An order-0 exp-Golomb code (see exp-golomb.ts) with up to 12 zeros, read from one 32-bit window when the
   * buffer has 4 bytes left (the usual case: small gaps and differences); -1 when the caller must take the slow path.
   */
  readSmallExpGolomb(): number {
    const i = this.byte
    if (i + 4 > this.end) return -1
    const buf = this.buf
    // At least 25 valid bits: the window's bit 0 is the next bit of the stream.
    const word = ((buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) >>> this.bit) | 0
    if (word === 0) return -1
    const k = 31 - Math.clz32(word & -word) // the zeros before the first 1
    if (k > 12) return -1
    const pos = this.bit + 2 * k + 1
    this.byte = i + (pos >>> 3)
    this.bit = pos & 7
    // k zeros, the 1, then the k low bits of v = n + 1 (LSB first).
    return (1 << k) + ((word >>> (k + 1)) & ((1 << k) - 1)) - 1
  }

  /**
   * Counts 0 bits up to the next 1 bit, which is consumed too (the prefix of an exp-Golomb code); a byte of zeros
   * at a time. Throws once more than `max` zeros are seen, or at the end of the buffer.
   */
  readZeroRun(max: number): number {
    let zeros = 0
    const buf = this.buf
    for (;;) {
      if (this.byte >= this.end) throw new DecodeError('truncated: no 1 bit before the end')
      const rest = buf[this.byte] >>> this.bit
      if (rest !== 0) {
        const tz = 31 - Math.clz32(rest & -rest)
        zeros += tz
        if (zeros > max) break
        const pos = this.bit + tz + 1
        this.byte += pos >>> 3
        this.bit = pos & 7
        return zeros
      }
      zeros += 8 - this.bit
      if (zeros > max) break
      this.bit = 0
      this.byte++
    }
    throw new DecodeError(`more than ${max} zero bits in a row`)
  }

  /** Reads one bit as a boolean. */
  readBool(): boolean {
    return this.readBits(1) === 1
  }

  /** Reads a float32. */
  readF32(): number {
    f32u[0] = this.readBits(32)
    return f32[0]
  }

  /** Reads a float64. */
  readF64(): number {
    f64u[0] = this.readBits(32)
    f64u[1] = this.readBits(32)
    return f64[0]
  }

  /** Reads what {@link BitWriter.writeCompactU32} wrote. */
  readCompactU32(): number {
    const n = this.readBits(3)
    if (n > 4) throw new DecodeError(`corrupt compact integer (length ${n})`)
    return n === 0 ? 0 : this.readBits(n * 8)
  }

  /** Reads what {@link BitWriter.writeCompactI32} wrote. */
  readCompactI32(): number {
    const u = this.readCompactU32()
    return (u >>> 1) ^ -(u & 1)
  }

  /** Reads a LEB128 unsigned integer (byte-aligned). */
  readVarUint(): number {
    let out = 0
    let mul = 1
    for (let i = 0; i < 8; i++) {
      const b = this.readBits(8)
      out += (b & 0x7f) * mul
      if ((b & 0x80) === 0) return out
      mul *= 0x80
    }
    throw new DecodeError('corrupt varint (too long)')
  }

  /** Skips to the next byte boundary. */
  align(): void {
    if (this.bit > 0) {
      this.bit = 0
      this.byte++
    }
  }

  /** Reads a length-prefixed byte string (at most `maxLength` bytes, else DecodeError). */
  readBytes(maxLength = Number.MAX_SAFE_INTEGER): Uint8Array {
    const len = this.readVarUint()
    this.align()
    if (len > maxLength) throw new DecodeError(`blob of ${len} bytes exceeds ${maxLength}`)
    if (this.byte + len > this.end) throw new DecodeError(`truncated: blob of ${len} bytes, ${this.end - this.byte} left`)
    const out = this.buf.subarray(this.byte, this.byte + len)
    this.byte += len
    return out
  }

  /** Reads a length-prefixed UTF-8 string. */
  readString(maxLength?: number): string {
    try {
      return utf8.decode(this.readBytes(maxLength))
    } catch (e) {
      if (e instanceof DecodeError) throw e
      throw new DecodeError('invalid UTF-8 string')
    }
  }
}
