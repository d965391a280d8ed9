import type { ComponentStore, NumericArray } from '../protocol/index.js'
import type { BoundComponent } from './layout.js'

/** Samples kept per entity and component (≈ 270 ms at 30 Hz). */
export const SAMPLES = 8
/** SAMPLES - 1: ring positions as `& RING` (SAMPLES is a power of two). */
const RING = SAMPLES - 1
/**
 * A gap up to this long between two samples is interpolated across (a lost packet, an update the sender's budget put
 * off). Over a longer one the entity stood still if its sender was heard meanwhile (flushes without it): it holds
 * until one send interval before the new sample; if nothing came from the sender at all (an outage), it is
 * interpolated across too.
 */
export const BRIDGE_MS = 250
/**
 * Starved (the render time passed the newest sample and nothing newer came from its sender at all), an entity goes
 * on along the velocity of its last two samples for at most this long, then holds. 100 ms covers three lost 30 Hz
 * packets in a row; beyond that a guess drifts further than holding costs.
 */
export const EXTRAPOLATE_MS = 100
/**
 * When new samples contradict what was drawn (after extrapolating, or a late sample), the difference fades out
 * exponentially with this time constant instead of jumping: ~15 % of it per 60 Hz frame.
 */
export const BLEND_MS = 120

/**
 * What `model` found at a time: between two samples, extrapolating, extrapolated to the bound (until its sender is
 * heard again), or held (nothing changes with a later time).
 */
const BETWEEN = 0
const EXTRAPOLATING = 1
const EXTRAPOLATED = 2
const HELD = 3

/**
 * Receiver-side interpolation of one `interpolate: true` component. Every applied delta pushes a sample (the
 * entity's values, time-stamped with the sender's tick in ms); a late packet's values are inserted in time order
 * while they still fall inside the buffer (`pushLate`). `render(eid, t, heardAt)` writes the value at sender time `t`
 * into the output store:
 *
 * - between two samples: linear (angles the short way round), across gaps up to BRIDGE_MS; a field that moved more
 *   than `snapDistance` between them jumps instead of sliding (a teleport);
 * - past the newest sample: held when its sender was heard since without it (it stood still), else extrapolated along
 *   the last two samples' velocity for at most EXTRAPOLATE_MS, then held;
 * - a correction (what the samples now say at the time last drawn, minus what was drawn) fades over BLEND_MS.
 */
export class Interpolator {
  readonly output: ComponentStore
  /** The output's columns, by field (it is ours: never resized nor replaced). */
  private readonly outCols: NumericArray[]
  private readonly times: Float64Array
  private readonly values: Float64Array[]
  /** Per sample: 1 = made here (the spawn seed, a hold before a long gap), not received: no velocity from it. */
  private readonly made: Uint8Array
  /** Physical index (0..SAMPLES-1) of the newest sample, and how many are held. */
  private readonly head: Int32Array
  private readonly count: Uint8Array
  /**
   * 1 once `render` wrote a final value and nothing arrived since: the output already holds it, so rendering again
   * would change nothing (most entities of a large world are idle; skipping them is most of the cost of
   * interpolating 10 000 entities).
   */
  readonly settled: Uint8Array
  /** Per field: the correction taken at `errAt` (what was drawn minus what the samples say), fading from then. */
  private readonly err: Float64Array[]
  private readonly errAt: Float64Array
  /** The render time last drawn (-∞: never), and whether the samples changed since (or it was extrapolating). */
  private readonly drawnAt: Float64Array
  private readonly recheck: Uint8Array
  /**
   * Per entity: the time of sample a when the last frame was drawn between two samples a ≤ t < b (NaN otherwise).
   * Samples appended after it (newer than b) leave what the samples say at that time unchanged, so they need no
   * recheck while sample a is still held (render's continuity check costs a second walk of the buffer).
   */
  private readonly drawnInside: Float64Array
  /** Set by `model`: the time of sample a when t lay between two samples, else NaN. */
  private insideAt = Number.NaN
  private readonly fields: BoundComponent['def']['numericFields']
  /** Per field: 1 = angle, its span; how small a correction is nothing. */
  private readonly angle: Uint8Array
  private readonly span: Float64Array
  private readonly min: Float64Array
  private readonly max: Float64Array
  private readonly eps: Float64Array
  private readonly scratch: Float64Array
  private readonly before: Float64Array

