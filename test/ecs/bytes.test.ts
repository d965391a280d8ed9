import { createSoASerializer } from 'bitecs/serialization'
import { describe, expect, it } from 'vitest'
import { createHarness, replicaOf } from './helpers/peers.js'

/**
 * An idle header: 109 bits (type, seq, ack, one ack word, time, reliable ack) + 7 ack delay (each ack waits one
 * 33 ms tick in this harness: 8 units of 4 ms, exp-Golomb) + 1 packet index + 4 flush + 1 end = 122 bits = 16 bytes.
 */
const IDLE = 16

/**
 * Spawned entities arrive paced by p0's send budget, which starts at 16 KiB/s and grows while it limits us (README
 * "Congestion control"): every entity of `eids` moves for 2 s, so every one arrived and the budget carries them all,
 * then they stand still for 1 s, acknowledged, as right after their spawn.
 */
function warmUp(h: ReturnType<typeof createHarness>, eids: number[]): void {
  const [a] = h.peers
  for (let t = 0; t < 60; t++) {
    for (const e of eids) {
      a.s.Transform.x[e] += 0.5
      a.s.Transform.z[e] += 0.5
    }
    h.step()
  }
  h.step(30)
}

/** Unreliable bytes p0 → p1 during `ticks` ticks. */
function measure(h: ReturnType<typeof createHarness>, ticks: number, each?: (t: number) => void): { bytes: number; packets: number } {
  const before = h.hub.counters('p0', 'p1').unreliable
  const b0 = before.sentBytes
  const p0 = before.sent
  for (let t = 0; t < ticks; t++) {
    each?.(t)
    h.step()
  }
  const after = h.hub.counters('p0', 'p1').unreliable
  return { bytes: after.sentBytes - b0, packets: after.sent - p0 }
}

