import protobuf from 'protobufjs'
import type { FieldKind, TypedArrayName } from '../protocol/index.js'

/** Scalar .proto types a store keeps in a typed array. */
export const NUMERIC_TYPES: Readonly<Record<string, { kind: FieldKind; array: TypedArrayName }>> = {
  float: { kind: 'f32', array: 'Float32Array' },
  double: { kind: 'f64', array: 'Float64Array' },
  int32: { kind: 'i32', array: 'Int32Array' },
  sint32: { kind: 'i32', array: 'Int32Array' },
  sfixed32: { kind: 'i32', array: 'Int32Array' },
  uint32: { kind: 'u32', array: 'Uint32Array' },
  fixed32: { kind: 'u32', array: 'Uint32Array' },
  bool: { kind: 'bool', array: 'Uint8Array' },
}

export const INT64_TYPES: ReadonlySet<string> = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'])

/** ts-proto's property name for a .proto field (its `snakeToCamel`, applied when the name has `_`). */
export function tsPropertyName(protoName: string): string {
  if (!protoName.includes('_')) return protoName
  const hasLower = /[a-z]/.test(protoName)
  return protoName
    .split('_')
    .map((w, i) => {
      const word = hasLower ? w : w.toLowerCase()
      return i === 0 ? word : word.slice(0, 1).toUpperCase() + word.slice(1)
    })
    .join('')
}

function typeName(f: protobuf.Field, t: string): string {
  return f.resolvedType ? f.resolvedType.fullName : t
}

/** Canonical .proto type of a field: `float`, `repeated int32`, `optional string`, `map<string, .game.Item>`, `.game.Vec`. */
export function protoTypeOf(f: protobuf.Field): string {
  if (f instanceof protobuf.MapField) return `map<${f.keyType}, ${typeName(f, f.type)}>`
  const base = typeName(f, f.type)
  if (f.repeated) return `repeated ${base}`
  if (f.options?.proto3_optional === true) return `optional ${base}`
  return base
}

/** Message/enum full names (with leading dot) a field refers to. */
export function refsOf(f: protobuf.Field): string[] {
  return f.resolvedType ? [f.resolvedType.fullName] : []
}

/** What a DELTA component cannot hold, described for an error message; undefined if the field is numeric. */
export function nonNumericReason(f: protobuf.Field): string | undefined {
  if (f instanceof protobuf.MapField) return 'a map'
  if (f.repeated) return 'a repeated field'
  if (f.resolvedType instanceof protobuf.Type) return 'a nested message'
  if (f.type === 'string') return 'a string'
  if (f.type === 'bytes') return 'bytes'
  if (INT64_TYPES.has(f.type)) return `a 64-bit integer (${f.type})`
  return undefined
}

/** Bits an enum needs (values 0 .. max), or a reason it cannot be stored. */
export function enumBitsOf(e: protobuf.Enum): number | string {
  const values = Object.values(e.values)
  if (values.some((v) => v < 0)) return `enum ${e.fullName.slice(1)} has negative values, which a store cannot hold`
  const max = Math.max(0, ...values)
  return Math.max(1, Math.ceil(Math.log2(max + 1)))
}

export function enumArray(bits: number): TypedArrayName {
  return bits <= 8 ? 'Uint8Array' : bits <= 16 ? 'Uint16Array' : 'Uint32Array'
}