  constructor(
    readonly component: BoundComponent,
    capacity: number,
    private readonly snapDistance: number,
  ) {
    const fields = (this.fields = component.def.numericFields)
    this.output = component.def.createStore(capacity)
    this.outCols = fields.map((f) => this.output[f.name] as NumericArray)
    this.times = new Float64Array(capacity * SAMPLES)
    this.made = new Uint8Array(capacity * SAMPLES)
    this.values = fields.map(() => new Float64Array(capacity * SAMPLES))
    this.head = new Int32Array(capacity)
    this.count = new Uint8Array(capacity)
    this.settled = new Uint8Array(capacity)
    this.err = fields.map(() => new Float64Array(capacity))
    this.errAt = new Float64Array(capacity)
    this.drawnAt = new Float64Array(capacity).fill(Number.NEGATIVE_INFINITY)
    this.recheck = new Uint8Array(capacity)
    this.drawnInside = new Float64Array(capacity).fill(Number.NaN)
    this.angle = Uint8Array.from(fields, (f) => (f.quantizer?.angle ? 1 : 0))
    this.span = Float64Array.from(fields, (f) => (f.quantizer ? f.quantizer.max - f.quantizer.min : 0))
    this.min = Float64Array.from(fields, (f) => f.quantizer?.min ?? 0)
    this.max = Float64Array.from(fields, (f) => f.quantizer?.max ?? 0)
    this.eps = Float64Array.from(fields, (f) => (f.quantizer ? f.quantizer.step / 4 : 1e-6))
    this.scratch = new Float64Array(fields.length)
    this.before = new Float64Array(fields.length)
  }

  /** Told when `eid` needs rendering again (a sample arrived, or its buffer was cleared): the render list's door. */
  onWake: (eid: number) => void = () => {}

  clear(eid: number): void {
    this.reset(eid)
    this.onWake(eid)
  }

  private reset(eid: number): void {
    this.drawnInside[eid] = Number.NaN
    this.count[eid] = 0
    this.settled[eid] = 0
    this.drawnAt[eid] = Number.NEGATIVE_INFINITY
    for (const e of this.err) e[eid] = 0
  }

  /**
   * Seeds the buffer with the entity's current store values (its spawn / late-join / ownership state, which
   * carries no timestamp): a provisional sample whose time is set at the first delta, one send interval before
   * it, so the first move slides from the spawn state instead of jumping.
   */
  seed(eid: number): void {
    this.clear(eid)
    this.append(eid, Number.NEGATIVE_INFINITY, -1)
  }

  /**
   * Records the entity's current store values at sender time `t` (ms), the newest sample. `interval` is the
   * sender's mean time between flushes; `heardBefore` the sender time of the flush heard before this one: an entity
   * silent for longer than BRIDGE_MS while its sender was heard held still until one interval before `t`.
   */
  push(eid: number, t: number, interval: number, heardBefore: number): void {
    const n = this.count[eid]
    if (n > 0) {
      const last = eid * SAMPLES + this.head[eid]
      const lastT = this.times[last]
      if (lastT === Number.NEGATIVE_INFINITY) {
        // The seed: it holds until one interval before the first delta (a sample moved: recheck what was drawn).
        this.times[last] = t - interval
        this.drawnInside[eid] = Number.NaN
      } else {
        if (t <= lastT) return
        if (t - lastT > BRIDGE_MS && t - interval > lastT && heardBefore > lastT) this.append(eid, t - interval, last)
      }
    }
    this.append(eid, t, -1)
  }

  /**
   * A late packet's values at sender time `t`: the fields of `mask` from `vals` (by field index), the others as the
   * buffer has them at `t`. Inserted in time order; dropped when older than everything held in a full buffer.
   */
  pushLate(eid: number, t: number, mask: number, vals: Float64Array): void {
    const n = this.count[eid]
    const base = eid * SAMPLES
    const oldest = (this.head[eid] - n + 1 + SAMPLES) % SAMPLES
    // Logical position (0 = oldest) the sample goes to.
    let pos = n
    for (let k = n - 1; k >= 0; k--) {
      const tk = this.times[base + ((oldest + k) % SAMPLES)]
      if (tk === t) return
      if (tk < t) break
      pos = k
    }
    if (pos === n) return // not older than the newest: the store path has it (or it is a duplicate)
    if (pos === 0 && n === SAMPLES) return
    const fields = this.fields
    const value = this.scratch
    this.model(eid, t, Number.POSITIVE_INFINITY, value)
    for (let f = 0; f < fields.length; f++) if ((mask >>> f) & 1) value[f] = vals[f]
    // Make room: shift the samples from `pos` on one place newer (dropping the oldest when full).
    let first = oldest
    let at = pos
    if (n === SAMPLES) {
      first = (oldest + 1) % SAMPLES
      at = pos - 1
    } else this.count[eid] = n + 1
    this.head[eid] = (this.head[eid] + 1) % SAMPLES
    const keep = this.count[eid]
    for (let k = keep - 1; k > at; k--) this.move(base + ((first + k) % SAMPLES), base + ((first + k - 1) % SAMPLES))
    const i = base + ((first + at) % SAMPLES)
    this.times[i] = t
    this.made[i] = 0
    for (let f = 0; f < fields.length; f++) this.values[f][i] = value[f]
    this.changed(eid)
  }

