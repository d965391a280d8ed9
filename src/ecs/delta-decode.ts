import { BitReader } from '../protocol/bit-reader.js'
import { createHeader, readHeader, type DeltaHeader } from '../protocol/delta-format.js'
import { readExpGolomb, unzigzag } from '../protocol/exp-golomb.js'
import { DecodeError } from '../shared/errors.js'
import type { Layout } from './layout.js'
import type { FlushSlots, ReceiveHistory } from './receive-history.js'

/**
 * Decodes a whole delta packet into scratch arrays before anything is applied, so a truncated or corrupt
 * packet changes nothing. Values stay canonical wire values; those coded relative to a baseline flush are
 * resolved against the receiver's history by `resolveRelative`. Buffers are reused across packets.
 */
export class DeltaDecoder {
  readonly header: DeltaHeader = createHeader()
  count = 0
  /** Values in the packet (valueStart[i] .. valueStart[i + 1] or valueCount belong to entity i). */
  valueCount = 0
  /** Per entity: slot, first value index. */
  readonly slots: Float64Array
  readonly valueStart: Int32Array
  /** Per entity × delta component: field mask (0 = absent). */
  readonly masks: Int32Array
  readonly values: Float64Array
  /** Per value: its global delta field, and 1 when it is a zigzagged difference to the baseline (not yet resolved). */
  readonly valueField: Int32Array
  readonly relative: Uint8Array
  /** Per entity × delta component: mode mask (for the mask-repeat bit). */
  private readonly modes: Int32Array
  /** Per entity: its local eid while the sender owns it here, else -1 (set by the caller before resolveRelative). */
  readonly eids: Int32Array
  /** Per entity: the age (in flush ids) of its own baseline flush, 0 = the packet's baseline. */
  readonly ownAge: Float64Array

  constructor(
    private readonly layout: Layout,
    maxPacketBytes: number,
  ) {
    const maxEntities = Math.ceil((maxPacketBytes * 8) / 2) + 1
    this.slots = new Float64Array(maxEntities)
    this.valueStart = new Int32Array(maxEntities)
    this.masks = new Int32Array(maxEntities * Math.max(1, layout.delta.length))
    this.values = new Float64Array(maxPacketBytes * 8 + 1)
    this.valueField = new Int32Array(maxPacketBytes * 8 + 1)
    this.relative = new Uint8Array(maxPacketBytes * 8 + 1)
    this.modes = new Int32Array(maxEntities * Math.max(1, layout.delta.length))
    this.eids = new Int32Array(maxEntities)
    this.ownAge = new Float64Array(maxEntities)
  }

  /** Throws DecodeError on any malformed input. */
  decode(bytes: Uint8Array): void {
    const L = this.layout
    const r = new BitReader(bytes)
    readHeader(r, this.header)
    const nd = L.delta.length
    let hasBase = false
    const codable = L.deltaCodable
    let count = 0
    let nv = 0
    let slot = -1
    for (;;) {
      const gap = readExpGolomb(r)
      if (gap === 0) break
      slot += gap
      if (count === 0) {
        this.header.baseAge = readExpGolomb(r)
        hasBase = this.header.baseAge > 0
      }
      if (slot > 0xffffffff) throw new DecodeError('slot out of range')
      if (count >= this.slots.length) throw new DecodeError('too many entities')
      this.slots[count] = slot
      this.valueStart[count] = nv
      let any = false
      const same = r.readBits(1) === 1
      if (same && count === 0) throw new DecodeError('first entity repeats masks')
      // Own baseline (packets with a baseline; repeated with the masks): its age in flush ids, 0 = the packet's.
      this.ownAge[count] = same ? this.ownAge[count - 1] : hasBase && r.readBits(1) === 1 ? readExpGolomb(r) : 0
      for (let c = 0; c < nd; c++) {
        const comp = L.delta[c]
        const fields = comp.def.numericFields
        const f0 = comp.firstField
        let m = 0
        let md = 0
        if (same) {
          m = this.masks[(count - 1) * nd + c]
          md = this.modes[(count - 1) * nd + c]
        } else if (r.readBits(1) === 1) {
          m = r.readBits(fields.length)
          if (m === 0) throw new DecodeError('empty change mask')
          if (L.quaternionBits[c] > 0 && m !== comp.def.fullMask) throw new DecodeError('a quaternion sent in part')
          if (hasBase) for (let j = 0; j < fields.length; j++) if (((m >>> j) & 1) !== 0 && codable[f0 + j] === 1 && r.readBits(1) === 1) md |= 1 << j
        }
        if (m !== 0) {
          any = true
          for (let j = 0; j < fields.length; j++) {
            if (((m >>> j) & 1) === 0) continue
            this.valueField[nv] = f0 + j
            if (((md >>> j) & 1) !== 0) {
              this.relative[nv] = 1
              this.values[nv++] = readExpGolomb(r)
            } else {
              this.relative[nv] = 0
              this.values[nv++] = fields[j].readWire(r)
            }
          }
        }
        this.masks[count * nd + c] = m
        this.modes[count * nd + c] = md
      }
      if (!any) throw new DecodeError('entity without components')
      count++
    }
    // Whatever follows the end marker must be padding of the last byte.
    if (r.bitsLeft >= 8) throw new DecodeError('trailing bytes after delta packet')
    this.count = count
    this.valueCount = nv
  }

  /**
   * Turns the fields coded relative to a baseline flush into wire values: the entity's value in that flush (from
   * `history`) plus the decoded difference, angles the short way round. The flush is the packet's (`baseTick`), or the
   * entity's own (`tickId - ownAge`); `slots` finds the history slot of a flush (-1 when not held). A field whose
   * baseline is not held, or of an entity that is not live (`eids[i]` < 0), becomes NaN: not applied. Returns false
   * when a resolved value falls outside its field's range or an own baseline predates the sender's first flush (a
   * forged packet).
   */
  resolveRelative(tickId: number, baseTick: number, slots: FlushSlots, history: ReceiveHistory): boolean {
    const L = this.layout
    const values = this.values
    const count = this.count
    const baseSlot = baseTick > 0 ? slots.slotOf(baseTick) : -1
    for (let i = 0; i < count; i++) {
      const eid = this.eids[i]
      const own = this.ownAge[i]
      const tick = own > 0 ? tickId - own : baseTick
      if (own > 0 && tick < 1) return false
      const slot = own > 0 ? slots.slotOf(tick) : baseSlot
      const end = i + 1 < count ? this.valueStart[i + 1] : this.valueCount
      for (let v = this.valueStart[i]; v < end; v++) {
        if (this.relative[v] === 0) continue
        const f = this.valueField[v]
        const base = eid >= 0 && slot >= 0 ? history.lookup(f, eid, slot, tick) : -1
        if (base < 0) {
          values[v] = Number.NaN
          continue
        }
        let w = base + unzigzag(values[v])
        if (L.wireAngle[f] === 1) {
          const span = L.wireTop[f] + 1 // 2^bits for an angle
          w = ((w % span) + span) % span
        } else if (w < 0 || w > L.wireTop[f]) return false
        values[v] = w
      }
    }
    return true
  }
}
