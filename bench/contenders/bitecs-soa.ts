/**
 * bitECS 0.4 `createSoASerializer` / `createSoADeserializer` over the same SoA stores, with an explicitly
 * sized buffer (the default allocates 100 MB per serializer).
 * - full: every entity every tick (u32 eid per component + raw float32 fields);
 * - diff: `diff: true`, its own shadow copy (one per serializer, i.e. no per-receiver acks) and
 *   epsilon 1e-4; every entity id is passed in and the serializer decides what changed.
 */
import { createSoADeserializer, createSoASerializer } from 'bitecs/serialization'
import { TransformDef, VelocityDef } from '../schema.js'
import type { BenchWorld } from '../world.js'
import { EXACT, columnsError, storeColumns, type Contender, type ContenderInstance, type Tolerances } from './types.js'

const EPSILON = 1e-4

function make(diff: boolean) {
  return (w: BenchWorld): ContenderInstance => {
    const cap = w.Transform.x.length
    const rxT = TransformDef.createStore(cap)
    const rxV = VelocityDef.createStore(cap)
    // full: 2 × u32 eid + 6 × f32 = 32 B/entity; diff: 2 × (u32 eid + u32 component id + u8 mask) + 24 = 42 B.
    const buffer = new ArrayBuffer(48 * w.entities + 1024)
    const serialize = createSoASerializer([w.Transform, w.Velocity], { diff, buffer, epsilon: EPSILON })
    const deserialize = createSoADeserializer([rxT, rxV], { diff })
    const indices = Array.from(w.eids)
    let packet = new ArrayBuffer(0)
    const tol: Tolerances = diff ? [EPSILON, EPSILON, EPSILON, EPSILON, EPSILON, EPSILON] : EXACT
    return {
      encode() {
        packet = serialize(indices)
        return packet.byteLength
      },
      decode() {
        deserialize(packet)
      },
      check: (abs) => columnsError(w, storeColumns(rxT, rxV), tol, abs),
    }
  }
}

export const bitecsSoa: Contender = {
  name: 'bitecs-soa',
  description: 'bitECS `createSoASerializer` (full state of every entity each tick), sized buffer',
  kind: 'full',
  create: make(false),
}

export const bitecsSoaDiff: Contender = {
  name: 'bitecs-soa-diff',
  description: 'bitECS `createSoASerializer({ diff: true })`: its own shadow (no acks), epsilon 1e-4, sized buffer',
  kind: 'delta',
  create: make(true),
}
