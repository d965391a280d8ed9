/**
 * `floor`: a hand-packed reference encoder, **unattainable by design**: it is the least CPU a sender on our
 * quantization grid can spend, not something a real replication core can do. It is
 * - handed the changed list (`world.moved`, ascending eids): no change detection at all;
 * - on exactly our grid (the generated Transform/Velocity quantizers: x, y, z 20 bits, yaw 12, vx, vz 14);
 * - changed-only: per moved entity the fields whose quantized value differs from the last it sent;
 * - without loss recovery: one shadow of what it last sent, no acks, no baselines, no packets, no ids, no header,
 *   no interpolation on the receiver; a lost packet would never heal.
 * Its numbers are the yardstick of the `cpu` group's "÷ floor" goals.
 *
 * Wire, bit-packed by a local 32-bit accumulator: moved-entity count (16 bits), then per entity: gap to the previous
 * index (order-0 exp-Golomb), a 6-bit field mask (x, y, z, yaw, vx, vz), the masked fields at fixed width.
 */
import { TransformDef, VelocityDef } from '../schema.js'
import type { BenchWorld } from '../world.js'
import { oursTolerances } from './ours-codec.js'
import { columnsError, storeColumns, type Contender, type ContenderInstance } from './types.js'

interface Grid {
  min: number
  max: number
  step: number
  top: number
  bits: number
  angle: boolean
}

const grid = (f: (typeof TransformDef.fields)[number]): Grid => {
  const q = f.quantizer!
  return { min: q.min, max: q.max, step: q.step, top: q.angle ? 2 ** q.bits : q.quantize(q.max), bits: q.bits, angle: q.angle }
}

