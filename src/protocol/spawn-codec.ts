/**
 * The body of a SpawnBatch (proto/multiuser/v1/net.proto): many entities' spawns, bit-packed with the schema's own
 * component codecs, so a late join costs about the state's quantized size (protobuf Spawn messages cost ~4× that:
 * the origin peer id, a length and a tag around every component of every entity).
 *
 *   per entity:
 *      1  more        1 = an entity follows, 0 = the end
 *     eg  origin      0 = the sender, k = the batch's origins[k - 1]
 *     eg  n           zigzag(n - previous n - 1) (previous n = -1): consecutive net ids cost 1 bit
 *     eg  slot        zigzag(slot - n) (0 for the sender's own spawns, whose slot is their n)
 *      1  persistent
 *     eg  epoch
 *     per schema component, in schema order:
 *      1  present
 *      1  full        (when present) 1 = every field; 0 = the field mask follows (nFields bits)
 *      …  the component's fields in the mask, as ComponentDef.encode writes them (an entity field: an index from 1
 *         into the message's `refs`, 0 = none)
 *
 * Decoding is two passes (`read`, then `decodeComponent` per component): `read` checks the whole body and records
 * where each component's bits start, so nothing is applied until the batch is known to be well-formed.
 */
import { BitReader } from './bit-reader.js'
import { BitWriter } from './bit-writer.js'
import type { ComponentDef, ComponentStore, EntityRefCodec } from './component.js'
import { readExpGolomb, unzigzag, writeExpGolomb, zigzag } from './exp-golomb.js'
import { DecodeError } from '../shared/errors.js'

export class SpawnBatchWriter {
  private readonly w = new BitWriter(1024)
  private prevN = -1
  count = 0

  constructor(private readonly components: readonly ComponentDef[]) {}

  reset(): void {
    this.w.reset()
    this.prevN = -1
    this.count = 0
  }

  /** Bytes written so far (the end bit included). */
  get byteLength(): number {
    return (this.w.bitLength + 1 + 7) >>> 3
  }

  /**
   * One entity: its header, then each component present in `present` (bit i = schema component i) with the fields of
   * `masks[i]` (-1 or absent: every field) read from `stores[i]` at `eid`; entity fields go through `refs`.
   */
  add(origin: number, n: number, slot: number, persistent: boolean, epoch: number, present: number, masks: ArrayLike<number> | null, stores: readonly ComponentStore[], eid: number, refs?: EntityRefCodec): void {
    const w = this.w
    w.writeBits(1, 1)
    writeExpGolomb(w, origin)
    writeExpGolomb(w, zigzag(n - this.prevN - 1))
    this.prevN = n
    writeExpGolomb(w, zigzag(slot - n))
    w.writeBits(persistent ? 1 : 0, 1)
    writeExpGolomb(w, epoch)
    const comps = this.components
    for (let i = 0; i < comps.length; i++) {
      if ((present & (1 << i)) === 0) {
        w.writeBits(0, 1)
        continue
      }
      const def = comps[i]
      const m = masks === null || masks[i] < 0 ? def.fullMask : masks[i]
      w.writeBits(1, 1)
      if (m === def.fullMask) w.writeBits(1, 1)
      else {
        w.writeBits(0, 1)
        w.writeBits(m, def.fields.length)
      }
      def.encode(w, stores[i], eid, m, refs)
    }
    this.count++
  }

  finish(): Uint8Array {
    this.w.writeBits(0, 1)
    return this.w.finish()
  }
}

/** A decoded batch: per entity its header, and per entity × component its mask (0 = absent) and first bit. */
export class SpawnBatchReader {
  count = 0
  origin = new Int32Array(64)
  n = new Float64Array(64)
  slot = new Float64Array(64)
  persistent = new Uint8Array(64)
  epoch = new Float64Array(64)
  /** Entity i, component c: `mask[i * nc + c]` (0 = absent) and where its fields start in the body, in bits. */
  mask = new Int32Array(64)
  start = new Float64Array(64)
  private body: Uint8Array = new Uint8Array(0)
  private readonly scratch: ComponentStore[]

  constructor(private readonly components: readonly ComponentDef[]) {
    this.scratch = components.map((c) => c.createStore(1))
  }

  /** Reads and checks the whole body (entity fields index `refCount` references); throws DecodeError when malformed. */
  read(body: Uint8Array, maxEntities: number, refCount = 0): void {
    const comps = this.components
    const nc = comps.length
    const r = new BitReader(body)
    const refs: EntityRefCodec = {
      toRef: () => 0,
      fromRef: (ref, _eid, field) => {
        if (ref > refCount) throw new DecodeError(`${field.name}: entity reference ${ref} of ${refCount}`)
        return 0
      },
    }
    this.body = body
    let count = 0
    let prevN = -1
    while (r.readBits(1) === 1) {
      if (count >= maxEntities) throw new DecodeError('too many entities in a spawn batch')
      this.grow(count + 1, nc)
      this.origin[count] = readExpGolomb(r)
      const n = prevN + 1 + unzigzag(readExpGolomb(r))
      const slot = n + unzigzag(readExpGolomb(r))
      if (n < 0 || n > 0xffffffff || slot < 0 || slot > 0xffffffff) throw new DecodeError('net id or slot out of range')
      this.n[count] = n
      this.slot[count] = slot
      prevN = n
      this.persistent[count] = r.readBits(1)
      this.epoch[count] = readExpGolomb(r)
      for (let c = 0; c < nc; c++) {
        const k = count * nc + c
        if (r.readBits(1) === 0) {
          this.mask[k] = 0
          continue
        }
        const def = comps[c]
        const m = r.readBits(1) === 1 ? def.fullMask : r.readBits(def.fields.length)
        if (m === 0) throw new DecodeError('empty component mask in a spawn batch')
        this.mask[k] = m
        this.start[k] = r.bitPosition
        def.decode(r, this.scratch[c], 0, m, refs)
      }
      count++
    }
    if (r.bitsLeft >= 8) throw new DecodeError('trailing bytes after a spawn batch')
    this.count = count
  }

  /** Writes component `c` of entity `i` (as `read` found it) into `store[eid]`; entity fields go through `refs`. */
  decodeComponent(i: number, c: number, store: ComponentStore, eid: number, refs?: EntityRefCodec): void {
    const k = i * this.components.length + c
    const bit = this.start[k]
    const r = new BitReader(this.body, bit >>> 3)
    r.readBits(bit & 7)
    this.components[c].decode(r, store, eid, this.mask[k], refs)
  }

  private grow(entities: number, nc: number): void {
    if (entities <= this.origin.length && entities * nc <= this.mask.length) return
    const size = Math.max(entities * 2, this.origin.length)
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n)
      b.set(a)
      return b
    }
    this.origin = grow(this.origin, size)
    this.n = grow(this.n, size)
    this.slot = grow(this.slot, size)
    this.persistent = grow(this.persistent, size)
    this.epoch = grow(this.epoch, size)
    this.mask = grow(this.mask, size * Math.max(1, nc))
    this.start = grow(this.start, size * Math.max(1, nc))
  }
}
