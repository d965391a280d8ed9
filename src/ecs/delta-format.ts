import { DecodeError, type BitReader, type BitWriter } from '../protocol/index.js'
import { MAX_ACK_WORDS } from './ack-tracker.js'

/**
 * Unreliable packet layout (bit-packed, LSB first; see README "Replication"):
 *
 *   header  8  type (0xD1)
 *          16  seq          this packet's sequence number (per receiver)
 *          16  ack          newest sequence received from the receiver
 *           5  ackWords     0 = nothing received yet, else 1..31 words of 32 ack bits follow
 *        32×n  ackBits      bit i of word j: seq ack-1-(32j+i) received
 *          16  tick         sender's network tick (interpolation timestamps)
 *          16  relAck       reliable messages from the receiver processed so far (mod 2^16)
 *   entities, ascending slot:
 *          eg  slot gap     exp-Golomb of (slot - previous slot), previous = -1; 0 ends the packet
 *           1  same         1 = same components and change masks as the previous entity (then no masks follow)
 *   per DELTA component of the schema, in schema order:
 *           1  present      (only when same = 0)
 *    nFields  change mask  (only when same = 0 and present; never 0)
 *           …  fields in the mask, each in its quantized wire width
 *
 * An idle header with one ack word is 109 bits + 1 end bit = 14 bytes.
 */
export const DELTA_PACKET = 0xd1

export interface DeltaHeader {
  seq: number
  ack: number
  ackWordCount: number
  ackWords: Uint32Array
  tick: number
  relAck: number
}

export function createHeader(): DeltaHeader {
  return { seq: 0, ack: 0, ackWordCount: 0, ackWords: new Uint32Array(MAX_ACK_WORDS), tick: 0, relAck: 0 }
}

export function writeHeader(w: BitWriter, h: DeltaHeader): void {
  w.writeBits(DELTA_PACKET, 8)
  w.writeBits(h.seq & 0xffff, 16)
  w.writeBits(h.ack & 0xffff, 16)
  w.writeBits(h.ackWordCount, 5)
  for (let j = 0; j < h.ackWordCount; j++) w.writeBits(h.ackWords[j], 32)
  w.writeBits(h.tick & 0xffff, 16)
  w.writeBits(h.relAck & 0xffff, 16)
}

export function readHeader(r: BitReader, h: DeltaHeader): void {
  if (r.readBits(8) !== DELTA_PACKET) throw new DecodeError('not a delta packet')
  h.seq = r.readBits(16)
  h.ack = r.readBits(16)
  h.ackWordCount = r.readBits(5)
  if (h.ackWordCount > MAX_ACK_WORDS) throw new DecodeError('corrupt ack header')
  for (let j = 0; j < h.ackWordCount; j++) h.ackWords[j] = r.readBits(32)
  h.tick = r.readBits(16)
  h.relAck = r.readBits(16)
}
