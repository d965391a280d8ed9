// The sender-clock room (src/ecs/clock-sync.ts) on its own: a sender whose clock started hours before ours, its
// 16-bit timestamps wrapping every 65.5 s, a jittery one-way delay, a slow sender, and a long silence.
import { describe, expect, it } from 'vitest'
import { SenderClock } from '../../src/ecs/clock-sync.js'
import { createRng } from '../../src/transport/memory/index.js'

const SENDER_ORIGIN = 5 * 3600_000 + 417 // the sender's page loaded 5 h before…
const OUR_ORIGIN = 2 * 3600_000 + 9_031 // …ours 2 h before: the clocks differ by ~3 h
const wire = (senderTime: number) => Math.floor(senderTime) & 0xffff

describe('sender clock', () => {
  it('unwraps the 16-bit sender time across wraps: sample times advance exactly as the sender clock does', () => {
    const clock = new SenderClock(1000 / 30)
    const rng = createRng(5)
    let first = -1
    let firstSender = 0
    // 200 s of 30 Hz packets: three wraps of the 16-bit field; one-way delay 20–60 ms.
    for (let k = 0; k < 6000; k++) {
      const sent = SENDER_ORIGIN + k * (1000 / 30)
      const now = OUR_ORIGIN + k * (1000 / 30) + 20 + rng() * 40
      const t = clock.observe(wire(sent), now)
      if (first < 0) {
        first = t
        firstSender = Math.floor(sent)
      }
      expect(t - first).toBe(Math.floor(sent) - firstSender)
    }
  })

  it('the offset is the least-delayed packet (one-way delay + the clocks’ difference); a slower one moves it only a little', () => {
    const clock = new SenderClock(1000 / 30)
    const packet = (k: number, delay: number) => {
      const now = OUR_ORIGIN + k * 33 + delay
      return now - clock.observe(wire(SENDER_ORIGIN + k * 33), now) // this packet's own offset
    }
    packet(0, 40)
    packet(1, 35)
    const fastest = packet(2, 12)
    expect(clock.offset).toBe(fastest)
    const slow = [packet(3, 50), packet(4, 30)]
    expect(slow.every((o) => o > fastest + 15)).toBe(true)
    expect(clock.offset).toBeGreaterThan(fastest) // follows clock skew upward…
    expect(clock.offset).toBeLessThan(fastest + 1) // …slowly: 1 % of the excess per packet
    const faster = packet(5, 5)
    expect(clock.offset).toBe(faster) // a less-delayed packet takes over at once
    expect(faster).toBeCloseTo(fastest - 7, 9)
  })

  it('measures a slow sender’s flush interval, ignoring a long silence, and renders it further behind', () => {
    const clock = new SenderClock(1000 / 30)
    expect(clock.renderTime(OUR_ORIGIN, 100)).toBe(Number.POSITIVE_INFINITY) // nothing heard yet: the newest state
    let sent = SENDER_ORIGIN
    let now = OUR_ORIGIN + 25
    for (let k = 0; k < 80; k++, sent += 200, now += 200) clock.observe(wire(sent), now) // a busy tab: 5 Hz
    expect(clock.interval).toBeGreaterThan(195)
    expect(clock.interval).toBeLessThan(205)
    const before = clock.interval
    sent += 3000 // 3 s of silence (a hidden tab), then 5 Hz again
    now += 3000
    clock.observe(wire(sent), now)
    expect(clock.interval).toBe(before)
    // Rendered max(delay, 1.5 × interval) behind the sender time that corresponds to our now.
    const senderNow = now - clock.offset
    expect(clock.renderTime(now, 100)).toBeCloseTo(senderNow - 1.5 * clock.interval, 9)
    expect(clock.renderTime(now, 1000)).toBeCloseTo(senderNow - 1000, 9)
  })
})
