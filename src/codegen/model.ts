import type { FieldKind, QuantizeOptions, Sync, TypedArrayName } from '../protocol/index.js'
import type { SourceLoc } from './locations.js'

/** A component field after validation: what the emitted `FieldSpec` and store type say. */
export interface FieldModel {
  /** Name in the .proto. */
  protoName: string
  /** Property name in ts-proto's message and in the store (lowerCamelCase like ts-proto). */
  tsName: string
  number: number
  /** Canonical .proto type, e.g. `float`, `repeated int32`, `map<string, .game.Item>`, `.game.Vec`. */
  protoType: string
  kind: FieldKind
  /** Store array (`Array` for object fields). */
  array: TypedArrayName | 'Array'
  /** As written in the .proto (only the keys given). */
  quantize?: QuantizeOptions
  enumBits?: number
  /** `(multiuser.entity) = true`: the field holds an entity (a uint32 of a RELIABLE component). */
  entity?: true
  /** Message or enum full names this field refers to (for the fingerprint). */
  refs: string[]
}

export interface ComponentModel {
  fullName: string
  /** Simple name: the exported store (`Transform`), `TransformDef`, `TransformStore`. */
  name: string
  /** The .proto file (relative to the proto dir) whose ts-proto module holds the message. */
  file: string
  id: number
  sync: Sync
  interpolate: boolean
  /** The `priority` option (1 when absent). */
  priority: number
  /** `rotation: QUATERNION`: smallest-three bits per sent component (`rotation_bits`, default 10). */
  quaternion?: { bits: number }
  fields: FieldModel[]
  loc?: SourceLoc
}

export interface EventFieldModel {
  protoName: string
  /** Property name in ts-proto's message. */
  tsName: string
  number: number
  protoType: string
  /** `(multiuser.entity) = true` (events only: a uint32 holding an entity). */
  entity?: true
  refs: string[]
}

export interface EventModel {
  fullName: string
  name: string
  file: string
  id: number
  fields: EventFieldModel[]
  loc?: SourceLoc
}

/** A message marked `(multiuser.input)`: a player input (host mode), encoded by its ts-proto codec. */
export interface InputModel {
  fullName: string
  name: string
  file: string
  id: number
  fields: EventFieldModel[]
  loc?: SourceLoc
}

/** A referenced message or enum, in canonical form (for the fingerprint). */
export type TypeModel =
  | { kind: 'message'; fullName: string; fields: EventFieldModel[] }
  | { kind: 'enum'; fullName: string; values: Array<{ name: string; number: number }> }

/** One .proto package with components or events: one emitted schema module. */
export interface PackageModel {
  /** Proto package, or '' for files without one. */
  pkg: string
  /** Identifier stem: `game` → `gameSchema`, `createGameSchema`. */
  stem: string
  /** Output path of the schema module relative to the out dir, e.g. `game/schema.ts`. */
  outPath: string
  /** Proto files (relative) whose ts-proto modules the schema module imports. */
  files: string[]
  components: ComponentModel[]
  events: EventModel[]
  /** Its inputs, ids from 1 by sorted full name. */
  inputs: InputModel[]
  /** Every message/enum reachable from object fields and events, by full name. */
  types: TypeModel[]
}
