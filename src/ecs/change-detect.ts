import type { FieldDef, NumericArray } from '../protocol/index.js'
import { quantizeAngle, quantizeLinear } from '../protocol/quantize.js'
import { quaternionToWire } from '../protocol/quaternion.js'
import type { Layout } from './layout.js'
import type { PresenceReader } from './world-access.js'

/**
 * Change detection by shadow comparison, for the entities this peer owns. Catches direct typed-array writes
 * (`Transform.x[eid] = 3`): no bitECS observers. DELTA fields are compared first raw (one typed-array load),
 * then, only if the raw value moved, in canonical wire space (`toWire`), so a change below the quantization
 * step is not a change. `wire[eid * stride + f]` is the current canonical value every receiver's encoder reads.
 */
export class ChangeDetector {
  readonly raw: Float64Array[]
  /** Raw 32-bit patterns of 4-byte columns (see detect). */
  private readonly rawBits: Int32Array[]
  private readonly viewOf: (NumericArray | null)[]
  private readonly views: (Int32Array | null)[]
  /**
   * Float32 columns and their shadows seen as Float64Array: one compare covers two entities. Equal doubles mean
   * equal bits except +0 / -0 halves, and a float32 +0 / -0 flip is no wire change anyway; NaN never compares
   * equal, so a NaN pair just takes the per-entity compare. Null when the column is not 8-byte aligned.
   */
  private readonly pairViews: (Float64Array | null)[]
  private readonly rawPairs: Float64Array[]
  /** Canonical wire values, entity-major: `wire[eid * stride + f]` (what every receiver's encoder reads). */
  readonly wire: Float64Array
  readonly stride: number
  readonly presence: Uint32Array
  /** Entities whose DELTA wire values changed in the last `detect()`, and which delta components changed. */
  readonly dirty: Int32Array
  dirtyCount = 0
  readonly dirtyComponents: Uint32Array
  /** RELIABLE components: numeric wire shadows and object references, by component bit then field index. */
  private readonly relNumeric: Map<number, Float64Array[]> = new Map()
  private readonly relObject: Map<number, unknown[][]> = new Map()
  /** Quaternion components (delta index), and per one: entities whose raw columns moved this detect, and a stamp. */
  private readonly quatComps: number[]
  private readonly quatMoved: Int32Array[]
  private readonly quatStamp: Uint32Array[]
  private detectCount = 0
  private readonly quatMovedCount: Int32Array
  private readonly slots = new Float64Array(4)

  constructor(
    private readonly layout: Layout,
    private readonly presenceReader: PresenceReader,
    capacity: number,
  ) {
    this.raw = layout.deltaFields.map(() => new Float64Array(capacity))
    // Even length, so the pair view covers every entity.
    this.rawBits = layout.deltaFields.map(() => new Int32Array(capacity + (capacity & 1)))
    this.rawPairs = this.rawBits.map((b) => new Float64Array(b.buffer))
    this.viewOf = layout.deltaFields.map(() => null)
    this.views = layout.deltaFields.map(() => null)
    this.pairViews = layout.deltaFields.map(() => null)
    this.stride = layout.deltaFields.length
    this.wire = new Float64Array(capacity * this.stride)
    this.presence = new Uint32Array(capacity)
    this.dirty = new Int32Array(capacity)
    this.dirtyComponents = new Uint32Array(capacity)
    this.quatMovedCount = new Int32Array(layout.delta.length)
    this.quatComps = layout.delta.map((_, c) => c).filter((c) => layout.quaternionBits[c] > 0)
    this.quatMoved = layout.delta.map((_, c) => (layout.quaternionBits[c] > 0 ? new Int32Array(capacity) : new Int32Array(0)))
    this.quatStamp = layout.delta.map((_, c) => (layout.quaternionBits[c] > 0 ? new Uint32Array(capacity) : new Uint32Array(0)))
    for (const c of layout.reliable) {
      this.relNumeric.set(c.bit, c.def.fields.map((f) => (f.kind === 'object' ? new Float64Array(0) : new Float64Array(capacity))))
      this.relObject.set(c.bit, c.def.fields.map((f) => (f.kind === 'object' ? new Array<unknown>(capacity) : [])))
    }
  }

