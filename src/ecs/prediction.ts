/**
 * The prediction room (host mode, a client): entities this client controls move at once with its own inputs, and
 * are reconciled with the host's state.
 *
 * - `net.sendInput` → `onLocal`: the input is kept (until the host acknowledges it) and simulated at once on every
 *   entity predicted with that input: zero frames of input latency.
 * - `receive()` → `beforeReceive`: what the predicted entities show is noted, and their predicted components are
 *   restored to the host's state as last received (`server`), so the deltas that arrive complete it;
 *   `afterReceive`: the store now holds the host's newest state: it is saved as `server`, the inputs the host has not
 *   applied yet (after the acknowledged one) are simulated again on it, and where the result differs from what was
 *   shown by more than a quantization step, that is a misprediction (counted). The jump is hidden: the interpolated
 *   view shows the store plus a visual offset that starts at the jump and halves every `correctionHalfLife` ms
 *   (a jump over `snapDistance` is shown at once: a teleport).
 *
 * Determinism check (`determinismCheck`, in the spirit of GGRS's SyncTest): what the client predicted after each of
 * its inputs is kept, and when the host's state after an input arrives (the input it acknowledges), the two are
 * compared field by field: the first field of a predicted entity that differs by more than a quantization step is a
 * divergence (`divergence` event, first one reported, all counted): the host's simulation and the client's are not
 * the same function of the inputs. Meant for tests and development, on links without loss (a flush split over
 * packets, one of them lost, can look like one).
 *
 * Only the interpolated view is smoothed (components with `interpolate: true`); the store always holds the
 * reconciled prediction, which is what the game's systems read.
 */
import type { World } from 'bitecs'
import type { ComponentStore, NumericArray } from '../protocol/component.js'
import type { InputDef } from '../protocol/schema.js'
import { ErrorCode, MultiuserError } from '../shared/errors.js'
import type { NetContext } from './context.js'
import type { Divergence } from './network.js'
import { snapshotComponents, type ComponentSnapshot } from './snapshot.js'

/** What a client simulates for one input on one entity (the same function the host runs in its `onInput`). */
export type SimulateFn<T> = (world: World, eid: number, input: T) => void

/** Options of `net.predict`. */
export interface PredictOptions {
  /** The components to predict and restore (their stores). Default: every DELTA component the entity has now. */
  components?: readonly ComponentStore[]
}

interface Predicted {
  readonly eid: number
  readonly def: InputDef
  readonly simulate: SimulateFn<unknown>
  /** Inputs up to this seq were sent before the entity was predicted: never replayed on it. */
  readonly startSeq: number
  /** The host's state of the predicted components, as last received. */
  readonly server: ComponentSnapshot
  /** Per column: what was shown before the receive, the largest difference that is not a misprediction, the view. */
  readonly shown: Float64Array
  readonly tolerance: Float64Array
  readonly angle: Uint8Array
  readonly views: (NumericArray | null)[]
  readonly offset: Float64Array
  /** Determinism check: each column's name, and what was predicted after each input not yet checked (by seq). */
  readonly names: string[]
  readonly predictedAfter: Map<number, Float64Array>
  checkedUpTo: number
}

interface PendingInput {
  readonly seq: number
  readonly def: InputDef
  readonly input: unknown
}

const TWO_PI = 2 * Math.PI
const wrapAngle = (d: number): number => d - TWO_PI * Math.round(d / TWO_PI)

export class Prediction {
  private list: Predicted[] = []
  private pending: PendingInput[] = []
  /** Reconciliations whose result differed from what was shown (more than a quantization step). */
  mispredictions = 0
  /** The largest jump of the last misprediction (store units), before smoothing. */
  lastCorrection = 0
  /** Determinism check: acknowledged inputs whose host state differed from the prediction. */
  divergences = 0
  private lastRender = Number.NaN

  constructor(
    private readonly ctx: NetContext,
    private readonly halfLife: number,
    private readonly check: boolean,
  ) {
    if (!(halfLife >= 0)) throw new RangeError(`correctionHalfLife must be ≥ 0 ms (got ${halfLife})`)
  }

  get active(): boolean {
    return this.list.length > 0
  }

  add<T>(eid: number, def: InputDef<T>, simulate: SimulateFn<T>, options: PredictOptions = {}): void {
    const { layout, presence, interpolation, inputs } = this.ctx
    if (!this.ctx.authority.isClient) throw new MultiuserError(ErrorCode.NOT_HOST, 'predict is for a client of a host (createNetwork authority: \'host\', host: false)')
    if (this.ctx.schema.inputById(def.id) !== (def as InputDef)) throw new MultiuserError(ErrorCode.UNKNOWN_INPUT, `input ${def.name} is not in this schema`)
    const mask = presence.mask(eid)
    const bound = options.components
      ? options.components.map((s) => {
        const c = layout.components.find((x) => x.store === s)
        if (!c) throw new MultiuserError(ErrorCode.SCHEMA_INVALID, 'predict: not a component store of this network')
        return c
      })
      : layout.delta.filter((c) => (mask & (1 << c.bit)) !== 0)
    this.remove(eid)
    // One column per store object, so the snapshot's columns are the fields in schema order.
    const server = snapshotComponents(bound.flatMap((c) => c.def.numericFields.map((f) => ({ [f.name]: c.store[f.name] }))), [eid])
    const n = server.columns.length
    const tolerance = new Float64Array(n)
    const angle = new Uint8Array(n)
    const views: (NumericArray | null)[] = []
    const names: string[] = []
    for (const c of bound) {
      const view = interpolation.view(c.store)
      for (const f of c.def.numericFields) {
        const k = views.length
        names.push(`${c.def.name}.${f.name}`)
        tolerance[k] = f.quantizer ? f.quantizer.step * 1.001 : 1e-6
        angle[k] = f.quantizer?.angle ? 1 : 0
        views.push(view === c.store ? null : (view[f.name] as NumericArray))
      }
    }
    this.list.push({
      eid, def: def as InputDef, simulate: simulate as SimulateFn<unknown>, startSeq: inputs.seq, server,
      shown: new Float64Array(n), tolerance, angle, views, offset: new Float64Array(n),
      names, predictedAfter: new Map(), checkedUpTo: inputs.seq,
    })
  }

