import type { ComponentStore, NumericArray } from '../protocol/index.js'
import type { BoundComponent } from './layout.js'

/** Samples kept per entity and component. */
export const SAMPLES = 8

/**
 * Receiver-side interpolation of one `interpolate: true` component. Every applied delta pushes a sample (the
 * entity's values, time-stamped with the sender's tick in ms); `render(eid, t)` writes the value at sender
 * time `t` into the output store: linear between the two samples around `t`, angles the short way round,
 * holding the newest sample past the end (no extrapolation), and jumping instead of sliding when a field
 * moved more than `snapDistance` between two samples (a teleport).
 */
export class Interpolator {
  readonly output: ComponentStore
  private readonly times: Float64Array
  private readonly values: Float64Array[]
  private readonly head: Int32Array
  private readonly count: Uint8Array
  /**
   * 1 once `render` wrote the newest sample and nothing arrived since: the output already holds the final value,
   * so rendering again would change nothing (most entities of a large world are idle; skipping them is most of
   * the cost of interpolating 10 000 entities).
   */
  readonly settled: Uint8Array
  private readonly fields: BoundComponent['def']['numericFields']

  constructor(
    readonly component: BoundComponent,
    capacity: number,
    private readonly snapDistance: number,
  ) {
    this.fields = component.def.numericFields
    this.output = component.def.createStore(capacity)
    this.times = new Float64Array(capacity * SAMPLES)
    this.values = this.fields.map(() => new Float64Array(capacity * SAMPLES))
    this.head = new Int32Array(capacity)
    this.count = new Uint8Array(capacity)
    this.settled = new Uint8Array(capacity)
  }

  clear(eid: number): void {
    this.count[eid] = 0
    this.settled[eid] = 0
  }

  /**
   * Seeds the buffer with the entity's current store values (its spawn / late-join / ownership state, which
   * carries no timestamp): a provisional sample whose time is set at the first delta, one send interval before
   * it, so the first move slides from the spawn state instead of jumping.
   */
  seed(eid: number): void {
    this.count[eid] = 0
    this.append(eid, Number.NEGATIVE_INFINITY, -1)
  }

  /**
   * Records the entity's current store values at sender time `t` (ms). Older-than-newest samples are ignored.
   * `interval` is the sender's mean time between flushes: an entity silent for longer held still until one
   * interval before `t`.
   */
  push(eid: number, t: number, interval: number): void {
    const n = this.count[eid]
    const base = eid * SAMPLES
    if (n > 0) {
      const last = base + this.head[eid]
      const lastT = this.times[last]
      if (lastT === Number.NEGATIVE_INFINITY) {
        // The seed: it holds until one interval before the first delta.
        this.times[last] = t - interval
      } else {
        if (t <= lastT) return
        // The entity did not change between the last sample and this one: hold it until one interval ago.
        if (t - lastT > interval * 1.5) this.append(eid, t - interval, last)
      }
    }
    this.append(eid, t, -1)
  }

  private append(eid: number, t: number, copyFrom: number): void {
    const base = eid * SAMPLES
    const h = this.count[eid] === 0 ? 0 : (this.head[eid] + 1) % SAMPLES
    const i = base + h
    this.times[i] = t
    for (let f = 0; f < this.fields.length; f++) {
      this.values[f][i] = copyFrom >= 0 ? this.values[f][copyFrom] : (this.component.store[this.fields[f].name] as NumericArray)[eid]
    }
    this.head[eid] = h
    if (this.count[eid] < SAMPLES) this.count[eid]++
    this.settled[eid] = 0
  }

  /** Writes the interpolated value at sender time `t` into `output` (or the store value if nothing is buffered). */
  render(eid: number, t: number): void {
    if (this.settled[eid] === 1) return
    const n = this.count[eid]
    const fields = this.fields
    const out = this.output
    if (n === 0) {
      for (let f = 0; f < fields.length; f++) {
        const name = fields[f].name
        ;(out[name] as NumericArray)[eid] = (this.component.store[name] as NumericArray)[eid]
      }
      return
    }
    const base = eid * SAMPLES
    const head = this.head[eid]
    // Walk back from the newest sample to find a ≤ t < b.
    let b = -1
    let a = base + head
    for (let k = 0; k < n; k++) {
      const idx = base + ((head - k + SAMPLES) % SAMPLES)
      if (this.times[idx] <= t) {
        a = idx
        break
      }
      b = idx
      a = idx
    }
    // Past the newest sample: the value holds until the next push.
    if (b < 0) this.settled[eid] = 1
    for (let f = 0; f < fields.length; f++) {
      const col = out[fields[f].name] as NumericArray
      const va = this.values[f][a]
      if (b < 0 || this.times[a] > t) {
        col[eid] = va
        continue
      }
      const vb = this.values[f][b]
      const q = fields[f].quantizer
      let diff = vb - va
      if (q && q.angle) {
        const span = q.max - q.min
        diff = ((((diff + span / 2) % span) + span) % span) - span / 2
      } else if (Math.abs(diff) > this.snapDistance) {
        col[eid] = va
        continue
      }
      const u = (t - this.times[a]) / (this.times[b] - this.times[a])
      let v = va + diff * u
      if (q && q.angle) {
        const span = q.max - q.min
        if (v >= q.max) v -= span
        else if (v < q.min) v += span
      }
      col[eid] = v
    }
  }

  /** Local (owned) entities: the output mirrors the store. */
  copy(eid: number): void {
    this.count[eid] = 0
    this.settled[eid] = 0
    const fields = this.fields
    for (let f = 0; f < fields.length; f++) {
      const name = fields[f].name
      ;(this.output[name] as NumericArray)[eid] = (this.component.store[name] as NumericArray)[eid]
    }
  }

  /** Samples buffered for `eid` (the inspector's buffer depth). */
  buffered(eid: number): number {
    return this.count[eid]
  }
}
