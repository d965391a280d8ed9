/**
 * The delta room: applying one delta packet from a peer (`receive`), in this order, nothing applied until every
 * check passed:
 *
 * 1. decode the whole packet (delta-decode.ts; malformed: dropped and struck);
 * 2. sequence: a duplicate or too old packet is dropped; the packet's flush (`tickId`) and baseline flush follow;
 * 3. its ack header: our packets it acknowledges (RTT, loss, our baselines to it) and how much of our reliable
 *    stream it processed (confirming full-state messages as baselines);
 * 4. every entity must be one the sender announced (a slot of its spawns or claims);
 * 5. relative fields resolve against the values received in the baseline flush (ReceiveHistory);
 * 6. the sender's clock (clock-sync.ts) gives the packet's sample time;
 * 7. apply: each field is recorded for later baselines and written to the store unless a newer packet already
 *    wrote it; changed interpolated components get a sample. The packet is acknowledged unless a field it carries
 *    is missing here: relative to a baseline no longer held, with no newer packet having written it. Values for a
 *    component the receiver already removed, or already overwritten by a newer packet, are stale, not missing.
 */
import type { FieldDef, NumericArray } from '../protocol/component.js'
import { quaternionFromWire } from '../protocol/quaternion.js'
import { unwrapSeq } from '../protocol/seq.js'
import type { NetContext } from './context.js'
import { DeltaDecoder } from './delta-decode.js'
import type { PeerState } from './peers.js'
import { ReceiveHistory } from './receive-history.js'

export class DeltaReceiver {
  private readonly decoder: DeltaDecoder
  /** Per remote entity and delta field: the values received in the sender's recent flushes (baselines). */
  private readonly history: ReceiveHistory
  /** Per delta field and remote entity: the sequence number of the packet whose value the store holds. */
  private readonly lastSeq: Int32Array[]
  /** One component's values from a packet overtaken by a newer one (by field index). */
  private readonly lateValues = new Float64Array(32)
  /** A quaternion rebuilt from its slots, and the one the store held. */
  private readonly quat = new Float64Array(4)
  private readonly held = new Float64Array(4)

  /** Scratch: the store column of each delta field, for one packet. */
  private readonly cols: NumericArray[]
  /**
   * Per delta field, how a wire value becomes a store value: 1 = a quantized float (min + wire × step, at most max),
   * 2 = a quantized float angle (min + wire × step), 0 = its `fromWire`.
   */
  private readonly fromKind: Uint8Array
  private readonly fromMin: Float64Array
  private readonly fromMax: Float64Array
  private readonly fromStep: Float64Array

  constructor(private readonly ctx: NetContext) {
    const { layout, settings } = ctx
    this.cols = layout.deltaFields.map((_, f) => layout.column(f))
    // Quaternion slots are never applied one by one (applyQuaternion).
    const inline = (f: FieldDef, i: number): boolean => f.quantizer !== undefined && (f.kind === 'f32' || f.kind === 'f64') && layout.quaternionBits[layout.deltaFieldComponent[i]] === 0
    this.fromKind = Uint8Array.from(layout.deltaFields, (f, i) => (!inline(f, i) ? 0 : f.quantizer!.angle ? 2 : 1))
    this.fromMin = Float64Array.from(layout.deltaFields, (f) => f.quantizer?.min ?? 0)
    this.fromMax = Float64Array.from(layout.deltaFields, (f) => f.quantizer?.max ?? 0)
    this.fromStep = Float64Array.from(layout.deltaFields, (f) => f.quantizer?.step ?? 0)
    this.decoder = new DeltaDecoder(layout, settings.limits.maxUnreliableBytes)
    this.lastSeq = layout.deltaFields.map(() => new Int32Array(settings.capacity))
    this.history = new ReceiveHistory(layout, settings.capacity)
  }

  /** Deltas for `eid` from packets up to `seq` predate its announcement: none of them may overwrite it. */
  startAfter(eid: number, seq: number): void {
    for (let f = 0; f < this.lastSeq.length; f++) this.lastSeq[f][eid] = seq
  }