  /** Stops predicting anything (this client became the host: its state is the truth now). */
  clear(): void {
    this.list = []
    this.pending = []
  }

  remove(eid: number): void {
    this.list = this.list.filter((p) => p.eid !== eid)
  }

  /** A local input, numbered `seq`: simulated at once on the entities it drives. */
  onLocal(seq: number, def: InputDef, input: unknown): void {
    if (this.list.length === 0) return
    this.pending.push({ seq, def, input })
    const max = this.ctx.settings.limits.maxPendingInputs
    if (this.pending.length > max) this.pending.splice(0, this.pending.length - max)
    for (const p of this.list) {
      if (p.def !== def) continue
      this.simulateOne(p, input)
      this.remember(p, seq)
      this.show(p)
    }
  }

  /** Determinism check: what `p` shows after input `seq`. */
  private remember(p: Predicted, seq: number): void {
    if (!this.check) return
    const cols = p.server.columns
    const v = new Float64Array(cols.length)
    for (let k = 0; k < cols.length; k++) v[k] = cols[k][p.eid]
    p.predictedAfter.set(seq, v)
    if (p.predictedAfter.size > this.ctx.settings.limits.maxPendingInputs) p.predictedAfter.delete(p.predictedAfter.keys().next().value!)
  }

  /** Determinism check: the host's state after input `acked` (in `p.server`) against what was predicted after it. */
  private compare(p: Predicted, acked: number): void {
    if (!this.check || acked <= p.checkedUpTo) return
    const predicted = p.predictedAfter.get(acked)
    for (const seq of [...p.predictedAfter.keys()]) if (seq <= acked) p.predictedAfter.delete(seq)
    p.checkedUpTo = acked
    if (!predicted) return
    const host = p.server.values
    for (let k = 0; k < host.length; k++) {
      let d = predicted[k] - host[k]
      if (p.angle[k]) d = wrapAngle(d)
      if (Math.abs(d) <= p.tolerance[k]) continue
      if (this.divergences++ === 0) {
        const divergence: Divergence = { eid: p.eid, seq: acked, field: p.names[k], predicted: predicted[k], host: host[k] }
        this.ctx.emitter.emit('divergence', divergence)
      }
      return
    }
  }

  private simulateOne(p: Predicted, input: unknown): void {
    try {
      p.simulate(this.ctx.world, p.eid, input)
    } catch (e) {
      this.ctx.stats.handlerErrors++
      this.ctx.emitter.emit('error', e)
    }
  }

  /** Before the arrivals: note what is shown, and put the host's last state back under the deltas. */
  beforeReceive(): void {
    for (const p of this.list) {
      const cols = p.server.columns
      for (let k = 0; k < cols.length; k++) p.shown[k] = cols[k][p.eid]
      p.server.restore()
    }
  }

  /** After the arrivals: save the host's state, replay the inputs it has not applied, and offset the jump. */
  afterReceive(): void {
    if (this.list.length === 0) return
    const { registry, inputs, settings } = this.ctx
    this.list = this.list.filter((p) => registry.get(p.eid) !== undefined)
    const acked = inputs.acknowledged
    let drop = 0
    while (drop < this.pending.length && this.pending[drop].seq <= acked) drop++
    if (drop > 0) this.pending.splice(0, drop)
    const snap = settings.snapDistance
    for (const p of this.list) {
      p.server.save()
      this.compare(p, acked)
      for (const i of this.pending) {
        if (i.def !== p.def || i.seq <= p.startSeq) continue
        this.simulateOne(p, i.input)
        this.remember(p, i.seq)
      }
      const cols = p.server.columns
      let jump = 0
      let wrong = false
      for (let k = 0; k < cols.length; k++) {
        let d = p.shown[k] - cols[k][p.eid]
        if (p.angle[k]) d = wrapAngle(d)
        if (Math.abs(d) > p.tolerance[k]) wrong = true
        jump = Math.max(jump, Math.abs(d))
        if (p.views[k] === null) continue
        const o = p.offset[k] + d
        p.offset[k] = Math.abs(o) > snap ? 0 : o
      }
      if (wrong) {
        this.mispredictions++
        this.lastCorrection = jump
      }
    }
  }

  /** Writes the predicted entities' views: the store plus the visual offset, decayed to `now`. */
  render(now: number): void {
    const dt = Number.isNaN(this.lastRender) ? 0 : Math.max(0, now - this.lastRender)
    this.lastRender = now
    const decay = this.halfLife > 0 ? Math.pow(2, -dt / this.halfLife) : 0
    for (const p of this.list) {
      for (let k = 0; k < p.offset.length; k++) p.offset[k] *= decay
      this.show(p)
    }
  }

  private show(p: Predicted): void {
    const cols = p.server.columns
    for (let k = 0; k < cols.length; k++) {
      const v = p.views[k]
      if (v !== null) v[p.eid] = cols[k][p.eid] + p.offset[k]
    }
  }
}
