import type { BitReader } from './bit-reader.js'
import type { BitWriter } from './bit-writer.js'
import { DecodeError, ErrorCode, MultiuserError } from '../shared/errors.js'
import { createQuantizer, type QuantizeOptions, type Quantizer } from './quantize.js'
import { checkQuaternionBits, quaternionFromWire, quaternionToWire, SMALLEST_THREE_MAX } from './quaternion.js'

/**
 * How a field is held in the store and put on the wire.
 * - numeric kinds live in a typed array (one slot per entity);
 * - `object` (strings, bytes, repeated, nested messages; RELIABLE components only) lives in a plain array
 *   and is written as a length-prefixed blob produced by the field's `codec`.
 */
export type FieldKind = 'f32' | 'f64' | 'i32' | 'u32' | 'bool' | 'enum' | 'object'

/** The typed arrays a numeric field can live in. */
export type TypedArrayName = 'Float32Array' | 'Float64Array' | 'Int8Array' | 'Int16Array' | 'Int32Array' | 'Uint8Array' | 'Uint16Array' | 'Uint32Array'
/** A numeric field's store column. */
export type NumericArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array

/** How an `object` field's value becomes bytes and back. */
export interface ObjectCodec<T = unknown> {
  /** The value's bytes. */
  encode(value: T): Uint8Array
  /** The value of `bytes` (throws on bad input). */
  decode(bytes: Uint8Array): T
}

/** A field as the generator (or a hand-written schema) declares it. */
export interface FieldSpec {
  /** Field name in the store (the ts-proto property name). */
  name: string
  /** The .proto field number. */
  number: number
  /** How it is stored and coded. */
  kind: FieldKind
  /** Fixed-point coding. */
  quantize?: QuantizeOptions
  /** `enum`: values are 0 .. 2^enumBits - 1. */
  enumBits?: number
  /** Store array type; defaults by kind (f32 → Float32Array, enum → Uint8Array/Uint16Array/Uint32Array by enumBits, ...). */
  array?: TypedArrayName
  /** `object` fields: how a value becomes bytes (the generator passes a ts-proto based codec). */
  codec?: ObjectCodec
  /**
   * The field holds an entity (`(multiuser.entity) = true` on a uint32 of a RELIABLE component): each peer's store
   * holds its own local eid of it (0: none), and the wire carries the entity's net id.
   */
  entity?: boolean
}

/** How a component travels: acknowledged deltas on the unreliable channel, or reliable updates. */
export type Sync = 'DELTA' | 'RELIABLE'

/** A component as the generator (or a hand-written schema) declares it, for {@link defineComponent}. */
export interface ComponentSpec {
  /** Stable numeric id (unique within the schema). */
  id: number
  /** Fully qualified .proto message name. */
  name: string
  /** How it travels. */
  sync: Sync
  /** Receivers render it interpolated (DELTA components). */
  interpolate?: boolean
  /**
   * Weight of this component's changes when a receiver's send budget cannot carry every change (DELTA; default 1).
   * Local to the sender: not part of the wire format nor of the schema fingerprint.
   */
  priority?: number
  /**
   * The component is an orientation (`rotation: QUATERNION`): its four float fields, in order x, y, z, w, hold a
   * quaternion coded "smallest three" with `bits` per sent component (protocol/quaternion.ts; error bound there).
   * DELTA components only; the four fields always travel together.
   */
  quaternion?: { bits: number }
  /** Its fields, in .proto field order. */
  fields: readonly FieldSpec[]
}

/** A resolved field: knows its wire width and how to map store values to canonical wire values. */
export interface FieldDef {
  /** Field name in the store. */
  readonly name: string
  /** The .proto field number. */
  readonly number: number
  /** Its index in the component (its bit in change masks). */
  readonly index: number
  /** How it is stored and coded. */
  readonly kind: FieldKind
  /** Fixed width in bits, or -1 for variable-length fields (unquantized ints, objects). */
  readonly bits: number
  /** Its quantizer, when quantized. */
  readonly quantizer?: Quantizer
  /** Its store column type. */
  readonly array: TypedArrayName | 'Array'
  /** The codec of an `object` field. */
  readonly codec?: ObjectCodec
  /** Holds an entity: a local eid in the store, a net id on the wire (through an {@link EntityRefCodec}). */
  readonly entity: boolean
  /** Store value → canonical wire value (quantized integer, float32-rounded float, ...). Numeric fields only. */
  toWire(value: number): number
  /** Canonical wire value → the value a receiver stores. */
  fromWire(wire: number): number
  /** Writes a wire value. */
  writeWire(w: BitWriter, wire: number): void
  /** Reads a wire value. */
  readWire(r: BitReader): number
}

