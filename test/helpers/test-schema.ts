/**
 * A hand-written test schema, built exactly the way generated code builds one (defineComponent / defineEvent /
 * defineSchema), with fresh stores per peer: 8 peers in one process each have their own world and stores.
 */
import { defineComponent, defineEvent, defineSchema, type ComponentDef, type EventDef, type Schema } from '../../src/protocol/index.js'

export type TransformStore = { x: Float32Array; y: Float32Array; z: Float32Array; yaw: Float32Array }
export type VelocityStore = { x: Float32Array; z: Float32Array }
export type ColorStore = { rgb: Uint32Array; label: unknown[] }

const utf8e = new TextEncoder()
const utf8d = new TextDecoder('utf-8', { fatal: true })

export const TransformDef = defineComponent<TransformStore>({
  id: 1,
  name: 'test.Transform',
  sync: 'DELTA',
  interpolate: true,
  fields: [
    { name: 'x', number: 1, kind: 'f32', quantize: { min: -512, max: 512, precision: 0.001 } },
    { name: 'y', number: 2, kind: 'f32', quantize: { min: -512, max: 512, precision: 0.001 } },
    { name: 'z', number: 3, kind: 'f32', quantize: { min: -512, max: 512, precision: 0.001 } },
    { name: 'yaw', number: 4, kind: 'f32', quantize: { angle: true, bits: 12 } },
  ],
})

export const VelocityDef = defineComponent<VelocityStore>({
  id: 2,
  name: 'test.Velocity',
  sync: 'DELTA',
  fields: [
    { name: 'x', number: 1, kind: 'f32', quantize: { min: -64, max: 64, precision: 0.01 } },
    { name: 'z', number: 2, kind: 'f32', quantize: { min: -64, max: 64, precision: 0.01 } },
  ],
})

export const ColorDef = defineComponent<ColorStore>({
  id: 3,
  name: 'test.Color',
  sync: 'RELIABLE',
  fields: [
    { name: 'rgb', number: 1, kind: 'u32' },
    {
      name: 'label', number: 2, kind: 'object',
      codec: { encode: (v) => utf8e.encode(typeof v === 'string' ? v : ''), decode: (b) => utf8d.decode(b) },
    },
  ],
})

export interface Chat { text: string }
export const Chat: EventDef<Chat> = defineEvent<Chat>({
  id: 1,
  name: 'test.Chat',
  codec: {
    encode: (m) => ({ finish: () => utf8e.encode(m.text) }),
    decode: (b) => ({ text: utf8d.decode(b) }),
  },
})

export const FINGERPRINT = 'test-schema-v1'

export interface TestSchema {
  schema: Schema
  Transform: TransformStore
  Velocity: VelocityStore
  Color: ColorStore
}

/** A schema with its own stores, like the generated `createGameSchema(capacity)`. */
export function createTestSchema(capacity = 1024, fingerprint = FINGERPRINT, canonical?: string): TestSchema {
  const Transform = TransformDef.createStore(capacity)
  const Velocity = VelocityDef.createStore(capacity)
  const Color = ColorDef.createStore(capacity)
  const schema = defineSchema({
    components: [
      { def: TransformDef as ComponentDef, store: Transform },
      { def: VelocityDef as ComponentDef, store: Velocity },
      { def: ColorDef as ComponentDef, store: Color },
    ],
    events: [Chat as EventDef],
    fingerprint,
    ...(canonical !== undefined ? { canonical } : {}),
  })
  return { schema, Transform, Velocity, Color }
}
