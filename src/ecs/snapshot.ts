/**
 * Snapshot and restore of bitECS component stores: the numeric columns (typed arrays) of some stores, for some
 * entities, copied out and back. What rollback needs (save before a speculative step, restore after), and what
 * prediction restores the host's state with (prediction.ts). Works on any SoA store, generated or not.
 */
import type { NumericArray } from '../protocol/component.js'

/** Saved values of some components of some entities (from {@link snapshotComponents}). */
export interface ComponentSnapshot {
  /** The entities, in the order given. */
  readonly eids: readonly number[]
  /** Every numeric column (typed array) of the stores, in store order, then property order. */
  readonly columns: readonly NumericArray[]
  /** The saved values, entity-major: `values[e * columns.length + k]` is `columns[k][eids[e]]`. */
  readonly values: Float64Array
  /** Copies the stores' current values of the entities into `values` (a new save point). */
  save(): void
  /** Writes `values` back into the stores. */
  restore(): void
}

const isColumn = (v: unknown): v is NumericArray => ArrayBuffer.isView(v) && !(v instanceof DataView)

/**
 * Snapshots the numeric columns of `stores` (each an object of typed arrays, as bitECS SoA stores and the generated
 * ones are; plain arrays, e.g. a RELIABLE component's string fields, are left out) for `eids`, and saves them now.
 * A Float64Array holds every value of every typed array exactly.
 */
export function snapshotComponents(stores: readonly object[], eids: readonly number[]): ComponentSnapshot {
  const columns: NumericArray[] = []
  for (const s of stores) for (const v of Object.values(s)) if (isColumn(v)) columns.push(v)
  const list = [...eids]
  const n = columns.length
  const values = new Float64Array(list.length * n)
  const snap: ComponentSnapshot = {
    eids: list,
    columns,
    values,
    save() {
      for (let e = 0; e < list.length; e++) for (let k = 0; k < n; k++) values[e * n + k] = columns[k][list[e]]
    },
    restore() {
      for (let e = 0; e < list.length; e++) for (let k = 0; k < n; k++) columns[k][list[e]] = values[e * n + k]
    },
  }
  snap.save()
  return snap
}