/** A component's store: one column (typed array, or plain array for object fields) per field, indexed by eid. */
export type ComponentStore = Record<string, NumericArray | unknown[]>

/**
 * How entity fields cross the wire: a network maps a local eid to a small reference number (0: none) carried in
 * the field's place, and back. Without one, an entity field is coded as the plain number.
 */
export interface EntityRefCodec {
  /** Our eid (0: none) → the reference number written in its place. */
  toRef(eid: number): number
  /** A reference number read for `field` of entity `eid` → the local eid to store (0: none or not arrived yet). */
  fromRef(ref: number, eid: number, field: FieldDef): number
}

/** A component's codec and store factory, made by {@link defineComponent}. */
export interface ComponentDef<S extends ComponentStore = ComponentStore> {
  /** Its stable id in the schema. */
  readonly id: number
  /** Fully qualified .proto message name. */
  readonly name: string
  /** How it travels. */
  readonly sync: Sync
  /** Whether receivers render it interpolated. */
  readonly interpolate: boolean
  /** Weight of its changes when a send budget cannot carry every change (1 unless the spec says otherwise). */
  readonly priority: number
  /**
   * Smallest-three quaternion coding (`rotation: QUATERNION`), or null. Its fields' wire values are then four joint
   * slots (the largest component's index, then the other three quantized; see protocol/quaternion.ts), made by
   * `quaternionToWire` from all four columns at once: a field's own `toWire` / `fromWire` throw.
   */
  readonly quaternion: { readonly bits: number } | null
  /** Its fields, in order. */
  readonly fields: readonly FieldDef[]
  /** Bitmask with one bit per field. */
  readonly fullMask: number
  /** Indexes of numeric fields (those that can be interpolated and diffed cheaply). */
  readonly numericFields: readonly FieldDef[]
  /** A new store with room for `capacity` entities. */
  createStore(capacity: number): S
  /** Grows (or shrinks) a store's arrays in place, keeping values of entities below the new capacity. */
  resize(store: S, capacity: number): void
  /** Capacity of a store (length of its arrays). */
  capacityOf(store: S): number
  /** Writes the fields in `mask` for entity `eid`. The mask itself is not written. Entity fields go through `refs`. */
  encode(w: BitWriter, store: S, eid: number, mask: number, refs?: EntityRefCodec): void
  /** Reads the fields in `mask` into entity `eid`. Throws DecodeError on bad input. Entity fields go through `refs`. */
  decode(r: BitReader, store: S, eid: number, mask: number, refs?: EntityRefCodec): void
}

export const MAX_FIELDS = 31

function invalid(message: string): never {
  throw new MultiuserError(ErrorCode.SCHEMA_INVALID, message)
}

function defaultArray(f: FieldSpec): TypedArrayName | 'Array' {
  if (f.array) return f.array
  switch (f.kind) {
    case 'f32': return 'Float32Array'
    case 'f64': return 'Float64Array'
    case 'i32': return 'Int32Array'
    case 'u32': return 'Uint32Array'
    case 'bool': return 'Uint8Array'
    case 'enum': return (f.enumBits ?? 32) <= 8 ? 'Uint8Array' : (f.enumBits ?? 32) <= 16 ? 'Uint16Array' : 'Uint32Array'
    case 'object': return 'Array'
  }
}

const ARRAYS: Record<TypedArrayName, new (n: number) => NumericArray> = {
  Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Uint8Array, Uint16Array, Uint32Array,
}
const f32 = new Float32Array(1)

