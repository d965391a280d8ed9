import { describe, expect, it } from 'vitest'
import { createHarness, replicaOf, TICK_MS } from './helpers/peers.js'

describe('interpolation timing', () => {
  it('the first move after a spawn slides from the spawn state (the buffer is seeded from the full state)', () => {
    const h = createHarness(2, { net: { interpolationDelay: 100, snapDistance: 5 } })
    const [a, b] = h.peers
    h.step(2)
    const e = h.spawnMover(a, { x: 1 })
    h.step(20) // spawned and still: no delta yet
    const r = replicaOf(a, e, b)!
    const view = b.net.interpolated(b.s.Transform)
    expect(view.x[r]).toBe(1)
    a.s.Transform.x[e] = 4 // one move of 3 (below the snap distance), then still
    h.step(2) // flushed, then received
    expect(b.s.Transform.x[r]).toBeCloseTo(4, 3)
    // Rendered 100 ms in the past: still at the spawn state, not jumping ahead to the new value.
    expect(view.x[r]).toBeCloseTo(1, 3)
    // Then it slides: sampled every 2 ms, no step is larger than a third of the move, and it ends at 4.
    const seen: number[] = []
    for (let k = 0; k < 100; k++) {
      b.net.interpolate(b.transport.clock() + k * 2)
      seen.push(view.x[r])
    }
    const steps = seen.slice(1).map((x, i) => Math.abs(x - seen[i]))
    expect(Math.max(...steps)).toBeLessThan(1)
    expect(seen.some((x) => x > 1.5 && x < 3.5)).toBe(true)
    expect(seen.at(-1)).toBeCloseTo(4, 3)
  })

  it("samples carry the sender's clock: a sender flushing at 5 Hz (busy tab) still plays back at real speed, smoothly", () => {
    const h = createHarness(2, { net: { interpolationDelay: 100 }, link: { latency: 20 } })
    const [a, b] = h.peers
    h.step(2)
    const e = h.spawnMover(a)
    for (let t = 0; t < 10; t++) h.step()
    const r = replicaOf(a, e, b)!
    const view = b.net.interpolated(b.s.Transform)
    // a's game runs at 30 Hz (x = 1 unit per second of its clock) but its network ticks only every 6th frame.
    const rendered: number[] = []
    for (let frame = 0; frame < 180; frame++) {
      a.s.Transform.x[e] = (frame * TICK_MS) / 1000
      a.net.receive()
      b.net.receive()
      if (frame % 6 === 0) a.net.flush()
      b.net.flush()
      h.hub.advance(TICK_MS)
      rendered.push(view.x[r])
    }
    // Over the last 3 s: rendered speed ≈ 1 unit/s (tick-counter timestamps played a 5 Hz sender at 1/6 speed
    // or in 200 ms stairs), and every frame moves (no holding then jumping).
    const last = rendered.slice(90)
    const speed = (last.at(-1)! - last[0]) / ((last.length - 1) * TICK_MS / 1000)
    expect(speed).toBeGreaterThan(0.9)
    expect(speed).toBeLessThan(1.1)
    const steps = last.slice(1).map((x, i) => x - last[i])
    expect(Math.min(...steps)).toBeGreaterThan(0.02) // 1/30 per frame = 0.033
    expect(Math.max(...steps)).toBeLessThan(0.05)
    // And it lags the truth by about the (stretched) delay: 1.5 × 200 ms + latency + up to one interval.
    const lag = (179 * TICK_MS) / 1000 - rendered.at(-1)!
    expect(lag).toBeGreaterThan(0.25)
    expect(lag).toBeLessThan(0.6)
  })
})
