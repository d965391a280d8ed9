import { describe, expect, it } from 'vitest'
import { createHarness } from './helpers/peers.js'

describe('loss estimate', () => {
  it('tracks a 20 % lossy link within a few points after ~2 s, and recovers when the link heals', () => {
    const h = createHarness(2, { seed: 4, link: { latency: 20, jitter: 10 } })
    const [a, b] = h.peers
    h.step(5)
    h.spawnMover(a)
    h.step(30)
    expect(a.net.peers[0].loss).toBe(0)
    h.hub.setLink('p0', 'p1', { latency: 20, jitter: 10, loss: 0.2 })
    h.step(60) // 2 s at 30 Hz
    const sent = h.hub.counters('p0', 'p1').unreliable
    expect(sent.dropped).toBeGreaterThan(0)
    const est = a.net.peers[0].loss
    expect(est).toBeGreaterThan(0.13)
    expect(est).toBeLessThan(0.27)
    expect(a.net.stats.loss).toBeCloseTo(est, 10)
    // The other direction is clean.
    expect(b.net.peers[0].loss).toBe(0)
    // Stays on target while the loss lasts (the window is the last ~2 s).
    const samples: number[] = []
    for (let k = 0; k < 10; k++) {
      h.step(15)
      samples.push(a.net.peers[0].loss)
    }
    for (const s of samples) {
      expect(s).toBeGreaterThan(0.1)
      expect(s).toBeLessThan(0.3)
    }
    // Healed: back near 0 within ~3 s.
    h.hub.setLink('p0', 'p1', { latency: 20, jitter: 10 })
    h.step(90)
    expect(a.net.peers[0].loss).toBeLessThan(0.03)
  })

  it('a link that loses everything reads 100 % within ~2 s (no acks at all)', () => {
    const h = createHarness(2, { seed: 2 })
    const [a] = h.peers
    h.step(10)
    h.hub.setLink('p0', 'p1', { loss: 1 })
    h.step(75)
    expect(a.net.peers[0].loss).toBeGreaterThan(0.95)
  })
})
