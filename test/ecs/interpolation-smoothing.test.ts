/**
 * What a player sees of a remote walker when packets go missing or arrive out of order (issue 15, cause 2): a lost
 * sample is interpolated across, a late one still takes its place in the buffer, and a starved entity goes on for at
 * most EXTRAPOLATE_MS, then holds, and blends back to the samples when they come, without a jump.
 */
import { describe, expect, it } from 'vitest'
import { BLEND_MS, EXTRAPOLATE_MS } from '../../src/ecs/interpolator.js'
import { createHarness, replicaOf, TICK_MS, type Harness, type TestPeer } from './helpers/peers.js'

const SPEED = 5 // m/s along x
const FRAME = TICK_MS / 2

interface Frame {
  drawn: number
  truth: number
}

/**
 * A walks at 5 m/s along x; b draws it at 60 frames/s. `link(tick)` may change a → b's link before each tick.
 * Returns the frames after `warm` ticks, with the truth the drawing aims at (interpolation delay + `latency` ago).
 */
function walk(h: Harness, ticks: number, latency: number, link: (tick: number) => void, warm = 30): Frame[] {
  const [a, b] = h.peers as [TestPeer, TestPeer]
  h.step(3)
  const e = h.spawnMover(a)
  h.step(20)
  const r = replicaOf(a, e, b)!
  const view = b.net.interpolated(b.s.Transform)
  const start = h.hub.now
  const frames: Frame[] = []
  for (let t = 0; t < ticks; t++) {
    link(t)
    a.s.Transform.x[e] = ((h.hub.now - start) / 1000) * SPEED
    a.net.receive()
    a.net.flush()
    for (let half = 0; half < 2; half++) {
      b.net.receive()
      if (half === 0) b.net.flush()
      const truth = Math.max(0, ((h.hub.now - start - 100 - latency) / 1000) * SPEED)
      if (t >= warm) frames.push({ drawn: view.x[r], truth })
      h.hub.advance(FRAME)
    }
  }
  return frames
}

const trueStep = (SPEED * FRAME) / 1000
const steps = (fs: Frame[]): number[] => fs.slice(1).map((f, i) => f.drawn - fs[i].drawn)
const maxError = (fs: Frame[]): number => Math.max(...fs.map((f) => Math.abs(f.drawn - f.truth)))

describe('interpolation under loss and reordering', () => {
  it('a lost sample is interpolated across: no freeze, no catch-up', () => {
    const h = createHarness(2, { link: { latency: 20 } })
    // Every 4th delta a → b is lost.
    const frames = walk(h, 120, 20, (t) => h.hub.setLink('p0', 'p1', { latency: 20, loss: t % 4 === 0 ? 1 : 0 }))
    expect(h.hub.counters('p0', 'p1').unreliable.dropped).toBeGreaterThan(20)
    for (const s of steps(frames)) {
      expect(s).toBeGreaterThan(0.5 * trueStep)
      expect(s).toBeLessThan(1.5 * trueStep)
    }
    expect(maxError(frames)).toBeLessThan(0.01)
  })

  it('a sample that arrives after a newer one still takes its place in the buffer', () => {
    // A quarter of the deltas arrive 40 ms late, behind the next one (still inside the 100 ms buffer).
    const h = createHarness(2, { seed: 3, link: { latency: 20, reorder: 0.25, reorderDelay: 40 } })
    const frames = walk(h, 150, 20, () => {})
    for (const s of steps(frames)) {
      expect(s).toBeGreaterThan(0.5 * trueStep)
      expect(s).toBeLessThan(1.5 * trueStep)
    }
    expect(maxError(frames)).toBeLessThan(0.01)
  })

  it(`starved, it goes on for at most ${EXTRAPOLATE_MS} ms, holds, then blends back without a jump`, () => {
    const h = createHarness(2, { link: { latency: 20 } })
    // 400 ms without a single packet a → b (ticks 60..71), then the link heals.
    const frames = walk(h, 150, 20, (t) => h.hub.setLink('p0', 'p1', { latency: 20, loss: t >= 60 && t < 72 ? 1 : 0 }))
    const lastSample = ((59 * TICK_MS) / 1000) * SPEED // the sender's x at tick 59: the newest sample b got
    const during = frames.slice(2 * (60 - 30) + 8, 2 * (72 - 30))
    const peak = Math.max(...during.map((f) => f.drawn))
    // It went on (it did not freeze where the samples ended), but no further than EXTRAPOLATE_MS of motion.
    expect(peak).toBeGreaterThan(lastSample + 0.5 * (SPEED * EXTRAPOLATE_MS) / 1000)
    expect(peak).toBeLessThan(lastSample + (SPEED * (EXTRAPOLATE_MS + 2 * TICK_MS)) / 1000)
    expect(Math.max(...steps(during))).toBeLessThan(0.01 + 1.5 * trueStep) // held, not jumping
    // Back: no frame jumps (the 1.5 m it fell behind is made up over ~BLEND_MS), and it is on the samples again soon.
    const after = frames.slice(2 * (72 - 30))
    expect(Math.max(...steps(after))).toBeLessThan(4 * trueStep)
    expect(Math.min(...steps(after.slice(4)))).toBeGreaterThan(0) // moving again once the first packet is in
    const settled = after.slice(Math.ceil((4 * BLEND_MS + 200) / FRAME))
    expect(maxError(settled)).toBeLessThan(0.02)
  })
})
