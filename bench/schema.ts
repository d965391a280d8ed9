/**
 * The benchmark's component layout, identical to `proto/game.proto` (Transform, Velocity).
 * Built with `defineComponent` from src/protocol directly, so the bench does not depend on the
 * generator's output being present; the quantization options are copied from the .proto verbatim.
 */
import { defineComponent, type ComponentDef, type NumericArray } from '../src/protocol/index.js'

export type TransformStore = { x: Float32Array; y: Float32Array; z: Float32Array; yaw: Float32Array } & Record<string, NumericArray>
export type VelocityStore = { x: Float32Array; z: Float32Array } & Record<string, NumericArray>

const pos = { min: -512, max: 512, precision: 0.001 }

export const TransformDef: ComponentDef<TransformStore> = defineComponent<TransformStore>({
  id: 1,
  name: 'game.Transform',
  sync: 'DELTA',
  interpolate: true,
  fields: [
    { name: 'x', number: 1, kind: 'f32', quantize: pos },
    { name: 'y', number: 2, kind: 'f32', quantize: pos },
    { name: 'z', number: 3, kind: 'f32', quantize: pos },
    { name: 'yaw', number: 4, kind: 'f32', quantize: { angle: true, bits: 12 } },
  ],
})

export const VelocityDef: ComponentDef<VelocityStore> = defineComponent<VelocityStore>({
  id: 2,
  name: 'game.Velocity',
  sync: 'DELTA',
  fields: [
    { name: 'x', number: 1, kind: 'f32', quantize: { min: -64, max: 64, precision: 0.01 } },
    { name: 'z', number: 2, kind: 'f32', quantize: { min: -64, max: 64, precision: 0.01 } },
  ],
})

/** The six replicated columns, in a fixed order every contender uses. */
export const FIELDS = [
  { component: 'Transform', field: 'x' },
  { component: 'Transform', field: 'y' },
  { component: 'Transform', field: 'z' },
  { component: 'Transform', field: 'yaw' },
  { component: 'Velocity', field: 'x' },
  { component: 'Velocity', field: 'z' },
] as const
