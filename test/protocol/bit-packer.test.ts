import { describe, expect, it } from 'vitest'
import { BitReader, BitWriter } from '../../src/protocol/index.js'
import { BitPacker } from '../../src/protocol/bit-packer.js'
import { readExpGolomb, writeExpGolomb } from '../../src/protocol/exp-golomb.js'
import { createRng } from '../../src/transport/memory/index.js'

describe('BitPacker (the delta encoder\'s writer)', () => {
  it('writes exactly the stream BitWriter writes, including exp-Golomb, floats, compact ints and truncation', () => {
    const rng = createRng(9)
    for (let round = 0; round < 200; round++) {
      const a = new BitPacker(4096)
      const b = new BitWriter(4096)
      const ops = 1 + Math.floor(rng() * 60)
      for (let i = 0; i < ops; i++) {
        const kind = Math.floor(rng() * 6)
        const bits = 1 + Math.floor(rng() * 32)
        const v = Math.floor(rng() * 2 ** bits)
        if (kind === 0 || kind === 1) {
          a.writeBits(v, bits)
          b.writeBits(v, bits)
        } else if (kind === 2) {
          const n = Math.floor(rng() * 2 ** Math.floor(rng() * 31))
          a.writeExpGolomb(n)
          writeExpGolomb(b, n)
        } else if (kind === 3) {
          const f = (rng() - 0.5) * 1e6
          a.writeF32(f)
          b.writeF32(f)
          a.writeF64(f)
          b.writeF64(f)
        } else if (kind === 4) {
          const n = Math.floor((rng() - 0.5) * 2 ** Math.floor(rng() * 32))
          a.writeCompactI32(n)
          b.writeCompactI32(n)
          a.writeCompactU32(Math.abs(n))
          b.writeCompactU32(Math.abs(n))
        } else {
          const back = Math.floor(rng() * (a.bitLength + 1))
          a.truncate(back)
          b.truncate(back)
        }
        expect(a.bitLength).toBe(b.bitLength)
      }
      expect(Array.from(a.finish())).toEqual(Array.from(b.finish()))
    }
    const p = new BitPacker(64)
    for (const n of [0, 1, 2, 6, 65534, 65535, 1e6, 2 ** 31]) p.writeExpGolomb(n)
    const r = new BitReader(p.finish())
    for (const n of [0, 1, 2, 6, 65534, 65535, 1e6, 2 ** 31]) expect(readExpGolomb(r)).toBe(n)
  })
})
