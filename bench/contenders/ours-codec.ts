/**
 * `ours-codec`: the codec layer ONLY (src/protocol `defineComponent(...).encode/decode` + BitWriter/BitReader),
 * with a single-shadow change mask written here in the bench. No network ids, no acks, no packetizer,
 * no transport: it shows what the wire format costs, not what `net.flush()` costs. Compare with `ours`.
 *
 * Change detection: per entity and field, the raw store value is compared with the last value seen; only
 * when it differs is it quantized and compared with the last value sent (so sub-precision jitter is not sent).
 * Wire (bit-packed): entity count (varuint), then per changed entity: index gap (compact u32),
 * Transform field mask (4 bits), Velocity field mask (2 bits), then the quantized fields of both masks.
 */
import { BitReader, BitWriter, type ComponentDef, type NumericArray } from '../../src/protocol/index.js'
import { TransformDef, VelocityDef } from '../schema.js'
import type { BenchWorld } from '../world.js'
import { columnsError, storeColumns, type Contender, type ContenderInstance, type Tolerances } from './types.js'

interface Tracked {
  def: ComponentDef
  store: () => Record<string, NumericArray>
  names: string[]
  raw: Float64Array[]
  wire: Float64Array[]
  toWire: ((v: number) => number)[]
}

/** Half a quantization step per field (what a receiver of ours can be off by). */
export function oursTolerances(): Tolerances {
  const t = TransformDef.fields.map((f) => f.quantizer!.step / 2)
  const v = VelocityDef.fields.map((f) => f.quantizer!.step / 2)
  return [t[0], t[1], t[2], t[3], v[0], v[1]]
}

function create(w: BenchWorld): ContenderInstance {
  const n = w.entities
  const tracked: Tracked[] = [
    { def: TransformDef as unknown as ComponentDef, store: () => w.Transform },
    { def: VelocityDef as unknown as ComponentDef, store: () => w.Velocity },
  ].map(({ def, store }) => ({
    def,
    store,
    names: def.fields.map((f) => f.name),
    raw: def.fields.map(() => new Float64Array(n).fill(NaN)),
    wire: def.fields.map(() => new Float64Array(n).fill(-1)),
    toWire: def.fields.map((f) => f.toWire),
  }))
  const cap = w.Transform.x.length
  const rxT = TransformDef.createStore(cap)
  const rxV = VelocityDef.createStore(cap)
  const writer = new BitWriter(64 * 1024)
  const masks = new Uint8Array(n * 2)
  let packet: Uint8Array = new Uint8Array(0)
  const tol = oursTolerances()

  return {
    encode() {
      let changed = 0
      const eids = w.eids
      for (let c = 0; c < tracked.length; c++) {
        const t = tracked[c]
        const store = t.store()
        for (let f = 0; f < t.names.length; f++) {
          const col = store[t.names[f]] as Float32Array
          const raw = t.raw[f]
          const wire = t.wire[f]
          const toWire = t.toWire[f]
          const bit = 1 << f
          for (let i = 0; i < n; i++) {
            const v = col[eids[i]]
            if (v === raw[i]) continue
            raw[i] = v
            const q = toWire(v)
            if (q === wire[i]) continue
            wire[i] = q
            masks[i * 2 + c] |= bit
          }
        }
      }
      for (let i = 0; i < n; i++) if (masks[i * 2] !== 0 || masks[i * 2 + 1] !== 0) changed++
      writer.reset()
      writer.writeVarUint(changed)
      let last = -1
      for (let i = 0; i < n && changed > 0; i++) {
        const mt = masks[i * 2]
        const mv = masks[i * 2 + 1]
        if (mt === 0 && mv === 0) continue
        writer.writeCompactU32(i - last - 1)
        last = i
        writer.writeBits(mt, 4)
        writer.writeBits(mv, 2)
        const e = w.eids[i]
        if (mt) TransformDef.encode(writer, w.Transform, e, mt)
        if (mv) VelocityDef.encode(writer, w.Velocity, e, mv)
        masks[i * 2] = 0
        masks[i * 2 + 1] = 0
      }
      packet = writer.finish()
      return packet.byteLength
    },
    decode() {
      const r = new BitReader(packet)
      const count = r.readVarUint()
      let i = -1
      for (let k = 0; k < count; k++) {
        i += r.readCompactU32() + 1
        const mt = r.readBits(4)
        const mv = r.readBits(2)
        const e = w.eids[i]
        if (mt) TransformDef.decode(r, rxT, e, mt)
        if (mv) VelocityDef.decode(r, rxV, e, mv)
      }
    },
    check: (abs) => columnsError(w, storeColumns(rxT, rxV), tol, abs),
  }
}

export const oursCodec: Contender = {
  name: 'ours-codec',
  description: 'CODEC ONLY (not `net.flush()`): src/protocol component encode/decode with a bench-side single-shadow change mask, no acks/ids/packets',
  kind: 'delta',
  create,
}
