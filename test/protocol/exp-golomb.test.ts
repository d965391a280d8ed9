import { describe, expect, it } from 'vitest'
import { BitReader, BitWriter } from '../../src/protocol/index.js'
import { readExpGolomb, unzigzag, writeExpGolomb, zigzag } from '../../src/protocol/exp-golomb.js'
import { createRng } from '../../src/transport/memory/rng.js'

/**
 * readExpGolomb takes a 32-bit window fast path for codes of up to 12 zeros with 4 bytes left (BitReader.
 * readSmallExpGolomb), else the general path: both must read exactly what writeExpGolomb wrote, at any bit offset,
 * next to the end of the buffer, and for every size of code.
 */
describe('exp-Golomb reading', () => {
  it('reads back every size of code at every bit offset, also in the last bytes of a buffer', () => {
    const rand = createRng(4)
    const values = [0, 1, 2, 3, 6, 7, 100, 4094, 4095, 8190, 8191, 8192, 65535, 1e6, 2 ** 31, 2 ** 32 - 2]
    for (let k = 0; k < 31; k++) values.push(2 ** k - 1, 2 ** k, Math.floor(2 ** k * (1 + rand())) - 1)
    for (let offset = 0; offset < 8; offset++) {
      const w = new BitWriter(16)
      if (offset > 0) w.writeBits(0x55, offset)
      for (const n of values) writeExpGolomb(w, n)
      const r = new BitReader(w.finish())
      if (offset > 0) expect(r.readBits(offset)).toBe(0x55 & ((1 << offset) - 1))
      for (const n of values) expect(readExpGolomb(r)).toBe(n)
      expect(r.bitsLeft).toBeLessThan(8)
    }
  })

  it('a truncated code still throws', () => {
    const w = new BitWriter(8)
    writeExpGolomb(w, 5000)
    const bytes = w.finish()
    expect(() => readExpGolomb(new BitReader(bytes.subarray(0, 1)))).toThrow()
  })

  it('unzigzag inverts zigzag, with integer operations below 2^31 and in doubles above', () => {
    for (const d of [0, -1, 1, -2, 2, 12345, -12345, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31)]) expect(unzigzag(zigzag(d))).toBe(d)
    expect(unzigzag(2 ** 32 - 1)).toBe(-(2 ** 31))
    expect(unzigzag(2 ** 32 - 2)).toBe(2 ** 31 - 1)
  })
})