function resolveField(component: string, f: FieldSpec, index: number): FieldDef {
  const where = `${component}.${f.name}`
  const array = defaultArray(f)
  const entity = f.entity === true
  if (entity && (f.kind !== 'u32' || f.quantize)) invalid(`${where}: an entity field is an unquantized u32`)
  const base = { name: f.name, number: f.number, index, kind: f.kind, array, entity }
  if (f.quantize) {
    if (f.kind !== 'f32' && f.kind !== 'f64' && f.kind !== 'i32' && f.kind !== 'u32') invalid(`${where}: quantize applies to numeric fields only (field is ${f.kind})`)
    const q = createQuantizer(where, f.quantize)
    const bits = q.bits
    const integer = f.kind === 'i32' || f.kind === 'u32'
    // A value above the top level can only come from a corrupt or hostile packet: clamp it.
    const topWire = q.angle ? 2 ** bits - 1 : q.quantize(q.max)
    return {
      ...base, bits, quantizer: q,
      toWire: (v) => q.quantize(v),
      fromWire: integer ? (w) => Math.round(q.dequantize(w)) : (w) => q.dequantize(w),
      writeWire: (w, v) => w.writeBits(v, bits),
      readWire: (r) => {
        const v = r.readBits(bits)
        return v > topWire ? topWire : v
      },
    }
  }
  switch (f.kind) {
    case 'f32':
      return { ...base, bits: 32, toWire: (v) => ((f32[0] = v), f32[0]), fromWire: (w) => w, writeWire: (w, v) => w.writeF32(v), readWire: (r) => r.readF32() }
    case 'f64':
      return { ...base, bits: 64, toWire: (v) => v, fromWire: (w) => w, writeWire: (w, v) => w.writeF64(v), readWire: (r) => r.readF64() }
    case 'i32':
      return { ...base, bits: -1, toWire: (v) => v | 0, fromWire: (w) => w, writeWire: (w, v) => w.writeCompactI32(v), readWire: (r) => r.readCompactI32() }
    case 'u32':
      return { ...base, bits: -1, toWire: (v) => v >>> 0, fromWire: (w) => w, writeWire: (w, v) => w.writeCompactU32(v), readWire: (r) => r.readCompactU32() }
    case 'bool':
      return { ...base, bits: 1, toWire: (v) => (v ? 1 : 0), fromWire: (w) => w, writeWire: (w, v) => w.writeBits(v, 1), readWire: (r) => r.readBits(1) }
    case 'enum': {
      const bits = f.enumBits ?? invalid(`${where}: enum field needs enumBits`)
      if (!Number.isInteger(bits) || bits < 1 || bits > 32) invalid(`${where}: enumBits must be 1..32`)
      const top = 2 ** bits - 1
      return {
        ...base, bits,
        toWire: (v) => (v < 0 ? 0 : v > top ? top : v >>> 0),
        fromWire: (w) => w,
        writeWire: (w, v) => w.writeBits(v, bits),
        readWire: (r) => r.readBits(bits),
      }
    }
    case 'object': {
      if (!f.codec) invalid(`${where}: object field needs a codec`)
      const never = (): never => invalid(`${where}: object fields have no numeric wire value`)
      return { ...base, bits: -1, codec: f.codec, toWire: never, fromWire: never, writeWire: never, readWire: never }
    }
  }
}

/**
 * The four fields of a quaternion component: slot 0 holds the largest component's index (0..3, 2 bits), slots 1..3
 * the other three quantized over [−1/√2, 1/√2] (`bits` each). Their values only make sense together.
 */
function quaternionFields(spec: ComponentSpec, bits: number): FieldDef[] {
  checkQuaternionBits(spec.name, bits)
  if (spec.sync !== 'DELTA') invalid(`${spec.name}: rotation: QUATERNION applies to DELTA components`)
  if (spec.fields.length !== 4) invalid(`${spec.name}: a QUATERNION component has exactly four float fields, x, y, z, w (has ${spec.fields.length})`)
  return spec.fields.map((f, i) => {
    if (f.kind !== 'f32' && f.kind !== 'f64') invalid(`${spec.name}.${f.name}: a QUATERNION component's fields are float or double`)
    if (f.quantize) invalid(`${spec.name}.${f.name}: a QUATERNION component's fields take no quantize option (its rotation bits set the precision)`)
    const q = i === 0 ? createQuantizer(`${spec.name}.${f.name}`, { min: 0, max: 3, bits: 2 }) : createQuantizer(`${spec.name}.${f.name}`, { min: -SMALLEST_THREE_MAX, max: SMALLEST_THREE_MAX, bits })
    const top = 2 ** q.bits - 1
    const joint = (): never => invalid(`${spec.name}.${f.name}: a QUATERNION field has no wire value of its own (see quaternionToWire)`)
    return {
      name: f.name, number: f.number, index: i, kind: f.kind, array: defaultArray(f), entity: false, bits: q.bits, quantizer: q,
      toWire: joint,
      fromWire: joint,
      writeWire: (w, v) => w.writeBits(v, q.bits),
      readWire: (r) => {
        const v = r.readBits(q.bits)
        return v > top ? top : v
      },
    }
  })
}

