import { describe, expect, it } from 'vitest'
import { BitReader, BitWriter, DecodeError, ErrorCode } from '../../src/protocol/index.js'

describe('bit stream', () => {
  it('round-trips mixed widths, LSB first', () => {
    const w = new BitWriter(4)
    w.writeBits(1, 1)
    w.writeBits(0x3ff, 10)
    w.writeBits(0xdeadbeef, 32)
    w.writeCompactU32(0)
    w.writeCompactU32(300)
    w.writeCompactI32(-5)
    w.writeF32(1.5)
    w.writeF64(Math.PI)
    w.writeString('héllo')
    w.writeVarUint(2 ** 40)
    const bytes = w.finish()
    expect(bytes[0] & 1).toBe(1)
    const r = new BitReader(bytes)
    expect(r.readBits(1)).toBe(1)
    expect(r.readBits(10)).toBe(0x3ff)
    expect(r.readBits(32)).toBe(0xdeadbeef)
    expect(r.readCompactU32()).toBe(0)
    expect(r.readCompactU32()).toBe(300)
    expect(r.readCompactI32()).toBe(-5)
    expect(r.readF32()).toBe(1.5)
    expect(r.readF64()).toBe(Math.PI)
    expect(r.readString()).toBe('héllo')
    expect(r.readVarUint()).toBe(2 ** 40)
    expect(r.bitsLeft).toBeLessThan(8)
  })

  it('reads every width at every alignment, near the end of the buffer too (fast and byte-wise paths agree)', () => {
    let seed = 7
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    for (let round = 0; round < 300; round++) {
      const w = new BitWriter(64)
      const ops: [kind: 'bits' | 'zeros', width: number, value: number][] = []
      for (let i = 0, n = 1 + Math.floor(rnd() * 40); i < n; i++) {
        if (rnd() < 0.3) {
          const z = Math.floor(rnd() * 40) // a run of zeros then a 1 (exp-Golomb prefix)
          for (let k = 0; k < z; k++) w.writeBits(0, 1)
          w.writeBits(1, 1)
          ops.push(['zeros', z, 0])
        } else {
          const width = 1 + Math.floor(rnd() * 32)
          const value = Math.floor(rnd() * 2 ** width)
          w.writeBits(value, width)
          ops.push(['bits', width, value])
        }
      }
      const r = new BitReader(w.finish())
      for (const [kind, width, value] of ops) {
        if (kind === 'bits') expect(r.readBits(width)).toBe(value)
        else expect(r.readZeroRun(64)).toBe(width)
      }
      expect(r.bitsLeft).toBeLessThan(8)
    }
    // A run longer than allowed, or one that never ends, is a DecodeError.
    expect(() => new BitReader(new Uint8Array([0, 0, 0, 0, 0x80])).readZeroRun(31)).toThrow(DecodeError)
    expect(() => new BitReader(new Uint8Array([0, 0])).readZeroRun(31)).toThrow(DecodeError)
    expect(new BitReader(new Uint8Array([0, 0, 0, 0x80])).readZeroRun(31)).toBe(31)
  })

  it('refuses to read past the end with DECODE_ERROR', () => {
    const r = new BitReader(new Uint8Array([0xff]))
    expect(r.readBits(5)).toBe(31)
    expect(() => r.readBits(4)).toThrow(DecodeError)
    const r2 = new BitReader(new Uint8Array([0x05, 1]))
    try {
      r2.readBytes()
      expect.unreachable()
    } catch (e) {
      expect((e as DecodeError).code).toBe(ErrorCode.DECODE_ERROR)
    }
  })

  it('refuses to write past maxBytes and can be truncated back', () => {
    const w = new BitWriter(2, 3)
    w.writeBits(0xffffff, 24)
    const mark = w.bitLength
    expect(() => w.writeBits(1, 1)).toThrow(expect.objectContaining({ code: ErrorCode.ENCODE_OVERFLOW }))
    w.truncate(mark)
    expect(w.byteLength).toBe(3)
    expect([...w.finish()]).toEqual([0xff, 0xff, 0xff])
  })
})