function create(w: BenchWorld): ContenderInstance {
  const n = w.entities
  const grids = [...TransformDef.fields.map(grid), ...VelocityDef.fields.map(grid)]
  const bitsOf = Int32Array.from(grids, (g) => g.bits)
  // Shadow of the last quantized values sent, per entity index and field (-1: never sent).
  const sent = new Float64Array(n * 6).fill(-1)
  // eid → index (the receiver addresses entities by index, as both sides hold the same list).
  const indexOf = new Int32Array(w.Transform.x.length).fill(-1)
  for (let i = 0; i < n; i++) indexOf[w.eids[i]] = i
  const buf = new Uint8Array(16 + n * 16)
  let pos = 0
  let acc = 0
  let accBits = 0
  // LSB-first bit writer, `bits` ≤ 32.
  const put = (v: number, bits: number): void => {
    v = bits === 32 ? v >>> 0 : (v & ((1 << bits) - 1)) >>> 0
    acc = (acc | (v << accBits)) >>> 0
    const total = accBits + bits
    if (total < 32) {
      accBits = total
      return
    }
    buf[pos] = acc
    buf[pos + 1] = acc >>> 8
    buf[pos + 2] = acc >>> 16
    buf[pos + 3] = acc >>> 24
    pos += 4
    accBits = total - 32
    acc = accBits > 0 ? v >>> (bits - accBits) : 0
  }
  // Order-0 exp-Golomb of x < 2^15: k zeros, a one, the k low bits of v = x + 1 (one write of 2k + 1 bits).
  const putGolomb = (x: number): void => {
    const v = x + 1
    const k = 31 - Math.clz32(v)
    put(k === 0 ? 1 : (1 << k) | ((v - (1 << k)) << (k + 1)), 2 * k + 1)
  }
  let length = 0
  const q = new Float64Array(6)
  const tol = oursTolerances()
  const rxT = TransformDef.createStore(w.Transform.x.length)
  const rxV = VelocityDef.createStore(w.Transform.x.length)
  const [gx, gy, gz, gyaw, gvx, gvz] = grids
  const lin = (v: number, g: Grid): number => {
    if (!(v > g.min)) return 0
    if (v >= g.max) return g.top
    const r = Math.round((v - g.min) / g.step)
    return r > g.top ? g.top : r
  }
  const ang = (v: number, g: Grid): number => {
    const r = Math.round((v - g.min) / g.step) % g.top
    return r < 0 ? r + g.top : r
  }
  // The session starts in sync (as after a snapshot, not measured): the receiver holds the source on the grid and
  // the shadow what it holds.
  for (let i = 0; i < n; i++) {
    const e = w.eids[i]
    const v = [w.Transform.x[e], w.Transform.y[e], w.Transform.z[e], w.Transform.yaw[e], w.Velocity.x[e], w.Velocity.z[e]]
    for (let f = 0; f < 6; f++) sent[i * 6 + f] = f === 3 ? ang(v[f], grids[f]) : lin(v[f], grids[f])
    rxT.x[e] = gx.min + sent[i * 6] * gx.step
    rxT.y[e] = gy.min + sent[i * 6 + 1] * gy.step
    rxT.z[e] = gz.min + sent[i * 6 + 2] * gz.step
    rxT.yaw[e] = gyaw.min + sent[i * 6 + 3] * gyaw.step
    rxV.x[e] = gvx.min + sent[i * 6 + 4] * gvx.step
    rxV.z[e] = gvz.min + sent[i * 6 + 5] * gvz.step
  }
  return {
    encode() {
      const moved = w.moved
      const T = w.Transform
      const V = w.Velocity
      pos = 0
      acc = 0
      accBits = 0
      put(moved.length, 16)
      let prev = -1
      for (let k = 0; k < moved.length; k++) {
        const e = moved[k]
        const i = indexOf[e]
        q[0] = lin(T.x[e], gx)
        q[1] = lin(T.y[e], gy)
        q[2] = lin(T.z[e], gz)
        q[3] = ang(T.yaw[e], gyaw)
        q[4] = lin(V.x[e], gvx)
        q[5] = lin(V.z[e], gvz)
        const row = i * 6
        let mask = 0
        for (let f = 0; f < 6; f++) if (q[f] !== sent[row + f]) mask |= 1 << f
        putGolomb(i - prev - 1)
        prev = i
        put(mask, 6)
        for (let f = 0; f < 6; f++) {
          if ((mask & (1 << f)) === 0) continue
          sent[row + f] = q[f]
          put(q[f], bitsOf[f])
        }
      }
      if (accBits > 0) {
        for (let b = 0; b < accBits; b += 8) buf[pos++] = acc >>> b
        accBits = 0
      }
      length = pos
      return length
    },
    decode() {
      // LSB-first reader over buf[0, length).
      let bit = 0
      const get = (bits: number): number => {
        let v = 0
        for (let b = 0; b < bits; b++, bit++) v |= ((buf[bit >> 3] >> (bit & 7)) & 1) << b
        return v >>> 0
      }
      const getGolomb = (): number => {
        let k = 0
        while (get(1) === 0) k++
        return (1 << k) + (k > 0 ? get(k) : 0) - 1
      }
      const count = get(16)
      let i = -1
      for (let c = 0; c < count; c++) {
        i += getGolomb() + 1
        const e = w.eids[i]
        const mask = get(6)
        if (mask & 1) rxT.x[e] = gx.min + get(gx.bits) * gx.step
        if (mask & 2) rxT.y[e] = gy.min + get(gy.bits) * gy.step
        if (mask & 4) rxT.z[e] = gz.min + get(gz.bits) * gz.step
        if (mask & 8) rxT.yaw[e] = gyaw.min + get(gyaw.bits) * gyaw.step
        if (mask & 16) rxV.x[e] = gvx.min + get(gvx.bits) * gvx.step
        if (mask & 32) rxV.z[e] = gvz.min + get(gvz.bits) * gvz.step
      }
    },
    check(abs) {
      return columnsError(w, storeColumns(rxT, rxV), tol, abs)
    },
  }
}

export const floor: Contender = {
  name: 'floor',
  description: 'REFERENCE, unattainable by design: hand-packed, handed the changed list, changed fields only on our grid, no loss recovery (no acks, ids, packets, header)',
  kind: 'delta',
  create,
}
