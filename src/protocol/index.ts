export { BitWriter } from './bit-writer.js'
export { BitReader } from './bit-reader.js'
export { ErrorCode, MultiuserError, DecodeError } from '../shared/errors.js'
export { createQuantizer, bitsForRange, MAX_QUANTIZE_BITS, type QuantizeOptions, type Quantizer } from './quantize.js'
export {
  defineComponent, MAX_FIELDS,
  type ComponentDef, type ComponentSpec, type ComponentStore, type EntityRefCodec, type FieldDef, type FieldSpec, type FieldKind,
  type NumericArray, type ObjectCodec, type Sync, type TypedArrayName,
} from './component.js'
export { defineSchema, defineEvent, defineInput, type Schema, type SchemaSpec, type EventDef, type InputDef, type MessageCodec } from './schema.js'
export type { SchemaDifference } from './schema-diff.js'
