import { DecodeError } from '../shared/errors.js'
import type { BitReader } from './bit-reader.js'
import type { BitSink } from './bit-values.js'
import { readExpGolomb, writeExpGolomb } from './exp-golomb.js'

/** Unit of the ack delay on the wire, in ms: coarse enough that a header stays ≤ 15 bytes down to 8 ticks per second. */
export const ACK_DELAY_UNIT_MS = 4
/** Largest ack delay a header carries, in units; this value says "held too long (≥ ~1 s) to measure RTT with". */
export const ACK_DELAY_CAP = 255
/** Up to 31 × 32 ack bits per header (5-bit word count). */
export const MAX_ACK_WORDS = 31

/**
 * Flushes of field values a receiver keeps per entity for baselines, one slot per sender flush (the header's 4-bit
 * `flush`, the sender's flush counter mod 16), so a flush of many packets takes one slot, not one per packet.
 */
export const HISTORY_DEPTH = 16
/** Oldest baseline a sender uses, in flushes: leaves the receiver room for packets reordered 3 flushes behind. */
export const MAX_BASELINE_AGE = HISTORY_DEPTH - 4

/**
 * Unreliable packet layout (bit-packed, LSB first; see README "Replication"):
 *
 *   header  8  type (0xD1)
 *          16  seq          this packet's sequence number (per receiver)
 *          16  ack          newest sequence received from the receiver
 *           5  ackWords     0 = nothing received yet, else 1..31 words of 32 ack bits follow
 *        32×n  ackBits      bit i of word j: seq ack-1-(32j+i) received
 *          eg  ackDelay     only when ackWords > 0: time from the arrival of packet `ack` to this header, in 4 ms
 *                           units, capped at 255 (= longer, no RTT sample); the sender subtracts it from its RTT
 *                           sample so RTT is the network's round trip, not the peers' tick intervals
 *          16  time         sender's clock in ms, mod 2^16 (interpolation timestamps; the receiver unwraps it
 *                           around the sender time it expects and maps it to its own clock, see ecs/clock-sync.ts)
 *          16  relAck       reliable messages from the receiver processed so far (mod 2^16)
 *          eg  index        this packet's index among the packets of one flush; the flush's id is
 *                           `tickId = seq - index` (the sequence number of its first packet)
 *           4  flush        the sender's flush counter (to this receiver) mod 16: the receiver keeps the values of
 *                           each flush in the history slot `flush` (tagged with its tickId), so it holds the last
 *                           16 flushes whatever their packet count (protocol 2; protocol 1 keyed by tickId mod 12)
 *   entities, ascending slot:
 *          eg  slot gap     exp-Golomb of (slot - previous slot), previous = -1; 0 ends the packet
 *          eg  baseAge      first entity only: 0 = no baseline; else the flush `baseTickId = tickId - baseAge`
 *                           whose values the relative fields of this packet refer to
 *           1  same         1 = same components, change masks, modes and baseline as the previous entity (none
 *                           follow)
 *           1  own          only when same = 0 and baseAge > 0 (protocol 3): 1 = this entity's relative fields
 *                           refer to a flush of its own instead, `tickId - ownAge` (an entity moving again after a
 *                           rest: the flush of its last move), with
 *          eg  ownAge       only when own = 1
 *   per DELTA component of the schema, in schema order:
 *           1  present      (only when same = 0)
 *    nFields  change mask  (only when same = 0 and present; never 0)
 *           1  mode         per field in the mask that is quantized, only when baseAge > 0 and same = 0:
 *                           1 = coded relative to the baseline
 *           …  fields in the mask: mode 0 = the quantized wire value in its width; mode 1 = signed
 *              exp-Golomb (zigzag) of (wire - baseline wire), angles the short way round modulo 2^bits
 *
 * Baselines: the sender codes a field relative to its value in flush `baseTickId` (or the entity's own) only when the receiver
 * acknowledged the packet of that flush which carried the field, and that flush is at most MAX_BASELINE_AGE
 * flushes old. The receiver keeps, per entity and quantized field, the values of the last HISTORY_DEPTH flushes
 * it received (slot `flush`, tag tickId), so it holds that value; if not (a packet reordered far behind), the
 * field is not applied, and the packet is acknowledged only if a newer packet already gave the field its value
 * (else it counts as lost and the sender sends the field again). Every packet stays decodable alone.
 *
 * An idle header with one ack word is 109 + 1 (index) + 4 (flush) + 1 (end) + 1..17 (ackDelay) bits: 15 bytes
 * when the ack waited under 28 ms, 16 under 500 ms (any tick rate ≥ 2 Hz), 17 at most.
 */
export const DELTA_PACKET = 0xd1

export interface DeltaHeader {
  seq: number
  ack: number
  ackWordCount: number
  ackWords: Uint32Array
  /** Time between the arrival of packet `ack` and this header, 4 ms units (0..ACK_DELAY_CAP; when ackWordCount > 0). */
  ackDelay: number
  /** Sender's clock in ms (16 bits on the wire). */
  time: number
  relAck: number
  /** Index of the packet within its flush. */
  index: number
  /** The sender's flush counter mod 16 (the receiver's history slot of this flush). */
  flush: number
  /** 0 = no baseline, else tickId - baseTickId (written after the first entity's slot gap). */
  baseAge: number
}

export function createHeader(): DeltaHeader {
  return { seq: 0, ack: 0, ackWordCount: 0, ackWords: new Uint32Array(MAX_ACK_WORDS), ackDelay: 0, time: 0, relAck: 0, index: 0, flush: 0, baseAge: 0 }
}

export function writeHeader(w: BitSink, h: DeltaHeader): void {
  w.writeBits(DELTA_PACKET, 8)
  w.writeBits(h.seq & 0xffff, 16)
  w.writeBits(h.ack & 0xffff, 16)
  w.writeBits(h.ackWordCount, 5)
  for (let j = 0; j < h.ackWordCount; j++) w.writeBits(h.ackWords[j], 32)
  if (h.ackWordCount > 0) writeExpGolomb(w, h.ackDelay)
  w.writeBits(Math.floor(h.time) & 0xffff, 16)
  w.writeBits(h.relAck & 0xffff, 16)
  writeExpGolomb(w, h.index)
  w.writeBits(h.flush & 15, 4)
}

export function readHeader(r: BitReader, h: DeltaHeader): void {
  if (r.readBits(8) !== DELTA_PACKET) throw new DecodeError('not a delta packet')
  h.seq = r.readBits(16)
  h.ack = r.readBits(16)
  h.ackWordCount = r.readBits(5)
  if (h.ackWordCount > MAX_ACK_WORDS) throw new DecodeError('corrupt ack header')
  for (let j = 0; j < h.ackWordCount; j++) h.ackWords[j] = r.readBits(32)
  h.ackDelay = h.ackWordCount > 0 ? readExpGolomb(r) : 0
  if (h.ackDelay > ACK_DELAY_CAP) throw new DecodeError('corrupt ack delay')
  h.time = r.readBits(16)
  h.relAck = r.readBits(16)
  h.index = readExpGolomb(r)
  h.flush = r.readBits(4)
  h.baseAge = 0 // read with the first entity
}
