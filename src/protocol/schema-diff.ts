/**
 * What differs between two builds' schemas: the first difference between two canonical schemas (the JSON the
 * generator hashes into the fingerprint, `canonicalSchema` of @bitecs-multiuser/codegen), said in the schema's own
 * terms: a component, an event or a type, then a field, then the property that differs. Peers refused for
 * SCHEMA_MISMATCH exchange their canonical schemas (size-capped) and report this. The other side's schema comes
 * from the network: any shape is accepted, and a part that is not what the generator writes is reported as such.
 */

/** The first difference between this peer's schema and another's. */
export interface SchemaDifference {
  /** Where: e.g. `component game.Transform, field z = 3: quantize`, `event game.Chat`, `package`. */
  readonly where: string
  /** Ours, as a short text (`absent` when only the other side has it). */
  readonly ours: string
  /** Theirs, likewise. */
  readonly theirs: string
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Obj = { [k: string]: Json }

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const text = (v: Json | undefined): string => (v === undefined ? 'absent' : JSON.stringify(v))
const list = (v: Json | undefined): Obj[] => (Array.isArray(v) ? v.filter(isObj) : [])

/** Properties compared in this order; anything else after them, sorted. */
function keysOf(a: Obj, b: Obj, skip: readonly string[]): string[] {
  const order = ['id', 'name', 'number', 'type', 'kind', 'sync', 'interpolate', 'array', 'enumBits', 'entity', 'quantize', 'values']
  const all = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...order.filter((k) => all.has(k)), ...[...all].filter((k) => !order.includes(k)).sort()].filter((k) => !skip.includes(k))
}

function compareProps(where: string, a: Obj, b: Obj, skip: readonly string[]): SchemaDifference | null {
  for (const k of keysOf(a, b, skip)) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return { where: `${where}: ${k}`, ours: text(a[k]), theirs: text(b[k]) }
  }
  return null
}

/** Matches two lists of objects by `key` (in our order, then theirs), comparing each pair with `inner`. */
function compareLists(
  a: Obj[],
  b: Obj[],
  key: string,
  label: (o: Obj) => string,
  inner: (label: string, x: Obj, y: Obj) => SchemaDifference | null,
): SchemaDifference | null {
  const theirs = new Map(b.map((o) => [JSON.stringify(o[key]), o]))
  const ours = new Map(a.map((o) => [JSON.stringify(o[key]), o]))
  for (const x of a) {
    const y = theirs.get(JSON.stringify(x[key]))
    if (!y) return { where: label(x), ours: 'present', theirs: 'absent' }
    const d = inner(label(x), x, y)
    if (d) return d
  }
  for (const y of b) if (!ours.has(JSON.stringify(y[key]))) return { where: label(y), ours: 'absent', theirs: 'present' }
  return null
}

const fieldLabel = (f: Obj): string => `field ${String(f.name)} = ${String(f.number)}`
const fields = (owner: string, x: Obj, y: Obj): SchemaDifference | null =>
  compareLists(list(x.fields), list(y.fields), 'number', (f) => `${owner}, ${fieldLabel(f)}`, (where, f, g) => compareProps(where, f, g, ['number']))

/** Components, events and inputs are matched by name, fields by number, types by name. */
function diffParsed(a: Obj, b: Obj): SchemaDifference | null {
  if (JSON.stringify(a.package) !== JSON.stringify(b.package)) return { where: 'package', ours: text(a.package), theirs: text(b.package) }
  const member = (kind: string) => (o: Obj): string => `${kind} ${String(o.name)}`
  const withFields = (where: string, x: Obj, y: Obj): SchemaDifference | null => compareProps(where, x, y, ['name', 'fields']) ?? fields(where, x, y)
  return (
    compareLists(list(a.components), list(b.components), 'name', member('component'), withFields) ??
    compareLists(list(a.events), list(b.events), 'name', member('event'), withFields) ??
    compareLists(list(a.inputs), list(b.inputs), 'name', member('input'), withFields) ??
    compareLists(list(a.types), list(b.types), 'name', (o) => `${String(o.kind)} ${String(o.name)}`, withFields) ??
    compareProps('schema', a, b, ['package', 'components', 'events', 'types'])
  )
}

/**
 * The first difference between two canonical schemas, or null when they are the same. A side that is not valid
 * JSON, or not an object, is itself the difference.
 */
export function diffCanonicalSchemas(ours: string, theirs: string): SchemaDifference | null {
  const parse = (s: string): Obj | string => {
    try {
      const v = JSON.parse(s) as Json
      return isObj(v) ? v : 'not a schema'
    } catch {
      return 'unreadable'
    }
  }
  const a = parse(ours)
  const b = parse(theirs)
  if (typeof a === 'string' || typeof b === 'string') return { where: 'schema', ours: typeof a === 'string' ? a : 'readable', theirs: typeof b === 'string' ? b : 'readable' }
  return diffParsed(a, b)
}