  /** Captures the current values of one entity (at spawn, component add, or when ownership arrives). */
  capture(eid: number, onlyBits = 0xffffffff): void {
    const presence = this.presenceReader.mask(eid)
    this.presence[eid] = (this.presence[eid] & ~onlyBits) | (presence & onlyBits)
    const L = this.layout
    for (let i = 0; i < L.deltaFields.length; i++) {
      if ((onlyBits & (1 << L.delta[L.deltaFieldComponent[i]].bit)) === 0) continue
      const col = L.column(i)
      const v = col[eid]
      this.raw[i][eid] = v
      const view = this.bitsView(i, col)
      if (view !== null) this.rawBits[i][eid] = view[eid]
      if (L.quaternionBits[L.deltaFieldComponent[i]] === 0) this.wire[eid * this.stride + i] = L.deltaFields[i].toWire(v)
    }
    for (const c of this.quatComps) if ((onlyBits & (1 << L.delta[c].bit)) !== 0) quaternionWire(L, c, eid, this.wire, eid * this.stride + L.delta[c].firstField)
    for (const c of L.reliable) {
      if ((onlyBits & (1 << c.bit)) === 0) continue
      const nums = this.relNumeric.get(c.bit)!
      const objs = this.relObject.get(c.bit)!
      c.def.fields.forEach((f, fi) => {
        const col = c.store[f.name]
        if (f.kind === 'object') objs[fi][eid] = (col as unknown[])[eid]
        else nums[fi][eid] = f.toWire((col as NumericArray)[eid])
      })
    }
  }

  /** Structural change of an owned entity: returns the presence mask now (and remembers it). */
  presenceNow(eid: number): number {
    return this.presenceReader.mask(eid)
  }

  /**
   * Scans the owned entities' DELTA fields; fills `dirty`. Columns of 4-byte elements (Float32Array and the
   * 32-bit integer arrays) are compared as raw 32-bit patterns against an Int32 shadow: an integer compare per
   * field, half the memory traffic of a float64 shadow. Only a raw change pays the quantization.
   *
   * `owned[0..count)` lists the owned eids; `ownedPos[eid] < 0` marks the others; all lie below `end`. When they
   * fill at least half of [0, end), every eid of the range is scanned in order instead: sequential loads with no
   * list indirection, about twice as fast per entity (a raw change of an entity we do not own is skipped; its
   * shadow is recaptured when ownership arrives). A peer owning few of the ids keeps walking its list.
   */
  detect(owned: Int32Array, count: number, ownedPos: Int32Array, end: number): void {
    const dense = count * 2 >= end
    const n = dense ? end : count
    const L = this.layout
    const nf = L.deltaFields.length
    let dirtyCount = 0
    const presence = this.presence
    const dirty = this.dirty
    const dirtyComponents = this.dirtyComponents
    // Only last call's dirty entities can hold bits: clear those (not every owned entity).
    for (let i = 0; i < this.dirtyCount; i++) dirtyComponents[dirty[i]] = 0
    const stamp = ++this.detectCount
    const quatMovedCount = this.quatMovedCount.fill(0)
    for (let f = 0; f < nf; f++) {
      const col = L.column(f)
      const wire = this.wire
      const stride = this.stride
      const field = L.deltaFields[f]
      const ci = L.deltaFieldComponent[f]
      const bit = 1 << L.delta[ci].bit
      const cbit = 1 << ci
      // Quantized fields are quantized inline (1 linear, 2 angle): field.toWire here would be a megamorphic call.
      // A quaternion's fields (3) only note that the entity's orientation moved: its slots are made after the scan.
      const quant = L.quaternionBits[ci] > 0 ? 3 : L.deltaCodable[f] === 1 ? (L.wireAngle[f] === 1 ? 2 : 1) : 0
      const qMoved = this.quatMoved[ci]
      const qStamp = this.quatStamp[ci]
      const min = L.wireMin[f]
      const max = L.wireMax[f]
      const step = L.wireStep[f]
      const top = L.wireTop[f]
      const bits = this.bitsView(f, col)
      if (bits !== null) {
        const shadow = this.rawBits[f]
        // Dense scan of a float32 column: skip two unchanged entities per compare, over the first `pairEnd` pairs.
        const pairs = this.pairViews[f]
        const shadowPairs = this.rawPairs[f]
        const pairEnd = dense && pairs !== null ? Math.min(n, 2 * pairs.length) >> 1 : 0
        for (let i = 0; i < n; i++) {
          if ((i & 1) === 0 && i >> 1 < pairEnd) {
            // A tight loop to the next changed pair (or the end of the pairs); then its entities one by one.
            let p = i >> 1
            while (p < pairEnd && pairs![p] === shadowPairs[p]) p++
            i = p << 1
            if (i >= n) break
          }
          const eid = dense ? i : owned[i]
          const b = bits[eid]
          if (b === shadow[eid]) continue
          shadow[eid] = b
          if ((presence[eid] & bit) === 0 || (dense && ownedPos[eid] < 0)) continue
          if (quant === 3) {
            if (qStamp[eid] !== stamp) (qStamp[eid] = stamp), (qMoved[quatMovedCount[ci]++] = eid)
            continue
          }
          const w = wireOf(col[eid], quant, min, max, step, top, field)
          const x = eid * stride + f
          if (w === wire[x]) continue
          wire[x] = w
          if (dirtyComponents[eid] === 0) dirty[dirtyCount++] = eid
          dirtyComponents[eid] |= cbit
        }
        continue
      }
      const raw = this.raw[f]
      for (let i = 0; i < n; i++) {
        const eid = dense ? i : owned[i]
        const v = col[eid]
        if (v === raw[eid]) continue
        raw[eid] = v
        if ((presence[eid] & bit) === 0 || (dense && ownedPos[eid] < 0)) continue
        if (quant === 3) {
          if (qStamp[eid] !== stamp) (qStamp[eid] = stamp), (qMoved[quatMovedCount[ci]++] = eid)
          continue
        }
        const w = wireOf(v, quant, min, max, step, top, field)
        const x = eid * stride + f
        if (w === wire[x]) continue
        wire[x] = w
        if (dirtyComponents[eid] === 0) dirty[dirtyCount++] = eid
        dirtyComponents[eid] |= cbit
      }
    }
    // Quaternions whose raw columns moved: their four slots, compared in wire space like any field.
    const slots = this.slots
    for (const ci of this.quatComps) {
      const f0 = L.delta[ci].firstField
      const moved = this.quatMoved[ci]
      for (let k = 0; k < quatMovedCount[ci]; k++) {
        const eid = moved[k]
        quaternionWire(L, ci, eid, slots, 0)
        const x = eid * this.stride + f0
        const w = this.wire
        if (slots[0] === w[x] && slots[1] === w[x + 1] && slots[2] === w[x + 2] && slots[3] === w[x + 3]) continue
        for (let j = 0; j < 4; j++) w[x + j] = slots[j]
        if (dirtyComponents[eid] === 0) dirty[dirtyCount++] = eid
        dirtyComponents[eid] |= 1 << ci
      }
    }
    this.dirtyCount = dirtyCount
  }

