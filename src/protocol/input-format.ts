/**
 * The host mode's two unreliable packet kinds, beside the delta packet (0xD1, delta-format.ts):
 *
 *   input packet (client → host)
 *      8  type (0xD2)
 *     vu  seq           the newest input's sequence number (1, 2, 3 ... per client)
 *     vu  count         inputs that follow, newest first: seq, seq - 1, ... (the older ones repeat earlier packets,
 *                       so a lost packet costs nothing while a later one arrives)
 *   per input:
 *     vu  input id      the schema's input id
 *     vu  length        then the input message's protobuf bytes
 *
 *   host state packet (host → client)
 *      8  type (0xD3)
 *     vu  applied       the sequence number of the last input of this client the host applied (0: none yet), as of
 *                       the flush whose deltas follow
 *      …  one delta packet (0xD1 ...), unchanged
 *
 * `vu` is an unsigned LEB128 varint of at most 32 bits. The state packet binds the acknowledgement to the state: a
 * client reconciles from exactly the host state its last applied input produced.
 */
import { DecodeError } from '../shared/errors.js'

export const INPUT_PACKET = 0xd2
export const HOST_STATE_PACKET = 0xd3
/** Inputs one input packet carries at most. */
export const MAX_INPUTS_PER_PACKET = 32
/** Bytes the host state header takes at most (type and a 32-bit varint): room the host keeps in its delta packets. */
export const HOST_STATE_HEADER_MAX = 6

/** One input of an input packet: its seq, its schema input id and its bytes (a view into the packet). */
export interface WireInput {
  seq: number
  input: number
  bytes: Uint8Array
}

function varintLength(v: number): number {
  let n = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

function writeVarint(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80
    v = Math.floor(v / 128)
  }
  out[at++] = v
  return at
}

class Cursor {
  at = 1
  constructor(readonly data: Uint8Array) {}
  varint(): number {
    let v = 0
    let scale = 1
    for (let i = 0; i < 5; i++) {
      if (this.at >= this.data.length) throw new DecodeError('truncated varint')
      const b = this.data[this.at++]
      v += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        if (v > 0xffffffff) throw new DecodeError('varint over 32 bits')
        return v
      }
      scale *= 128
    }
    throw new DecodeError('varint over 32 bits')
  }
}

/** An input packet of `inputs`, newest first (their seqs descending by one from `inputs[0].seq`). */
export function encodeInputPacket(inputs: readonly { seq: number; input: number; bytes: Uint8Array }[]): Uint8Array {
  if (inputs.length === 0 || inputs.length > MAX_INPUTS_PER_PACKET) throw new RangeError(`an input packet carries 1..${MAX_INPUTS_PER_PACKET} inputs`)
  let size = 1 + varintLength(inputs[0].seq) + varintLength(inputs.length)
  for (const i of inputs) size += varintLength(i.input) + varintLength(i.bytes.length) + i.bytes.length
  const out = new Uint8Array(size)
  out[0] = INPUT_PACKET
  let at = writeVarint(out, 1, inputs[0].seq)
  at = writeVarint(out, at, inputs.length)
  for (const i of inputs) {
    at = writeVarint(out, at, i.input)
    at = writeVarint(out, at, i.bytes.length)
    out.set(i.bytes, at)
    at += i.bytes.length
  }
  return out
}

/** The inputs of an input packet, newest first; throws DecodeError on a malformed one. */
export function decodeInputPacket(data: Uint8Array): WireInput[] {
  if (data[0] !== INPUT_PACKET) throw new DecodeError('not an input packet')
  const c = new Cursor(data)
  const newest = c.varint()
  const count = c.varint()
  if (count < 1 || count > MAX_INPUTS_PER_PACKET || count > newest) throw new DecodeError(`input count ${count} out of range`)
  const out: WireInput[] = []
  for (let k = 0; k < count; k++) {
    const input = c.varint()
    const length = c.varint()
    if (c.at + length > data.length) throw new DecodeError('truncated input')
    out.push({ seq: newest - k, input, bytes: data.subarray(c.at, c.at + length) })
    c.at += length
  }
  if (c.at !== data.length) throw new DecodeError('bytes after the last input')
  return out
}

/** A host state packet: the client's last applied input seq, then the delta packet `delta`. */
export function wrapHostState(applied: number, delta: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + varintLength(applied) + delta.length)
  out[0] = HOST_STATE_PACKET
  out.set(delta, writeVarint(out, 1, applied))
  return out
}

/** The acknowledged input seq of a host state packet and its delta packet (a view); throws DecodeError. */
export function unwrapHostState(data: Uint8Array): { applied: number; delta: Uint8Array } {
  if (data[0] !== HOST_STATE_PACKET) throw new DecodeError('not a host state packet')
  const c = new Cursor(data)
  const applied = c.varint()
  return { applied, delta: data.subarray(c.at) }
}
