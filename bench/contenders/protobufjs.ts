/**
 * protobufjs 8, full state every tick. The types are built by reflection from the .proto text below;
 * protobufjs compiles each type's `encode`/`decode` at runtime to the same code `pbjs -t static` emits.
 * - `protobufjs`: `repeated Entity entities` (one submessage per entity): the idiomatic protobuf shape.
 * - `protobufjs-packed`: one packed repeated column per field (proto3 packs scalars by default): the
 *   fastest protobuf shape measured in FACTS.md.
 * Message objects / columns are preallocated and refilled from the stores each tick (counted as encode).
 */
import protobuf from 'protobufjs'
import type { BenchWorld } from '../world.js'
import { EXACT, columnsError, type Contender, type ContenderInstance } from './types.js'

const PROTO = `
syntax = "proto3";
package bench;
message Entity { uint32 id = 1; float x = 2; float y = 3; float z = 4; float yaw = 5; float vx = 6; float vz = 7; }
message World { repeated Entity entities = 1; }
message Columns {
  repeated uint32 id = 1; repeated float x = 2; repeated float y = 3; repeated float z = 4;
  repeated float yaw = 5; repeated float vx = 6; repeated float vz = 7;
}
`
const root = protobuf.parse(PROTO).root
const WorldT = root.lookupType('bench.World')
const ColumnsT = root.lookupType('bench.Columns')

interface EntityMsg {
  id: number
  x: number
  y: number
  z: number
  yaw: number
  vx: number
  vz: number
}

function receiver(w: BenchWorld) {
  const cap = w.Transform.x.length
  const rx = { x: new Float32Array(cap), y: new Float32Array(cap), z: new Float32Array(cap), yaw: new Float32Array(cap), vx: new Float32Array(cap), vz: new Float32Array(cap) }
  const check = (abs: Float64Array) => columnsError(w, rx, EXACT, abs)
  return { rx, check }
}

function createRepeated(w: BenchWorld): ContenderInstance {
  const entities: EntityMsg[] = Array.from(w.eids, (id) => ({ id, x: 0, y: 0, z: 0, yaw: 0, vx: 0, vz: 0 }))
  const msg = { entities }
  const { rx, check } = receiver(w)
  let bytes: Uint8Array = new Uint8Array(0)
  return {
    encode() {
      const T = w.Transform
      const V = w.Velocity
      for (let i = 0; i < entities.length; i++) {
        const m = entities[i]
        const e = m.id
        m.x = T.x[e]
        m.y = T.y[e]
        m.z = T.z[e]
        m.yaw = T.yaw[e]
        m.vx = V.x[e]
        m.vz = V.z[e]
      }
      bytes = WorldT.encode(msg).finish()
      return bytes.byteLength
    },
    decode() {
      const got = WorldT.decode(bytes) as unknown as { entities: EntityMsg[] }
      for (const m of got.entities) {
        const e = m.id
        rx.x[e] = m.x
        rx.y[e] = m.y
        rx.z[e] = m.z
        rx.yaw[e] = m.yaw
        rx.vx[e] = m.vx
        rx.vz[e] = m.vz
      }
    },
    check,
  }
}

function createPacked(w: BenchWorld): ContenderInstance {
  const n = w.entities
  const cols = {
    id: Uint32Array.from(w.eids),
    x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n),
    yaw: new Float32Array(n), vx: new Float32Array(n), vz: new Float32Array(n),
  }
  const { rx, check } = receiver(w)
  let bytes: Uint8Array = new Uint8Array(0)
  return {
    encode() {
      const T = w.Transform
      const V = w.Velocity
      const id = cols.id
      for (let i = 0; i < n; i++) {
        const e = id[i]
        cols.x[i] = T.x[e]
        cols.y[i] = T.y[e]
        cols.z[i] = T.z[e]
        cols.yaw[i] = T.yaw[e]
        cols.vx[i] = V.x[e]
        cols.vz[i] = V.z[e]
      }
      bytes = ColumnsT.encode(cols).finish()
      return bytes.byteLength
    },
    decode() {
      const c = ColumnsT.decode(bytes) as unknown as Record<keyof typeof cols, number[]>
      const id = c.id
      for (let i = 0; i < id.length; i++) {
        const e = id[i]
        rx.x[e] = c.x[i]
        rx.y[e] = c.y[i]
        rx.z[e] = c.z[i]
        rx.yaw[e] = c.yaw[i]
        rx.vx[e] = c.vx[i]
        rx.vz[e] = c.vz[i]
      }
    },
    check,
  }
}

export const protobufjsRepeated: Contender = {
  name: 'protobufjs',
  description: 'protobufjs 8 `World.encode` of `repeated Entity` (one submessage per entity, full state each tick)',
  kind: 'full',
  create: createRepeated,
}

export const protobufjsPacked: Contender = {
  name: 'protobufjs-packed',
  description: 'protobufjs 8 `Columns.encode`: one packed repeated column per field (full state each tick)',
  kind: 'full',
  create: createPacked,
}
