import type { ComponentDef, ComponentStore } from './component.js'
import { ErrorCode, MultiuserError } from '../shared/errors.js'

/** The codec of a protobuf message, as ts-proto generates it (`Chat.encode(msg).finish()`, `Chat.decode(bytes)`). */
export interface MessageCodec<T> {
  /** Encodes a message (`.finish()` gives the bytes). */
  encode(message: T): { finish(): Uint8Array }
  /** Decodes a message (throws on bad input). */
  decode(input: Uint8Array): T
  /** ts-proto's `fromPartial`/`create`: fills defaults. Optional. */
  fromPartial?(object: Partial<T>): T
}

/** A message type without the component option: a typed event sent reliably. */
export interface EventDef<T = unknown> {
  /** Its stable id in the schema. */
  readonly id: number
  /** Fully qualified .proto message name. */
  readonly name: string
  /** The ts-proto codec of its message. */
  readonly codec: MessageCodec<T>
  /**
   * Its fields that hold an entity (`(multiuser.entity)`, uint32): the sender's eid goes out as the entity's net id,
   * and the receiver's handler reads its own eid of it (0: none, or an entity it does not have).
   */
  readonly entityFields?: readonly string[]
}

/** Builds an event. Called by generated code. */
export function defineEvent<T>(spec: { id: number; name: string; codec: MessageCodec<T>; entityFields?: readonly string[] }): EventDef<T> {
  return { id: spec.id, name: spec.name, codec: spec.codec, ...(spec.entityFields?.length ? { entityFields: spec.entityFields } : {}) }
}

/**
 * A message marked `option (multiuser.input) = {}`: a player's input of one tick (host mode). `net.sendInput` sends
 * it to the host on the unreliable channel, sequence-numbered and repeated; the host's `net.onInput` handlers get
 * each one once, in order.
 */
export interface InputDef<T = unknown> {
  /** Its stable id among the schema's inputs. */
  readonly id: number
  /** Fully qualified .proto message name. */
  readonly name: string
  /** The ts-proto codec of its message. */
  readonly codec: MessageCodec<T>
}

/** Builds an input. Called by generated code. */
export function defineInput<T>(spec: { id: number; name: string; codec: MessageCodec<T> }): InputDef<T> {
  return { id: spec.id, name: spec.name, codec: spec.codec }
}

/** Everything a network needs to know about a game's replicated data. */
export interface Schema {
  /** Its components, by id. */
  readonly components: readonly ComponentDef[]
  /** Its events, by id. */
  readonly events: readonly EventDef[]
  /** Its inputs (host mode), by id. */
  readonly inputs: readonly InputDef[]
  /** Hash of the canonical schema; peers refuse each other when it differs. */
  readonly fingerprint: string
  /**
   * The canonical schema the fingerprint hashes (JSON, as the generator writes it), if known: on a mismatch, peers
   * exchange it and report the first difference.
   */
  readonly canonical?: string
  /** The component store objects a game uses with bitECS (`addComponent(world, eid, Transform)`), by component id. */
  readonly stores: ReadonlyMap<number, ComponentStore>
  /** The component of an id. */
  componentById(id: number): ComponentDef | undefined
  /** The event of an id. */
  eventById(id: number): EventDef | undefined
  /** The input of an id. */
  inputById(id: number): InputDef | undefined
  /** The component whose store object this is, if any. */
  componentOfStore(store: object): ComponentDef | undefined
}

/** What {@link defineSchema} assembles. */
export interface SchemaSpec {
  /** Each component with its default store. */
  components: ReadonlyArray<{ def: ComponentDef; store: ComponentStore }>
  /** Its events. */
  events: readonly EventDef[]
  /** Its inputs (messages marked `(multiuser.input)`); default none. */
  inputs?: readonly InputDef[]
  /** Hash of the canonical schema. */
  fingerprint: string
  /** The canonical schema the fingerprint hashes (generated modules pass it). */
  canonical?: string
}

/** Assembles a schema. Generated code calls this once per .proto package with its default stores. */
export function defineSchema(spec: SchemaSpec): Schema {
  const byId = new Map<number, ComponentDef>()
  const stores = new Map<number, ComponentStore>()
  const byStore = new Map<object, ComponentDef>()
  for (const { def, store } of spec.components) {
    if (byId.has(def.id)) throw new MultiuserError(ErrorCode.SCHEMA_INVALID, `duplicate component id ${def.id} (${def.name})`)
    byId.set(def.id, def)
    stores.set(def.id, store)
    byStore.set(store, def)
  }
  const events = new Map<number, EventDef>()
  for (const e of spec.events) {
    if (events.has(e.id)) throw new MultiuserError(ErrorCode.SCHEMA_INVALID, `duplicate event id ${e.id} (${e.name})`)
    events.set(e.id, e)
  }
  const inputs = new Map<number, InputDef>()
  for (const i of spec.inputs ?? []) {
    if (inputs.has(i.id)) throw new MultiuserError(ErrorCode.SCHEMA_INVALID, `duplicate input id ${i.id} (${i.name})`)
    inputs.set(i.id, i)
  }
  return {
    components: [...byId.values()].sort((a, b) => a.id - b.id),
    events: [...events.values()].sort((a, b) => a.id - b.id),
    inputs: [...inputs.values()].sort((a, b) => a.id - b.id),
    fingerprint: spec.fingerprint,
    ...(spec.canonical !== undefined ? { canonical: spec.canonical } : {}),
    stores,
    componentById: (id) => byId.get(id),
    eventById: (id) => events.get(id),
    inputById: (id) => inputs.get(id),
    componentOfStore: (store) => byStore.get(store),
  }
}
