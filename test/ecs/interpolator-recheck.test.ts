import { describe, expect, it } from 'vitest'
import { Interpolator, SAMPLES } from '../../src/ecs/interpolator.js'
import type { BoundComponent } from '../../src/ecs/layout.js'
import { TransformDef } from '../helpers/test-schema.js'

/**
 * render() keeps the drawn value continuous when the samples change under it (a correction fading over BLEND_MS).
 * A sample appended after a frame drawn between two held samples changes nothing at that frame's time, so that
 * check is skipped (interpolator.ts, drawnInside); it must still run when the frame's samples were evicted or a late
 * sample was inserted. Seen from outside: no jump in the output, whatever arrives.
 */
function setup() {
  const store = TransformDef.createStore(8)
  const component: BoundComponent = { def: TransformDef, store, bit: 0, deltaIndex: 0, firstField: 0 }
  const it = new Interpolator(component, 8, 1000)
  const eid = 3
  const push = (t: number, x: number): void => {
    store.x[eid] = x
    it.push(eid, t, 33, t - 33)
  }
  const draw = (t: number): number => {
    it.render(eid, t, Number.NEGATIVE_INFINITY)
    return it.output.x[eid] as number
  }
  return { it, eid, push, draw, store }
}

describe('interpolator continuity check', () => {
  it('in-order samples: the output is the plain interpolation, frame after frame', () => {
    const { push, draw } = setup()
    for (let k = 0; k < 4; k++) push(1_000_000 + 33 * k, k)
    for (let k = 4; k < 40; k++) {
      push(1_000_000 + 33 * k, k)
      // Drawn 2.5 samples behind the newest: between samples k-3 and k-2.
      const t = 1_000_000 + 33 * (k - 2.5)
      expect(draw(t)).toBeCloseTo(k - 2.5, 4)
    }
  })

  it('a frame whose samples were evicted by newer ones (a stalled render) still slides instead of jumping', () => {
    const { push, draw } = setup()
    for (let k = 0; k < 4; k++) push(1_000_000 + 33 * k, k)
    const t0 = 1_000_000 + 33 * 1.5
    const before = draw(t0)
    expect(before).toBeCloseTo(1.5, 4)
    // SAMPLES more arrive, with a jump in the motion (x leaps by 50): the drawn frame's samples leave the buffer.
    for (let k = 4; k < 4 + SAMPLES; k++) push(1_000_000 + 33 * k, k + 50)
    // The next frame, 1 ms later: what the samples say there now is the oldest held (≈ 54), but what is drawn
    // must continue from 1.5 and fade toward it, not leap.
    const next = draw(t0 + 1)
    expect(Math.abs(next - before)).toBeLessThan(1)
  })

  it('a late sample inserted under the drawn frame is blended in, not jumped to', () => {
    const { it: interp, eid, push, draw, store } = setup()
    push(1_000_000, 0)
    push(1_000_066, 2)
    const t0 = 1_000_033
    const before = draw(t0)
    expect(before).toBeCloseTo(1, 4)
    // A late packet: at 1 000 033 x was 30 (a detour the receiver missed). Inserted between the two.
    store.x[eid] = 2
    interp.pushLate(eid, 1_000_033, 1, Float64Array.of(30, 0, 0, 0))
    push(1_000_099, 3)
    const next = draw(t0 + 1)
    expect(Math.abs(next - before)).toBeLessThan(1)
  })
})

describe('interpolated angles', () => {
  it('go the short way round across ±π, in one add or subtract or (far outside the range) a modulo', () => {
    const { it: interp, eid, store } = setup()
    const yawAt = (t: number): number => {
      interp.render(eid, t, Number.NEGATIVE_INFINITY)
      return interp.output.yaw[eid] as number
    }
    store.yaw[eid] = 3.1
    interp.push(eid, 2_000_000, 33, 2_000_000 - 33)
    store.yaw[eid] = -3.1
    interp.push(eid, 2_000_033, 33, 2_000_000)
    // Half way: 3.1 + 0.0416 = 3.1416 ≈ π, wrapped into [-π, π).
    expect(Math.abs(Math.abs(yawAt(2_000_016.5)) - Math.PI)).toBeLessThan(0.01)
    // A game value far outside the range still interpolates the short way.
    store.yaw[eid] = -3.1 + 8 * Math.PI
    interp.push(eid, 2_000_066, 33, 2_000_033)
    const mid = yawAt(2_000_049.5)
    expect(Math.abs(mid - -3.1)).toBeLessThan(0.01)
  })
})
