/**
 * The reliable channel's wire format: every reliable transport message is one `Frame` of `Message`s
 * (proto/multiuser/v1/net.proto); this module is the only one that touches the generated protobuf code.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire'
import { Frame, Message, type ComponentState, type NetId } from '../../generated/multiuser/v1/net.js'
import { DecodeError, ErrorCode, MultiuserError } from '../shared/errors.js'
import { BitReader } from './bit-reader.js'
import { BitWriter } from './bit-writer.js'
import type { ComponentDef, ComponentStore, EntityRefCodec, FieldDef } from './component.js'

export { Message, type ComponentState, type NetId }

/** A message's body: one of the kinds (`hello`, `spawn`, …) and its value. */
export type MessageBody = NonNullable<Message['body']>
export type MessageKind = MessageBody['$case']
/** The value of a message of kind `K` (e.g. `BodyOf<'spawn'>` is a Spawn). */
export type BodyOf<K extends MessageKind> = Extract<MessageBody, { $case: K }>['value']

/**
 * Current protocol version, sent in Hello. 2: the delta header carries the sender's flush counter (4 bits), spawns
 * travel as bit-packed batches (SpawnBatch), a despawn may say the entity only left the receiver's view, and a
 * transfer may name the peers that have the entity. 3: in a delta packet with a baseline, each entity says whether
 * its relative fields refer to a flush of its own (delta-format.ts), and components may be quaternions.
 */
export const PROTOCOL_VERSION = 3

/** Encodes one Message once; the bytes can go to many peers' frames. */
export function encodeMessage(m: Message): Uint8Array {
  return Message.encode(m).finish()
}

/**
 * Builds a `Frame` (repeated Message, field 1) from already-encoded messages, exactly as protobuf would,
 * without re-encoding them per peer.
 */
export function buildFrame(messages: readonly Uint8Array[]): Uint8Array {
  const w = new BinaryWriter()
  for (const m of messages) w.uint32(10).bytes(m)
  return w.finish()
}

/** Throws DecodeError on malformed bytes, and on a frame that holds no message (we never send one). */
export function decodeFrame(bytes: Uint8Array): Message[] {
  let messages: Message[]
  try {
    messages = Frame.decode(bytes).messages
  } catch (e) {
    throw new DecodeError(`malformed reliable frame: ${(e as Error).message}`)
  }
  if (messages.length === 0) throw new DecodeError('reliable frame with no message')
  return messages
}

const scratch = new BitWriter(256)

/**
 * Object fields (of `mask`) whose value would not survive the trip: the field's own codec cannot decode what it
 * encodes, e.g. a 64-bit integer beyond ±2^53, which ts-proto carries as a number. A receiver would refuse the
 * whole message and count the sender as invalid, so such a field is never sent. Null when every field is fine.
 */
export function unsendableFields(def: ComponentDef, store: ComponentStore, eid: number, mask: number): { mask: number; error: MultiuserError } | null {
  let bad = 0
  let first = ''
  for (const f of def.fields) {
    if (f.kind !== 'object' || (mask & (1 << f.index)) === 0) continue
    try {
      f.codec!.decode(f.codec!.encode((store[f.name] as unknown[])[eid]))
    } catch (e) {
      bad |= 1 << f.index
      first ||= `${def.name}.${f.name}: ${(e as Error).message}`
    }
  }
  if (bad === 0) return null
  return { mask: bad, error: new MultiuserError(ErrorCode.VALUE_UNSENDABLE, `${first}; not sent (a 64-bit integer field carries at most ±2^53 as a number: use a string or bytes field for larger values)`) }
}

/**
 * A component's fields in `mask`, bit-packed by the schema codec. Its entity fields hold indexes into `refs` (from 1;
 * 0: none): `toNetId` names the entity of a local eid, or null when it has no net id.
 */
export function componentState(def: ComponentDef, store: ComponentStore, eid: number, mask = def.fullMask, toNetId?: (eid: number) => NetId | null): ComponentState {
  scratch.reset()
  const refs: NetId[] = []
  const codec: EntityRefCodec | undefined = toNetId && {
    toRef: (target) => refIndex(refs, target === 0 ? null : toNetId(target)),
    fromRef: () => 0,
  }
  def.encode(scratch, store, eid, mask, codec)
  return { component: def.id, mask, state: scratch.finish(), refs }
}

/** The index (from 1) of `id` in `refs`, added if new; 0 for none. */
export function refIndex(refs: NetId[], id: NetId | null): number {
  if (!id) return 0
  const i = refs.findIndex((r) => r.n === id.n && r.origin === id.origin)
  if (i >= 0) return i + 1
  refs.push(id)
  return refs.length
}

/**
 * Decodes a ComponentState into `store[eid]`. Throws DecodeError if malformed. Entity fields: `fromNetId` gives the
 * local eid to store for a net id (null: none).
 */
export function applyComponentState(def: ComponentDef, store: ComponentStore, eid: number, s: ComponentState, fromNetId?: (id: NetId | null, eid: number, field: FieldDef) => number): void {
  if ((s.mask & ~def.fullMask) !== 0) throw new DecodeError(`${def.name}: field mask ${s.mask} out of range`)
  const r = new BitReader(s.state)
  const codec: EntityRefCodec | undefined = fromNetId && {
    toRef: () => 0,
    fromRef: (ref, target, field) => {
      if (ref > s.refs.length) throw new DecodeError(`${def.name}.${field.name}: entity reference ${ref} of ${s.refs.length}`)
      return fromNetId(ref === 0 ? null : s.refs[ref - 1], target, field)
    },
  }
  def.decode(r, store, eid, s.mask, codec)
  if (r.bitsLeft >= 8) throw new DecodeError(`${def.name}: trailing bytes in component state`)
}
