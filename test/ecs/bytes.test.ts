import { createSoASerializer } from 'bitecs/serialization'
import { describe, expect, it } from 'vitest'
import { createHarness, replicaOf } from './helpers/peers.js'

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
  it('an idle world costs one 14-byte header per peer per tick', () => {
    const h = createHarness(2)
    h.step(3)
    for (let i = 0; i < 20; i++) h.spawnMover(h.peers[0], { x: i, velocity: true })
    h.step(10)
    const m = measure(h, 30)
    expect(m.packets).toBe(30)
    expect(m.bytes).toBe(30 * 14)
    // Both directions: the receiver's ack-only packets are the same size.
    const before = h.hub.counters('p1', 'p0').unreliable
    h.step(30)
    const after = h.hub.counters('p1', 'p0').unreliable
    expect(after.sent - before.sent).toBe(30)
    expect(after.sentBytes - before.sentBytes).toBe(30 * 14)
  })

  it('one moving entity costs the header, ~2 bytes of entity overhead and its changed quantized fields', () => {
    const h = createHarness(2)
    h.step(3)
    const [a, b] = h.peers
    const e = h.spawnMover(a, { velocity: true })
    h.step(10)
    // x only: 109 header bits + 3 slot gap + 1 same-masks flag + (1 present + 4 mask + 20 x) + 1 Velocity absent + 1 end = 140 bits = 18 bytes.
    const onlyX = measure(h, 30, (t) => (a.s.Transform.x[e] = (t + 1) * 0.1))
    expect(onlyX.bytes).toBe(30 * 18)
    // x, y, z, yaw: 109 + 3 + 1 + 1 + 4 + 3 × 20 + 12 + 1 + 1 = 192 bits = 24 bytes.
    const all = measure(h, 30, (t) => {
      a.s.Transform.x[e] = 10 + (t + 1) * 0.1
      a.s.Transform.y[e] = (t + 1) * 0.05
      a.s.Transform.z[e] = -(t + 1) * 0.1
      a.s.Transform.yaw[e] = Math.sin((t + 1))
    })
    expect(all.bytes).toBe(30 * 24)
    h.step(5)
    expect(b.s.Transform.x[replicaOf(a, e, b)!]).toBeCloseTo(a.s.Transform.x[e], 3)
    // Stopped: back to headers only once the last change is acknowledged.
    expect(measure(h, 10).bytes).toBe(10 * 14)
  })

  it('1 000 entities with 10 % moving: ≤ 765 bytes per tick, 0.36 × bitECS SoA diff', () => {
    const h = createHarness(2, { capacity: 2048 })
    h.step(3)
    const [a] = h.peers
    const eids = Array.from({ length: 1000 }, (_, i) => h.spawnMover(a, { x: (i % 100) - 50, velocity: true }))
    h.step(10)
    const moving = eids.filter((_, i) => i % 10 === 3)
    // bitECS SoA diff over the same stores and the same changes, for comparison.
    const soa = createSoASerializer([a.s.Transform, a.s.Velocity], { diff: true, buffer: new ArrayBuffer(1 << 20) })
    soa(eids) // prime its shadows
    let soaBytes = 0
    const m = measure(h, 30, (t) => {
      for (const e of moving) {
        a.s.Transform.x[e] += 0.05
        a.s.Transform.z[e] -= 0.05
        a.s.Transform.yaw[e] = (t % 60) * 0.1 - 3
      }
      soaBytes += soa(eids).byteLength
    })
    const perTick = m.bytes / 30
    // Bound: 110 header+end bits + per moving entity: exp-Golomb slot gap (≤ 7 bits for gaps ≤ 14), 1 same-masks
    // bit, x and z 20 bits each, yaw 12 bits = 60 bits; the first entity of a packet also writes its masks (2
    // presence + 4 mask bits): 110 + 6 + 100 × 60 bits → ≤ 765 bytes per tick (7.6 bytes per moving entity).
    expect(perTick).toBeLessThanOrEqual(Math.ceil((110 + 6 + 100 * 60) / 8))
    expect(m.packets).toBe(30) // fits one 1200-byte packet per tick
    expect(perTick).toBe(EXPECTED_1000_10)
    // bitECS SoA diff: 4 (eid) + 4 (component) + 1 (mask) + 3 × 4 (float32) = 21 bytes per moving entity.
    expect(soaBytes / 30).toBe(2100)
    expect(perTick / (soaBytes / 30)).toBeLessThan(0.37)
  })

  it('1 000 entities with 100 % moving split into ≤ 1200-byte packets, each decodable alone', () => {
    const h = createHarness(2, { capacity: 2048 })
    h.step(3)
    const [a, b] = h.peers
    const eids = Array.from({ length: 1000 }, (_, i) => h.spawnMover(a, { x: (i % 100) - 50 }))
    h.step(10)
    const m = measure(h, 10, () => {
      for (const e of eids) {
        a.s.Transform.x[e] += 0.05
        a.s.Transform.z[e] -= 0.05
      }
    })
    expect(m.packets / 10).toBe(EXPECTED_1000_100_PACKETS)
    expect(m.bytes / 10).toBe(EXPECTED_1000_100)
    h.step(5)
    for (const e of eids) expect(b.s.Transform.x[replicaOf(a, e, b)!]).toBeCloseTo(a.s.Transform.x[e], 2)
  })
})

/** 110 + (5 + 1 + 6 + 52) + 99 × (7 + 1 + 52) bits = 6 114 bits. */
const EXPECTED_1000_10 = 765
/** x and z of 1 000 entities (44 bits each after the first of a packet): 5 packets of ≤ 1 200 bytes per tick. */
const EXPECTED_1000_100 = 5581
const EXPECTED_1000_100_PACKETS = 5
