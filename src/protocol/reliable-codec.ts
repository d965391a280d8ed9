/**
 * The reliable channel's wire format: every reliable transport message is one `Frame` of `Message`s
 * (proto/multiuser/v1/net.proto); this module is the only one that touches the generated protobuf code.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire'
import { Frame, Message, type ComponentState, type NetId } from '../../generated/multiuser/v1/net.js'
import { DecodeError } from '../shared/errors.js'
import { BitReader } from './bit-reader.js'
import { BitWriter } from './bit-writer.js'
import type { ComponentDef, ComponentStore } from './component.js'

export { Message, type ComponentState, type NetId }

/** A message's body: one of the kinds (`hello`, `spawn`, …) and its value. */
export type MessageBody = NonNullable<Message['body']>
export type MessageKind = MessageBody['$case']
/** The value of a message of kind `K` (e.g. `BodyOf<'spawn'>` is a Spawn). */
export type BodyOf<K extends MessageKind> = Extract<MessageBody, { $case: K }>['value']

/** Current protocol version, sent in Hello. */
export const PROTOCOL_VERSION = 1

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

/** Throws DecodeError on malformed bytes. */
export function decodeFrame(bytes: Uint8Array): Message[] {
  try {
    return Frame.decode(bytes).messages
  } catch (e) {
    throw new DecodeError(`malformed reliable frame: ${(e as Error).message}`)
  }
}

const scratch = new BitWriter(256)

/** A component's fields in `mask`, bit-packed by the schema codec. */
export function componentState(def: ComponentDef, store: ComponentStore, eid: number, mask = def.fullMask): ComponentState {
  scratch.reset()
  def.encode(scratch, store, eid, mask)
  return { component: def.id, mask, state: scratch.finish() }
}

/** Decodes a ComponentState into `store[eid]`. Throws DecodeError if malformed. */
export function applyComponentState(def: ComponentDef, store: ComponentStore, eid: number, s: ComponentState): void {
  if ((s.mask & ~def.fullMask) !== 0) throw new DecodeError(`${def.name}: field mask ${s.mask} out of range`)
  const r = new BitReader(s.state)
  def.decode(r, store, eid, s.mask)
  if (r.bitsLeft >= 8) throw new DecodeError(`${def.name}: trailing bytes in component state`)
}