  /** Forgets what was received for `eid` (a new owner, a spawn), or for `count` of its delta fields from `first`. */
  forget(eid: number, first = 0, count = this.lastSeq.length): void {
    for (let f = first; f < first + count; f++) this.lastSeq[f][eid] = 0
    this.history.clear(eid, first, count)
  }

  /** A delta packet from `p` that arrived at `now` (RTT and the sender-clock offset measure the network, not our tick). */
  receive(p: PeerState, data: Uint8Array, now: number): void {
    const { stats, peers, registry } = this.ctx
    const decoder = this.decoder
    try {
      decoder.decode(data)
    } catch (e) {
      stats.dropped.malformed++
      peers.strike(p.id, (e as Error).message)
      return
    }
    const h = decoder.header
    const seq = p.ack.acceptIncoming(h.seq)
    if (seq < 0) {
      stats.dropped.duplicate++
      return
    }
    // The flush this packet belongs to, and the one its relative fields refer to.
    const tickId = seq - h.index
    const baseTick = h.baseAge > 0 ? tickId - h.baseAge : -1
    if (tickId < 1 || (h.baseAge > 0 && baseTick < 1)) return this.malformed(p, 'delta packet index or baseline out of range')
    if (h.ackWordCount > 0 && !p.ack.onAck(h.ack, h.ackWords, h.ackWordCount, now, h.ackDelay)) return this.malformed(p, 'ack of a packet never sent')
    const relAck = unwrapSeq(h.relAck, p.stream.sent)
    if (relAck > p.stream.sent) return this.malformed(p, 'reliable ack beyond what was sent')
    p.baseline.confirmUpTo(relAck, registry.genOf)
    p.budget.onProcessed(relAck, now)
    // Every entity must be one the sender announced, before anything is applied; live ones are still its own.
    for (let i = 0; i < decoder.count; i++) {
      const rec = p.slots.get(decoder.slots[i])
      if (rec === undefined) {
        stats.dropped.unknownEntity++
        peers.strike(p.id, `delta for unknown slot ${decoder.slots[i]}`)
        return
      }
      decoder.eids[i] = rec !== null && rec.owner === p.id && registry.get(rec.eid) === rec ? rec.eid : -1
    }
    if (baseTick > 0 && !decoder.resolveRelative(tickId, baseTick, p.flushSlots, this.history)) return this.malformed(p, 'relative value out of range')
    p.flushSlots.saw(h.flush, tickId)
    const sampleTime = p.clock.observe(h.time, now)
    if (this.apply(p, seq, tickId, h.flush, sampleTime)) p.ack.markReceived(seq, now)
  }

