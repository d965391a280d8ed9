import { describe, expect, it } from 'vitest'
import { BitReader, BitWriter, defineComponent, ErrorCode } from '../../src/protocol/index.js'
import { quaternionFromWire, quaternionMaxAngleError, quaternionToWire } from '../../src/protocol/quaternion.js'
import { createRng } from '../../src/transport/memory/rng.js'

type Q = [number, number, number, number]

/**
 * Rotation angle between two unit quaternions (q and −q are the same rotation), from the chord ‖a − b‖ = 2·sin(θ/4)
 * (well conditioned for small angles, unlike acos of the dot product).
 */
const angle = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  const s = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] < 0 ? -1 : 1
  let d = 0
  for (let i = 0; i < 4; i++) d += (a[i] - s * b[i]) ** 2
  return 4 * Math.asin(Math.min(1, Math.sqrt(d) / 2))
}

const unit = (q: Q): Q => {
  const n = Math.hypot(...q)
  return q.map((v) => v / n) as Q
}

/** Uniform random rotations (Shoemake), plus the cases that stress the coding: ties, axes, ± halves. */
function orientations(count: number): Q[] {
  const rand = createRng(42)
  const out: Q[] = []
  for (let i = 0; i < count; i++) {
    const u1 = rand()
    const u2 = rand() * 2 * Math.PI
    const u3 = rand() * 2 * Math.PI
    out.push([Math.sqrt(1 - u1) * Math.sin(u2), Math.sqrt(1 - u1) * Math.cos(u2), Math.sqrt(u1) * Math.sin(u3), Math.sqrt(u1) * Math.cos(u3)])
  }
  const h = 0.5
  const s = Math.SQRT1_2
  out.push([0, 0, 0, 1], [0, 0, 0, -1], [1, 0, 0, 0], [0, -1, 0, 0], [h, h, h, h], [-h, h, -h, h], [s, s, 0, 0], [0, s, -s, 0], [s, 0, 0, -s])
  // Two nearly equal largest components (the index may go either way).
  out.push(unit([0.6, 0.6 - 1e-7, 0.3, 0.1]), unit([0.1, -0.6, 0.6 + 1e-7, 0.3]))
  return out
}

describe('smallest-three quaternion coding', () => {
  for (const bits of [6, 9, 10, 12, 16]) {
    it(`round trip on ${bits} bits stays within the documented angle bound (${((quaternionMaxAngleError(bits) * 180) / Math.PI).toFixed(3)}°)`, () => {
      const bound = quaternionMaxAngleError(bits)
      const wire = new Float64Array(4)
      const back = new Float64Array(4)
      let worst = 0
      let badSlots = 0
      let worstNorm = 0
      for (const q of orientations(20_000)) {
        quaternionToWire(q[0], q[1], q[2], q[3], bits, wire, 0)
        if (!(wire[0] >= 0 && wire[0] <= 3) || [1, 2, 3].some((i) => !(Number.isInteger(wire[i]) && wire[i] >= 0 && wire[i] <= 2 ** bits - 1))) badSlots++
        quaternionFromWire(wire, 0, bits, back)
        worstNorm = Math.max(worstNorm, Math.abs(Math.hypot(...back) - 1))
        worst = Math.max(worst, angle(q, back))
      }
      expect(badSlots).toBe(0)
      expect(worstNorm).toBeLessThan(1e-12)
      expect(worst).toBeLessThanOrEqual(bound)
      // The bound is not loose by orders of magnitude: the worst case seen is within 4× of it.
      expect(worst).toBeGreaterThan(bound / 4)
    })
  }

  it('codes a non-unit input as its direction, and a zero or NaN one as identity', () => {
    const wire = new Float64Array(4)
    const back = new Float64Array(4)
    quaternionToWire(0, 0, 3, 4, 10, wire, 0)
    quaternionFromWire(wire, 0, 10, back)
    expect(angle(back, [0, 0, 0.6, 0.8])).toBeLessThanOrEqual(quaternionMaxAngleError(10))
    for (const bad of [[0, 0, 0, 0], [NaN, 0, 0, 1], [Infinity, 0, 0, 0]]) {
      quaternionToWire(bad[0], bad[1], bad[2], bad[3], 10, wire, 0)
      quaternionFromWire(wire, 0, 10, back)
      expect(angle(back, [0, 0, 0, 1])).toBeLessThanOrEqual(quaternionMaxAngleError(10))
    }
  })

  it('picks the sign on the side of the quaternion held, so per-component interpolation never crosses zero', () => {
    const wire = new Float64Array(4)
    const back = new Float64Array(4)
    // Held: −q (w negative). The wire makes the largest positive; the rebuilt one flips back to the held side.
    const q = unit([0.1, 0.2, 0.3, -0.9])
    quaternionToWire(q[0], q[1], q[2], q[3], 12, wire, 0)
    quaternionFromWire(wire, 0, 12, back)
    expect(back[3]).toBeGreaterThan(0)
    quaternionFromWire(wire, 0, 12, back, q)
    expect(back[3]).toBeLessThan(0)
    expect(back[0] * q[0] + back[1] * q[1] + back[2] * q[2] + back[3] * q[3]).toBeGreaterThan(0.999)
  })

  it('a forged packet (three components over norm 1) still decodes to a unit quaternion', () => {
    const back = new Float64Array(4)
    quaternionFromWire([0, 1023, 1023, 1023], 0, 10, back)
    expect(Math.hypot(...back)).toBeCloseTo(1, 12)
  })
})

describe('a rotation: QUATERNION component', () => {
  const spec = (bits: number) => ({
    id: 1, name: 't.Orientation', sync: 'DELTA' as const, quaternion: { bits },
    fields: ['x', 'y', 'z', 'w'].map((name, i) => ({ name, number: i + 1, kind: 'f32' as const })),
  })

  it('puts 2 + 3 × bits bits on the wire for any mask, and decodes within the bound', () => {
    for (const bits of [9, 10, 12]) {
      const def = defineComponent(spec(bits))
      const store = def.createStore(4)
      const q = unit([0.3, -0.5, 0.1, 0.8])
      ;['x', 'y', 'z', 'w'].forEach((k, i) => ((store[k] as Float32Array)[2] = q[i]))
      for (const mask of [def.fullMask, 1, 0b0100]) {
        const w = new BitWriter(64)
        def.encode(w, store, 2, mask)
        expect(w.bitLength).toBe(2 + 3 * bits)
        const out = def.createStore(4)
        def.decode(new BitReader(w.finish()), out, 3, mask)
        const got = ['x', 'y', 'z', 'w'].map((k) => (out[k] as Float32Array)[3])
        // Float32 storage adds at most ~1e-7 to the coding's error.
        expect(angle(got, q)).toBeLessThanOrEqual(quaternionMaxAngleError(bits) + 1e-6)
      }
    }
  })

  it('refuses what cannot be a quaternion (SCHEMA_INVALID)', () => {
    const bad = [
      { ...spec(10), sync: 'RELIABLE' as const },
      { ...spec(10), fields: spec(10).fields.slice(0, 3) },
      { ...spec(10), fields: spec(10).fields.map((f, i) => (i === 1 ? { ...f, kind: 'i32' as const } : f)) },
      { ...spec(10), fields: spec(10).fields.map((f, i) => (i === 1 ? { ...f, quantize: { min: -1, max: 1, bits: 8 } } : f)) },
      spec(1),
      spec(25),
    ]
    for (const s of bad) expect(() => defineComponent(s)).toThrow(expect.objectContaining({ code: ErrorCode.SCHEMA_INVALID }))
  })
})
