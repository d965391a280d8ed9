// Truncated or corrupted component streams must fail with DecodeError (code DECODE_ERROR): never another
// exception, never a hang, never a read past the end the reader was given.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BitReader, BitWriter, DecodeError, ErrorCode, type ComponentDef, type ComponentStore } from '../../src/protocol/index.js'
import { ColorDef, TransformDef, VelocityDef } from '../../generated/game/schema.js'
import { BodyDef, MarkerDef, ProfileDef } from '../codegen/fixtures/golden/expected/arena/schema.js'

const defs = [TransformDef, VelocityDef, ColorDef, BodyDef, ProfileDef, MarkerDef] as unknown as ComponentDef<ComponentStore>[]
const EID = 1

/** Runs `fn`; returns 'ok' or 'decode-error'; anything else fails the test. */
function outcome(fn: () => void): 'ok' | 'decode-error' {
  try {
    fn()
    return 'ok'
  } catch (e) {
    if (e instanceof DecodeError && e.code === ErrorCode.DECODE_ERROR) return 'decode-error'
    throw new Error(`expected DecodeError, got ${String(e)}`, { cause: e })
  }
}

function fillRandom(def: ComponentDef<ComponentStore>, store: ComponentStore, seed: number): void {
  let x = seed
  for (const f of def.fields) {
    x = (x * 1103515245 + 12345) >>> 0
    if (f.kind === 'object') {
      const col = store[f.name] as unknown[]
      if (f.name === 'displayName') col[EID] = `name-${x}`
      else if (f.name === 'avatar') col[EID] = new Uint8Array([x & 255, 1, 2, 3])
      else if (f.name === 'badges') col[EID] = [x, 1, 2]
      else if (f.name === 'spawn') col[EID] = { x: 1, y: 2, z: 3 }
      else if (f.name === 'stats') col[EID] = { a: x & 0xffff }
      else col[EID] = x
    } else (store[f.name] as Float64Array)[EID] = (x % 1000) - 500
  }
}

describe('decoding a component stream', () => {
  it('every truncation of a valid stream throws DecodeError', () => {
    for (const def of defs) {
      for (let seed = 1; seed < 20; seed++) {
        const src = def.createStore(4)
        fillRandom(def, src, seed)
        const w = new BitWriter()
        def.encode(w, src, EID, def.fullMask)
        const bytes = w.finish()
        const dst = def.createStore(4)
        expect(outcome(() => def.decode(new BitReader(bytes), dst, EID, def.fullMask))).toBe('ok')
        for (let len = 0; len < bytes.length; len++) {
          expect(outcome(() => def.decode(new BitReader(bytes.subarray(0, len)), dst, EID, def.fullMask)), `${def.name} cut at ${len}/${bytes.length}`).toBe('decode-error')
        }
      }
    }
  })

  it('random bytes with any mask: ok or DecodeError, and a success never reads past the end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: defs.length - 1 }),
        fc.uint8Array({ maxLength: 96 }),
        fc.nat(),
        fc.integer({ min: 0, max: 16 }),
        (which, junk, maskSeed, pad) => {
          const def = defs[which]
          const mask = maskSeed & def.fullMask
          // The stream sits inside a larger buffer; the reader is told where it ends.
          const buf = new Uint8Array(pad + junk.length + 16).fill(0xff)
          buf.set(junk, pad)
          const end = pad + junk.length
          const r = new BitReader(buf, pad, end)
          const dst = def.createStore(4)
          if (outcome(() => def.decode(r, dst, EID, mask)) === 'ok') expect(r.bitPosition).toBeLessThanOrEqual(end * 8)
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('corrupting one byte of a valid stream: ok or DecodeError, never another error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: defs.length - 1 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, seed, pos, xor) => {
        const def = defs[which]
        const src = def.createStore(4)
        fillRandom(def, src, seed)
        const w = new BitWriter()
        def.encode(w, src, EID, def.fullMask)
        const bytes = w.finish()
        if (bytes.length === 0) return
        bytes[pos % bytes.length] ^= xor
        const r = new BitReader(bytes)
        if (outcome(() => def.decode(r, def.createStore(4), EID, def.fullMask)) === 'ok') expect(r.bitsLeft).toBeGreaterThanOrEqual(0)
      }),
      { numRuns: 3000 },
    )
  })

  it('a blob length larger than the buffer is refused without allocating or reading it', () => {
    const w = new BitWriter()
    w.writeVarUint(2 ** 40) // an object field claiming a 1 TiB string
    const r = new BitReader(w.finish())
    expect(outcome(() => ProfileDef.decode(r, ProfileDef.createStore(4), EID, 1))).toBe('decode-error')
  })
})

describe('BitReader window', () => {
  it('an end beyond the buffer is clamped: reads past the real end throw DecodeError', () => {
    const r = new BitReader(new Uint8Array([1, 2]), 0, 100)
    expect(r.bitsLeft).toBe(16)
    r.readBits(16)
    expect(outcome(() => r.readBits(1))).toBe('decode-error')
    expect(new BitReader(new Uint8Array(4), 3, 1).bitsLeft).toBe(0)
  })
})
