// net.peers[].rtt is the network's round trip: the time an ack waited for the peer's next flush (sent in the
// header as the ack delay) and the time a packet waited for our next receive() (arrival is stamped) are not in it.
import { describe, expect, it } from 'vitest'
import { createHarness } from './helpers/peers.js'

/** Two peers over a link with `oneWay` ms of latency each way, ticking every `tickMs` (virtual time). */
function rttAfter(oneWay: number, tickMs: number, ticks = 40): number[] {
  const h = createHarness(2, { link: { latency: oneWay } })
  for (let t = 0; t < ticks; t++) {
    for (const p of h.peers) p.net.receive()
    for (const p of h.peers) p.net.flush()
    h.hub.advance(tickMs)
  }
  return h.peers.map((p) => p.net.peers[0].rtt)
}

describe('round-trip time', () => {
  it.each([
    [10, 1000 / 30],
    [10, 100],
    [40, 1000 / 60],
    [3, 250],
  ])('%d ms each way at a %d ms tick measures 2 × latency, not the tick', (oneWay, tickMs) => {
    for (const rtt of rttAfter(oneWay, tickMs)) {
      // ± 2 ms: the ack delay travels in 4 ms units.
      expect(rtt).toBeGreaterThanOrEqual(2 * oneWay - 2)
      expect(rtt).toBeLessThanOrEqual(2 * oneWay + 2)
    }
  })

  it('an ack held longer than the header can say (≥ ~1 s) gives no sample rather than a wrong one', () => {
    // 1.5 s ticks: every ack waits longer than 255 × 4 ms, so no RTT sample is ever taken.
    expect(rttAfter(10, 1500, 6)).toEqual([0, 0])
  })
})