describe('bytes on the wire', () => {
  it('an idle world costs one 16-byte header per peer per tick', () => {
    const h = createHarness(2)
    h.step(3)
    for (let i = 0; i < 20; i++) h.spawnMover(h.peers[0], { x: i, velocity: true })
    h.step(10)
    const m = measure(h, 30)
    expect(m.packets).toBe(30)
    expect(m.bytes).toBe(30 * IDLE)
    // Both directions: the receiver's ack-only packets are the same size.
    const before = h.hub.counters('p1', 'p0').unreliable
    h.step(30)
    const after = h.hub.counters('p1', 'p0').unreliable
    expect(after.sent - before.sent).toBe(30)
    expect(after.sentBytes - before.sentBytes).toBe(30 * IDLE)
  })

  it('one moving entity costs the header, ~2 bytes of entity overhead and its changed quantized fields', () => {
    const h = createHarness(2)
    h.step(3)
    const [a, b] = h.peers
    const e = h.spawnMover(a, { velocity: true })
    h.step(10)
    // x only, +0.1 (100 steps) per tick, the receiver's acknowledged value 2 ticks old: 121 header bits + 3 slot
    // gap + 3 baseline age + 1 same-masks flag + 1 own-baseline flag + (1 present + 4 mask + 1 mode + 17 x relative:
    // zigzag(200) in exp-Golomb) + 1 Velocity absent + 1 end = 154 bits = 20 bytes. The first 2 ticks x is absolute (its
    // acknowledged value came with the spawn, not from a flush the receiver keeps): 20 bits, 156 bits, 20 bytes too.
    const onlyX = measure(h, 30, (t) => (a.s.Transform.x[e] = (t + 1) * 0.1))
    expect(onlyX.bytes).toBe(30 * 20)
    // x, y, z, yaw: 121 + 3 + 3 + 1 + 1 own + 1 + 4 + 4 modes + 17 x + 15 y (zigzag(100)) + 17 z + 12 yaw
    // (absolute: the jumps are too large to gain) + 1 + 1 = 201 bits = 26 bytes; the first 2 ticks (y, z and yaw
    // absolute: their acknowledged values came with the spawn) cost 53 together.
    const all = measure(h, 30, (t) => {
      a.s.Transform.x[e] = 10 + (t + 1) * 0.1
      a.s.Transform.y[e] = (t + 1) * 0.05
      a.s.Transform.z[e] = -(t + 1) * 0.1
      a.s.Transform.yaw[e] = Math.sin((t + 1))
    })
    expect(all.bytes).toBe(53 + 28 * 26)
    h.step(5)
    expect(b.s.Transform.x[replicaOf(a, e, b)!]).toBeCloseTo(a.s.Transform.x[e], 3)
    // Stopped: back to headers only once the last change is acknowledged.
    expect(measure(h, 10).bytes).toBe(10 * IDLE)
  })

  it('1 000 entities with 10 % moving: 642 bytes per tick, ≤ 0.31 × bitECS SoA diff', () => {
    const h = createHarness(2, { capacity: 2048 })
    h.step(3)
    const [a] = h.peers
    const eids = Array.from({ length: 1000 }, (_, i) => h.spawnMover(a, { x: (i % 100) - 50, velocity: true }))
    h.step(10)
    warmUp(h, eids)
    const moving = eids.filter((_, i) => i % 10 === 3)
    // bitECS SoA diff over the same stores and the same changes, for comparison.
    const soa = createSoASerializer([a.s.Transform, a.s.Velocity], { diff: true, buffer: new ArrayBuffer(1 << 20) })
    soa(eids) // prime its shadows
    let soaBytes = 0
    const move = (t: number): void => {
      for (const e of moving) {
        a.s.Transform.x[e] += 0.05
        a.s.Transform.z[e] -= 0.05
        a.s.Transform.yaw[e] = (t % 60) * 0.1 - 3
      }
    }
    // The first 2 ticks of motion send absolute values (the acknowledged values came with the spawn).
    expect(measure(h, 2, move).bytes).toBe(2 * 767)
    soa(eids)
    const m = measure(h, 30, (t) => {
      move(t + 2)
      soaBytes += soa(eids).byteLength
    })
    const perTick = m.bytes / 30
    // Steady state (the receiver's acknowledged values are 2 ticks old: x and z moved 100 steps, yaw 130 of
    // 4096): 122 header+end bits (109 + 7 ack delay + packet index + 4 flush + end), first entity: 5 slot gap + 3 baseline age + 1 same + 1 own (0: the packet's baseline; the others repeat it with their masks) + (1 present + 4 mask +
    // 3 modes) + 15 x + 15 z (zigzag(±100) in exp-Golomb: 15 bits instead of 20) + 12 yaw (absolute, 17 bits
    // relative) + 1 Velocity absent = 61; the 99 others: 7 slot gap + 1 same + 15 + 15 + 12 = 50 bits
    // → 122 + 61 + 99 × 50 = 5 133 bits = 642 bytes (6.4 bytes per moving entity).
    expect(m.packets).toBe(30) // fits one 1200-byte packet per tick
    expect(perTick).toBe(EXPECTED_1000_10)
    // bitECS SoA diff: 4 (eid) + 4 (component) + 1 (mask) + 3 × 4 (float32) = 21 bytes per moving entity.
    expect(soaBytes / 30).toBe(2100)
    expect(perTick / (soaBytes / 30)).toBeLessThanOrEqual(0.31)
  })

  it('1 000 entities with 100 % moving split into ≤ 1200-byte packets, each decodable alone', () => {
    const h = createHarness(2, { capacity: 2048 })
    h.step(3)
    const [a, b] = h.peers
    const eids = Array.from({ length: 1000 }, (_, i) => h.spawnMover(a, { x: (i % 100) - 50 }))
    h.step(10)
    warmUp(h, eids)
    const move = (): void => {
      for (const e of eids) {
        a.s.Transform.x[e] += 0.05
        a.s.Transform.z[e] -= 0.05
      }
    }
    // The first 2 ticks send absolute values (44 bits per entity after the first of a packet): 5 packets.
    const first = measure(h, 2, move)
    expect(first.packets).toBe(2 * 5)
    expect(first.bytes).toBe(11190)
    const m = measure(h, 10, move)
    expect(m.packets / 10).toBe(EXPECTED_1000_100_PACKETS)
    expect(m.bytes / 10).toBe(EXPECTED_1000_100)
    h.step(5)
    for (const e of eids) expect(b.s.Transform.x[replicaOf(a, e, b)!]).toBeCloseTo(a.s.Transform.x[e], 2)
  })
})

/** 122 + 61 + 99 × 50 bits = 5 133 bits (before relative coding: 767 bytes). */
const EXPECTED_1000_10 = 642
/**
 * x and z of 1 000 entities, relative to the values acknowledged 2 ticks ago (3 slot gap + 1 same + 2 × 15 = 34
 * bits each after the first of a packet): 4 packets of ≤ 1 200 bytes per tick (absolute: ~5 590 bytes in 5).
 */
const EXPECTED_1000_100 = 4327
const EXPECTED_1000_100_PACKETS = 4