  /**
   * Hot loop: writes the decoded values into the stores. Returns false when a field is missing (its baseline is no
   * longer held and no newer packet wrote it): the packet is then not acknowledged, so the sender sends it again.
   */
  private apply(p: PeerState, seq: number, tickId: number, slot: number, sampleTime: number): boolean {
    const { layout, presence, stats } = this.ctx
    const decoder = this.decoder
    const history = this.history
    const lastSeq = this.lastSeq
    const ofDelta = this.ctx.interpolation.ofDelta
    const lateValues = this.lateValues
    const values = decoder.values
    const nd = layout.delta.length
    const interval = p.clock.interval
    const heardBefore = p.clock.previousSenderTime
    // The store columns, read once per packet (layout.column is a lookup per call).
    const cols = this.cols
    for (let f = 0; f < cols.length; f++) cols[f] = layout.column(f)
    const { fromKind, fromMin, fromMax, fromStep } = this
    let complete = true
    for (let i = 0; i < decoder.count; i++) {
      const eid = decoder.eids[i]
      if (eid < 0) {
        stats.dropped.stale++
        continue
      }
      const has = presence.mask(eid)
      let v = decoder.valueStart[i]
      for (let c = 0; c < nd; c++) {
        const m = decoder.masks[i * nd + c]
        if (m === 0) continue
        const comp = layout.delta[c]
        const fields = comp.def.numericFields
        if ((has & (1 << comp.bit)) === 0) {
          // Removed here since (the sender sent these values before its ComponentRemove): stale.
          stats.dropped.stale++
          for (let j = 0; j < fields.length; j++) if ((m >>> j) & 1) v++
          continue
        }
        if (layout.quaternionBits[c] > 0) {
          // Its four slots arrive together: one orientation, rebuilt from all of them.
          const r = this.applyQuaternion(c, eid, v, seq, tickId, slot)
          v += 4
          if (r === 0) complete = false
          else if (r === 1) ofDelta[c]?.push(eid, sampleTime, interval, heardBefore)
          else if (r === 2) ofDelta[c]?.pushLate(eid, sampleTime, 15, lateValues)
          continue
        }
        let changed = false
        let late = 0
        for (let j = 0; j < fields.length; j++) {
          if (((m >>> j) & 1) === 0) continue
          const f = comp.firstField + j
          const wire = values[v++]
          if (wire !== wire) {
            // Relative to a baseline we no longer hold (reordered far behind): not applied; missing unless a newer
            // packet already gave the field its value.
            stats.dropped.stale++
            if (seq > lastSeq[f][eid]) complete = false
            continue
          }
          history.record(f, eid, slot, tickId, wire)
          if (seq > lastSeq[f][eid]) {
            lastSeq[f][eid] = seq
            // fields[j].fromWire(wire), a quantized float's arithmetic inline (the call would be megamorphic).
            const k = fromKind[f]
            cols[f][eid] = k === 1 ? Math.min(fromMin[f] + wire * fromStep[f], fromMax[f]) : k === 2 ? fromMin[f] + wire * fromStep[f] : fields[j].fromWire(wire)
            changed = true
          } else {
            // Overtaken by a newer packet: not for the store, but a sample of the past for the interpolation buffer.
            late |= 1 << j
            lateValues[j] = fields[j].fromWire(wire)
          }
        }
        if (changed) ofDelta[c]?.push(eid, sampleTime, interval, heardBefore)
        else if (late !== 0) ofDelta[c]?.pushLate(eid, sampleTime, late, lateValues)
      }
    }
    return complete
  }

  /**
   * Quaternion component `c` of `eid` from the decoder's values `v .. v + 4`: recorded for baselines, then into the
   * store (its sign on the side of the orientation held, so interpolation never crosses zero) unless a newer packet
   * wrote it. Returns 0 when a slot is missing (relative to a baseline no longer held, and not written since),
   * 1 when the store was written, 2 when overtaken (the orientation is in `lateValues` for the interpolation buffer),
   * 3 when stale.
   */
  private applyQuaternion(c: number, eid: number, v: number, seq: number, tickId: number, slot: number): number {
    const { layout, stats } = this.ctx
    const values = this.decoder.values
    const f0 = layout.delta[c].firstField
    for (let j = 0; j < 4; j++) {
      if (values[v + j] === values[v + j]) continue
      stats.dropped.stale++
      return seq > this.lastSeq[f0][eid] ? 0 : 3
    }
    for (let j = 0; j < 4; j++) this.history.record(f0 + j, eid, slot, tickId, values[v + j])
    const q = this.quat
    const held = this.held
    for (let j = 0; j < 4; j++) held[j] = layout.column(f0 + j)[eid]
    quaternionFromWire(values, v, layout.quaternionBits[c], q, held)
    if (seq > this.lastSeq[f0][eid]) {
      for (let j = 0; j < 4; j++) {
        this.lastSeq[f0 + j][eid] = seq
        layout.column(f0 + j)[eid] = q[j]
      }
      return 1
    }
    for (let j = 0; j < 4; j++) this.lateValues[j] = q[j]
    return 2
  }

  private malformed(p: PeerState, why: string): void {
    this.ctx.stats.dropped.malformed++
    this.ctx.peers.strike(p.id, why)
  }
}
