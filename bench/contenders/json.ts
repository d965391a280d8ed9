/**
 * `JSON.stringify` of the entities that changed this tick (the world's own list of movers: no change
 * detection cost), as `{ id, x, y, z, yaw, vx, vz }` objects, UTF-8 encoded (bytes on the wire).
 * The receiver decodes, `JSON.parse`s and writes into its stores.
 */
import type { BenchWorld } from '../world.js'
import { EXACT, columnsError, type Contender, type ContenderInstance } from './types.js'

const utf8enc = new TextEncoder()
const utf8dec = new TextDecoder()

interface EntityJson {
  id: number
  x: number
  y: number
  z: number
  yaw: number
  vx: number
  vz: number
}

function create(w: BenchWorld): ContenderInstance {
  const cap = w.Transform.x.length
  const rx = { x: new Float32Array(cap), y: new Float32Array(cap), z: new Float32Array(cap), yaw: new Float32Array(cap), vx: new Float32Array(cap), vz: new Float32Array(cap) }
  // The receiver starts from the initial state (a join snapshot, not measured).
  for (const e of w.eids) {
    rx.x[e] = w.Transform.x[e]
    rx.y[e] = w.Transform.y[e]
    rx.z[e] = w.Transform.z[e]
    rx.yaw[e] = w.Transform.yaw[e]
    rx.vx[e] = w.Velocity.x[e]
    rx.vz[e] = w.Velocity.z[e]
  }
  let bytes: Uint8Array = new Uint8Array(0)
  return {
    encode() {
      const T = w.Transform
      const V = w.Velocity
      const out: EntityJson[] = []
      for (const e of w.moved) out.push({ id: e, x: T.x[e], y: T.y[e], z: T.z[e], yaw: T.yaw[e], vx: V.x[e], vz: V.z[e] })
      bytes = utf8enc.encode(JSON.stringify(out))
      return bytes.byteLength
    },
    decode() {
      const got = JSON.parse(utf8dec.decode(bytes)) as EntityJson[]
      for (const m of got) {
        const e = m.id
        rx.x[e] = m.x
        rx.y[e] = m.y
        rx.z[e] = m.z
        rx.yaw[e] = m.yaw
        rx.vx[e] = m.vx
        rx.vz[e] = m.vz
      }
    },
    check: (abs: Float64Array) => columnsError(w, rx, EXACT, abs),
  }
}

export const json: Contender = {
  name: 'json',
  description: '`JSON.stringify` of the moved entities (given, not detected) + UTF-8; `JSON.parse` + store writes',
  kind: 'delta',
  create,
}