  private move(to: number, from: number): void {
    this.times[to] = this.times[from]
    this.made[to] = this.made[from]
    for (let f = 0; f < this.fields.length; f++) this.values[f][to] = this.values[f][from]
  }

  /** Appends a sample at `t`: the store's values, or (made here) a copy of sample `copyFrom`, or the seed (t = -∞). */
  private append(eid: number, t: number, copyFrom: number): void {
    const base = eid * SAMPLES
    const h = this.count[eid] === 0 ? 0 : (this.head[eid] + 1) & RING
    const i = base + h
    this.times[i] = t
    this.made[i] = copyFrom >= 0 || t === Number.NEGATIVE_INFINITY ? 1 : 0
    for (let f = 0; f < this.fields.length; f++) {
      this.values[f][i] = copyFrom >= 0 ? this.values[f][copyFrom] : (this.component.store[this.fields[f].name] as NumericArray)[eid]
    }
    this.head[eid] = h
    if (this.count[eid] < SAMPLES) this.count[eid]++
    this.appended(eid)
  }

  /**
   * A sample newer than every other was appended: as `changed`, but the continuity check is only needed when the last
   * frame was not drawn between two samples that are both still held (see drawnInside).
   */
  private appended(eid: number): void {
    this.settled[eid] = 0
    const lo = this.drawnInside[eid]
    const oldest = this.times[eid * SAMPLES + ((this.head[eid] - this.count[eid] + 1 + SAMPLES) & RING)]
    if (!(lo >= oldest)) this.recheck[eid] = 1
    this.onWake(eid)
  }

  private changed(eid: number): void {
    this.settled[eid] = 0
    this.recheck[eid] = 1
    this.drawnInside[eid] = Number.NaN
    this.onWake(eid)
  }

  /**
   * What the samples say at sender time `t` into `out` (one value per field), given that the sender was last heard
   * at its time `heardAt`; returns BETWEEN, EXTRAPOLATING, EXTRAPOLATED or HELD.
   */
  private model(eid: number, t: number, heardAt: number, out: Float64Array): number {
    const n = this.count[eid]
    const base = eid * SAMPLES
    const head = this.head[eid]
    const times = this.times
    const fields = this.fields
    // Walk back from the newest sample to find a ≤ t < b.
    this.insideAt = Number.NaN
    let b = -1
    let a = base + head
    for (let k = 0; k < n; k++) {
      const idx = base + ((head - k + SAMPLES) & RING)
      a = idx
      if (times[idx] <= t) break
      b = idx
    }
    if (times[a] > t) {
      // Older than every sample held: the oldest.
      for (let f = 0; f < fields.length; f++) out[f] = this.values[f][a]
      return BETWEEN
    }
    if (b >= 0) {
      this.insideAt = times[a]
      const u = (t - times[a]) / (times[b] - times[a])
      for (let f = 0; f < fields.length; f++) {
        const va = this.values[f][a]
        const d = this.diff(f, va, this.values[f][b])
        out[f] = d === d ? this.wrap(f, va + d * u) : va
      }
      return BETWEEN
    }
    // Past the newest sample `a`.
    const tN = times[a]
    const p = base + ((head - 1 + SAMPLES) & RING)
    const tP = n >= 2 ? times[p] : Number.NEGATIVE_INFINITY
    if (heardAt > tN || n < 2 || this.made[a] === 1 || this.made[p] === 1 || !(tN - tP > 0 && tN - tP <= BRIDGE_MS)) {
      for (let f = 0; f < fields.length; f++) out[f] = this.values[f][a]
      return HELD
    }
    const dt = Math.min(t - tN, EXTRAPOLATE_MS)
    for (let f = 0; f < fields.length; f++) {
      const vN = this.values[f][a]
      const d = this.diff(f, this.values[f][p], vN)
      out[f] = d === d ? this.wrap(f, vN + (d * dt) / (tN - tP)) : vN
    }
    return t - tN >= EXTRAPOLATE_MS ? EXTRAPOLATED : EXTRAPOLATING
  }