/** Builds a component: its store factory and its change-mask codec. Called by generated code. */
export function defineComponent<S extends ComponentStore = ComponentStore>(spec: ComponentSpec): ComponentDef<S> {
  if (spec.fields.length === 0) invalid(`${spec.name}: a component needs at least one field`)
  const priority = spec.priority ?? 1
  if (!(Number.isFinite(priority) && priority > 0)) invalid(`${spec.name}: priority must be a positive number (got ${spec.priority})`)
  if (spec.fields.length > MAX_FIELDS) invalid(`${spec.name}: at most ${MAX_FIELDS} fields per component (has ${spec.fields.length})`)
  const names = new Set<string>()
  for (const f of spec.fields) {
    if (names.has(f.name)) invalid(`${spec.name}: duplicate field ${f.name}`)
    names.add(f.name)
  }
  const quaternion = spec.quaternion ? { bits: spec.quaternion.bits } : null
  const fields = quaternion ? quaternionFields(spec, quaternion.bits) : spec.fields.map((f, i) => resolveField(spec.name, f, i))
  if (spec.sync === 'DELTA') {
    const bad = fields.find((f) => f.kind === 'object')
    if (bad) invalid(`${spec.name}.${bad.name}: a DELTA component holds numbers only; use sync: RELIABLE or an event for this field`)
    const ref = fields.find((f) => f.entity)
    if (ref) invalid(`${spec.name}.${ref.name}: entity fields belong in RELIABLE components`)
  }
  const fullMask = 2 ** fields.length - 1

  // Quaternion components: the four slots are made (and read) together, and any field sent means all four.
  const slots = new Float64Array(4)
  const quat = new Float64Array(4)
  const encodeQuaternion = (w: BitWriter, store: S, eid: number): void => {
    const c = fields.map((f) => store[f.name] as NumericArray)
    quaternionToWire(c[0][eid], c[1][eid], c[2][eid], c[3][eid], quaternion!.bits, slots, 0)
    for (let i = 0; i < 4; i++) fields[i].writeWire(w, slots[i])
  }
  const decodeQuaternion = (r: BitReader, store: S, eid: number): void => {
    for (let i = 0; i < 4; i++) slots[i] = fields[i].readWire(r)
    const c = fields.map((f) => store[f.name] as NumericArray)
    const prev = [c[0][eid], c[1][eid], c[2][eid], c[3][eid]]
    quaternionFromWire(slots, 0, quaternion!.bits, quat, prev)
    for (let i = 0; i < 4; i++) c[i][eid] = quat[i]
  }
  const encode = (w: BitWriter, store: S, eid: number, mask: number, refs?: EntityRefCodec): void => {
    if (quaternion) {
      if (mask !== 0) encodeQuaternion(w, store, eid)
      return
    }
    for (let i = 0; i < fields.length; i++) {
      if ((mask & (1 << i)) === 0) continue
      const f = fields[i]
      const column = store[f.name]
      if (f.kind === 'object') w.writeBytes(f.codec!.encode((column as unknown[])[eid]))
      else if (f.entity && refs) f.writeWire(w, refs.toRef((column as NumericArray)[eid]))
      else f.writeWire(w, f.toWire((column as NumericArray)[eid]))
    }
  }
  const decode = (r: BitReader, store: S, eid: number, mask: number, refs?: EntityRefCodec): void => {
    if (quaternion) {
      if (mask !== 0) decodeQuaternion(r, store, eid)
      return
    }
    for (let i = 0; i < fields.length; i++) {
      if ((mask & (1 << i)) === 0) continue
      const f = fields[i]
      const column = store[f.name]
      if (f.kind === 'object') {
        let value: unknown
        const bytes = r.readBytes()
        try {
          value = f.codec!.decode(bytes)
        } catch (e) {
          throw new DecodeError(`${spec.name}.${f.name}: ${(e as Error).message}`)
        }
        ;(column as unknown[])[eid] = value
      } else if (f.entity && refs) (column as NumericArray)[eid] = refs.fromRef(f.readWire(r), eid, f)
      else (column as NumericArray)[eid] = f.fromWire(f.readWire(r))
    }
  }
  const capacityOf = (store: S): number => (store[fields[0].name] as { length: number }).length
  const resize = (store: S, capacity: number): void => {
    for (const f of fields) {
      const old = store[f.name]
      if (old.length === capacity) continue
      if (f.array === 'Array') {
        ;(old as unknown[]).length = capacity
        continue
      }
      const next = new ARRAYS[f.array](capacity)
      next.set((old as NumericArray).subarray(0, Math.min(capacity, old.length)))
      ;(store as Record<string, unknown>)[f.name] = next
    }
  }
  return {
    id: spec.id,
    name: spec.name,
    sync: spec.sync,
    interpolate: spec.interpolate === true,
    priority,
    quaternion,
    fields,
    fullMask,
    numericFields: fields.filter((f) => f.kind !== 'object'),
    createStore(capacity) {
      const store: Record<string, unknown> = {}
      for (const f of fields) store[f.name] = f.array === 'Array' ? new Array<unknown>(capacity).fill(undefined) : new ARRAYS[f.array](capacity)
      return store as S
    },
    resize,
    capacityOf,
    encode,
    decode,
  }
}
