/**
 * @colyseus/schema 5: equivalent Schema classes (Transform, Velocity, an Entity holding both, a State with
 * an ArraySchema of entities), all float32 like the source stores. After a full `encodeAll()` during
 * warm-up, each tick the sender assigns the fields of the entities that moved (Colyseus tracks changes in
 * its setters; writing only movers is the cheapest a game can do) then `encoder.encode()` +
 * `discardChanges()`; the receiver runs `decoder.decode()` into its own State.
 */
import { Decoder, Encoder, schema, t } from '@colyseus/schema'
import type { BenchWorld } from '../world.js'
import { EXACT, maxError, type Contender, type ContenderInstance } from './types.js'

const Transform = schema({ x: t.float32(), y: t.float32(), z: t.float32(), yaw: t.float32() }, 'Transform')
const Velocity = schema({ x: t.float32(), z: t.float32() }, 'Velocity')
const Entity = schema({ transform: Transform, velocity: Velocity }, 'Entity')
const State = schema({ entities: t.array(Entity) }, 'State')
type EntityT = InstanceType<typeof Entity>

function create(w: BenchWorld, split: boolean): ContenderInstance {
  // Full state is ~25 B/entity; give the shared buffer room so it never has to grow mid-run.
  Encoder.BUFFER_SIZE = Math.max(64 * 1024, 40 * w.entities)
  const state = new State()
  const byEid = new Map<number, EntityT>()
  const T = w.Transform
  const V = w.Velocity
  for (let i = 0; i < w.entities; i++) {
    const e = w.eids[i]
    const ent = new Entity()
    ent.transform = new Transform()
    ent.velocity = new Velocity()
    ent.transform.x = T.x[e]
    ent.transform.y = T.y[e]
    ent.transform.z = T.z[e]
    ent.transform.yaw = T.yaw[e]
    ent.velocity.x = V.x[e]
    ent.velocity.z = V.z[e]
    state.entities.push(ent)
    byEid.set(e, ent)
  }
  const encoder = new Encoder(state)
  const rx = new State()
  const decoder = new Decoder(rx)
  decoder.decode(encoder.encodeAll())
  encoder.discardChanges()
  let packet: Uint8Array = new Uint8Array(0)
  // A game holds its Schema objects directly: the entity of an eid is one array load.
  const ents: EntityT[] = []
  for (const [e, ent] of byEid) ents[e] = ent
  const setters = (): void => {
    const moved = w.moved
    for (let k = 0; k < moved.length; k++) {
      const e = moved[k]
      const ent = ents[e]
      const tr = ent.transform
      tr.x = T.x[e]
      tr.y = T.y[e]
      tr.z = T.z[e]
      tr.yaw = T.yaw[e]
      const v = ent.velocity
      v.x = V.x[e]
      v.z = V.z[e]
    }
  }
  return {
    ...(split ? { prepare: setters } : {}),
    encode() {
      if (!split) setters()
      // encode() returns a view of the shared buffer; a transport would send it before the next encode.
      packet = encoder.encode()
      encoder.discardChanges()
      return packet.byteLength
    },
    decode() {
      if (packet.byteLength > 0) decoder.decode(packet)
    },
    check(abs) {
      return maxError(
        w,
        (i, _e, out) => {
          const ent = rx.entities[i]
          out[0] = ent.transform.x
          out[1] = ent.transform.y
          out[2] = ent.transform.z
          out[3] = ent.transform.yaw
          out[4] = ent.velocity.x
          out[5] = ent.velocity.z
        },
        EXACT,
        abs,
      )
    },
  }
}

export const colyseus: Contender = {
  name: 'colyseus',
  description: '@colyseus/schema 5 `Encoder.encode()` deltas (setters on moved entities + encode + discardChanges), `Decoder.decode()`',
  kind: 'delta',
  create: (w) => create(w, false),
}

/** The same, with the setters as `prepare()` (timed apart) and `encode()` only `encoder.encode()` + `discardChanges()`. */
export const colyseusSplit: Contender = {
  name: 'colyseus-split',
  description: '@colyseus/schema 5 as `colyseus`, setters (`prepare`) and `Encoder.encode()` + `discardChanges()` timed apart',
  kind: 'delta',
  create: (w) => create(w, true),
}