  /** b − a for field f (the short way round for angles); NaN when it is a teleport (more than snapDistance). */
  private diff(f: number, a: number, b: number): number {
    let d = b - a
    if (this.angle[f] === 1) {
      const span = this.span[f]
      // Two values of the range differ by less than a span: one add or subtract (a float modulo is slow).
      if (d >= span / 2 && d < (3 * span) / 2) d -= span
      else if (d < -span / 2 && d >= (-3 * span) / 2) d += span
      else if (!(d >= -span / 2 && d < span / 2)) d = ((((d + span / 2) % span) + span) % span) - span / 2
    } else if (Math.abs(d) > this.snapDistance) return Number.NaN
    return d
  }

  private wrap(f: number, v: number): number {
    if (this.angle[f] === 0) return v
    return v >= this.max[f] ? v - this.span[f] : v < this.min[f] ? v + this.span[f] : v
  }

  /**
   * Writes the value at sender time `t` into `output` (or the store value if nothing is buffered); `heardAt` is the
   * sender time of the newest packet from the entity's owner.
   */
  render(eid: number, t: number, heardAt: number): void {
    if (this.settled[eid] === 1) return
    const fields = this.fields
    const out = this.outCols
    if (this.count[eid] === 0) {
      for (let f = 0; f < fields.length; f++) out[f][eid] = (this.component.store[fields[f].name] as NumericArray)[eid]
      this.settled[eid] = 1
      return
    }
    const drawnAt = this.drawnAt[eid]
    if (this.recheck[eid] === 1 && drawnAt > Number.NEGATIVE_INFINITY && drawnAt <= t) {
      // The samples changed since the last frame (or it was extrapolating): keep what was drawn then continuous.
      const then = this.before
      this.model(eid, drawnAt, heardAt, then)
      for (let f = 0; f < fields.length; f++) {
        const drawn = out[f][eid]
        const e = this.angle[f] === 1 ? this.diff(f, then[f], drawn) : drawn - then[f]
        this.err[f][eid] = Math.abs(e) > this.eps[f] ? e : 0
      }
      this.errAt[eid] = drawnAt
    }
    const value = this.scratch
    const mode = this.model(eid, t, heardAt, value)
    // The correction's fade, computed only when there is one (most renders have none).
    let fade = -1
    let still = mode === HELD
    for (let f = 0; f < fields.length; f++) {
      let e = this.err[f][eid]
      if (e !== 0) {
        if (fade < 0) fade = Math.exp(-(t - this.errAt[eid]) / BLEND_MS)
        e *= fade
        if (Math.abs(e) <= this.eps[f]) {
          this.err[f][eid] = 0
          e = 0
        } else still = false
      }
      out[f][eid] = this.wrap(f, value[f] + e)
    }
    this.drawnAt[eid] = t
    this.drawnInside[eid] = this.insideAt
    this.recheck[eid] = mode === EXTRAPOLATING || mode === EXTRAPOLATED ? 1 : 0
    if (still) this.settled[eid] = 1
  }

  /** Local (owned) entities: forgets their buffers (they start afresh should one become remote). */
  resetAll(eids: Int32Array, count: number): void {
    for (let i = 0; i < count; i++) this.reset(eids[i])
  }

  /**
   * Local (owned) entities, as runs of consecutive eids [start[r], end[r]): the output mirrors the store, copied a
   * column at a time (TypedArray.set: a memory copy, not a loop per entity).
   */
  copyRuns(start: Int32Array, end: Int32Array, runs: number): void {
    const fields = this.fields
    for (let f = 0; f < fields.length; f++) {
      const out = this.outCols[f]
      const src = this.component.store[fields[f].name] as NumericArray
      for (let r = 0; r < runs; r++) out.set(src.subarray(start[r], end[r]), start[r])
    }
  }

  /** Samples buffered for `eid` (the inspector's buffer depth). */
  buffered(eid: number): number {
    return this.count[eid]
  }
}