  /** An Int32 view of a 4-byte-element column (cached until the store's array is replaced), else null. */
  private bitsView(f: number, col: NumericArray): Int32Array | null {
    if (col.BYTES_PER_ELEMENT !== 4) return null
    if (this.viewOf[f] !== col) {
      this.viewOf[f] = col
      this.views[f] = new Int32Array(col.buffer, col.byteOffset, col.length)
      this.pairViews[f] = col instanceof Float32Array && col.byteOffset % 8 === 0 ? new Float64Array(col.buffer, col.byteOffset, col.length >> 1) : null
      // A new array (first use or a resize): every entity compares as raw-changed once, so the wire shadow
      // (the truth) decides what changed.
      const shadow = this.rawBits[f]
      const view = this.views[f]!
      for (let e = 0; e < shadow.length && e < view.length; e++) shadow[e] = ~view[e]
    }
    return this.views[f]
  }

  /** Field mask of a RELIABLE component that changed since the last call (and updates the shadow). */
  reliableChanges(eid: number, bit: number): number {
    const c = this.layout.components[bit]
    const nums = this.relNumeric.get(bit)!
    const objs = this.relObject.get(bit)!
    let mask = 0
    const fields = c.def.fields
    for (let fi = 0; fi < fields.length; fi++) {
      const f = fields[fi]
      const col = c.store[f.name]
      if (f.kind === 'object') {
        const v = (col as unknown[])[eid]
        if (v !== objs[fi][eid]) {
          objs[fi][eid] = v
          mask |= 1 << fi
        }
      } else {
        const w = f.toWire((col as NumericArray)[eid])
        if (w !== nums[fi][eid]) {
          nums[fi][eid] = w
          mask |= 1 << fi
        }
      }
    }
    return mask
  }
}

/** The four wire slots of quaternion component `c` (delta index) of `eid`, from its store, into `out[at .. at + 4)`. */
export function quaternionWire(L: Layout, c: number, eid: number, out: Float64Array, at: number): void {
  const f0 = L.delta[c].firstField
  quaternionToWire(L.column(f0)[eid], L.column(f0 + 1)[eid], L.column(f0 + 2)[eid], L.column(f0 + 3)[eid], L.quaternionBits[c], out, at)
}

/** `field.toWire(v)`, with a quantized field's arithmetic called directly (`quant`: 1 linear, 2 angle, 0 other). */
function wireOf(v: number, quant: number, min: number, max: number, step: number, top: number, field: FieldDef): number {
  return quant === 1 ? quantizeLinear(v, min, max, step, top) : quant === 2 ? quantizeAngle(v, min, step, top + 1) : field.toWire(v)
}
