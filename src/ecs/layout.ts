import type { ComponentDef, ComponentStore, FieldDef, NumericArray, Schema } from '../protocol/index.js'
import { expGolombBits } from '../protocol/exp-golomb.js'

/** A schema component bound to the store this network replicates. `bit` is its bit in presence masks. */
export interface BoundComponent {
  readonly def: ComponentDef
  readonly store: ComponentStore
  readonly bit: number
  /** Index among DELTA components (presence bits of a delta entity), or -1. */
  readonly deltaIndex: number
  /** First global DELTA field index, or -1. */
  readonly firstField: number
}

/** Everything the hot path needs about the schema, resolved once. */
export interface Layout {
  readonly components: readonly BoundComponent[]
  readonly byId: ReadonlyMap<number, BoundComponent>
  readonly delta: readonly BoundComponent[]
  /** Every numeric field of every DELTA component, in wire order. */
  readonly deltaFields: readonly FieldDef[]
  /** For each global delta field, its component's deltaIndex. */
  readonly deltaFieldComponent: Int32Array
  readonly reliable: readonly BoundComponent[]
  /**
   * Per global delta field: 1 when it may be coded relative to the receiver's baseline (quantized fixed-width
   * fields: the wire value is an integer in [0, wireTop]), else 0.
   */
  readonly deltaCodable: Uint8Array
  /** Per global delta field: wire width in bits (quantized fields), largest valid wire value, 1 = angle (wraps). */
  readonly wireBits: Int32Array
  readonly wireTop: Float64Array
  readonly wireAngle: Uint8Array
  /** Per codable field: its quantizer's min, max and step (for quantizeLinear / quantizeAngle in hot loops). */
  readonly wireMin: Float64Array
  readonly wireMax: Float64Array
  readonly wireStep: Float64Array
  /**
   * Per delta component: its smallest-three quaternion bits (`rotation: QUATERNION`), else 0. Such a component's
   * four fields are made from all four columns at once (quaternionToWire) and always sent together.
   */
  readonly quaternionBits: Int32Array
  /** Upper bound of the bits one entity takes in a delta packet. */
  readonly maxEntityBits: number
  /** The current typed array of global delta field i (re-read after resizes). */
  column(i: number): NumericArray
}

export function createLayout(schema: Schema, stores: ReadonlyMap<number, ComponentStore>): Layout {
  if (schema.components.length > 31) throw new Error('at most 31 components per schema')
  const components: BoundComponent[] = []
  const deltaFields: FieldDef[] = []
  const owners: number[] = []
  let deltaIndex = 0
  let maxEntityBits = expGolombBits(0xfffffff0)
  schema.components.forEach((def, bit) => {
    const store = stores.get(def.id) ?? schema.stores.get(def.id)
    if (!store) throw new Error(`no store for component ${def.name}`)
    if (def.sync === 'DELTA') {
      components.push({ def, store, bit, deltaIndex, firstField: deltaFields.length })
      maxEntityBits += 1 + def.fields.length
      for (const f of def.numericFields) {
        deltaFields.push(f)
        owners.push(deltaIndex)
        maxEntityBits += f.bits >= 0 ? f.bits : f.kind === 'f64' ? 64 : 35
        if (f.quantizer) maxEntityBits += 1 // mode bit
      }
      deltaIndex++
    } else components.push({ def, store, bit, deltaIndex: -1, firstField: -1 })
  })
  const delta = components.filter((c) => c.deltaIndex >= 0)
  const fieldStore = deltaFields.map((_, i) => delta[owners[i]].store)
  const q = (f: FieldDef): boolean => f.quantizer !== undefined && f.bits >= 2
  const deltaCodable = Uint8Array.from(deltaFields.map((f) => (q(f) ? 1 : 0)))
  const wireBits = Int32Array.from(deltaFields.map((f) => (q(f) ? f.bits : 0)))
  const wireAngle = Uint8Array.from(deltaFields.map((f) => (q(f) && f.quantizer!.angle ? 1 : 0)))
  const wireTop = Float64Array.from(deltaFields.map((f) => (!q(f) ? 0 : f.quantizer!.angle ? 2 ** f.bits - 1 : f.quantizer!.quantize(f.quantizer!.max))))
  const wireMin = Float64Array.from(deltaFields.map((f) => (q(f) ? f.quantizer!.min : 0)))
  const wireMax = Float64Array.from(deltaFields.map((f) => (q(f) ? f.quantizer!.max : 0)))
  const wireStep = Float64Array.from(deltaFields.map((f) => (q(f) ? f.quantizer!.step : 0)))
  return {
    components,
    byId: new Map(components.map((c) => [c.def.id, c])),
    delta,
    deltaFields,
    deltaFieldComponent: Int32Array.from(owners),
    quaternionBits: Int32Array.from(delta, (c) => c.def.quaternion?.bits ?? 0),
    reliable: components.filter((c) => c.deltaIndex < 0),
    deltaCodable,
    wireBits,
    wireTop,
    wireAngle,
    wireMin,
    wireMax,
    wireStep,
    maxEntityBits,
    column: (i) => fieldStore[i][deltaFields[i].name] as NumericArray,
  }
}
