import protobuf from 'protobufjs'
import { createQuantizer, MAX_FIELDS, type QuantizeOptions, type Sync } from '../protocol/index.js'
import { checkQuaternionBits } from '../protocol/quaternion.js'
import type { ProtoDiagnostic } from './errors.js'
import type { ReflectedMessage, ReflectedSchema } from './load-schema.js'
import { readOption } from './load-schema.js'
import type { LocationIndex, SourceLoc } from './locations.js'
import type { ComponentModel, EventFieldModel, EventModel, FieldModel, InputModel, PackageModel, TypeModel } from './model.js'
import { enumArray, enumBitsOf, NUMERIC_TYPES, nonNumericReason, protoTypeOf, refsOf, tsPropertyName } from './type-map.js'

/** Packages reserved for the library's own messages (never a game schema). */
export function isReservedPackage(pkg: string): boolean {
  return pkg === 'multiuser' || pkg.startsWith('multiuser.') || pkg === 'google' || pkg.startsWith('google.')
}

export const MAX_COMPONENT_ID = 65535

interface Context {
  diagnostics: ProtoDiagnostic[]
  locs: LocationIndex
  displayOf(file: string): string
}

function report(ctx: Context, file: string, loc: SourceLoc | undefined, message: string): void {
  ctx.diagnostics.push({ file: ctx.displayOf(loc?.file ?? file), line: loc?.line, column: loc?.column, message })
}

function camel(parts: string[]): string {
  const words = parts.flatMap((p) => p.split(/[^A-Za-z0-9]+/)).filter(Boolean)
  const joined = words.map((w, i) => (i === 0 ? w.slice(0, 1).toLowerCase() + w.slice(1) : w.slice(0, 1).toUpperCase() + w.slice(1))).join('')
  const id = tsPropertyName(joined)
  return /^[0-9]/.test(id) ? `_${id}` : id
}

function componentField(ctx: Context, m: ReflectedMessage, sync: Sync, f: protobuf.Field): FieldModel | undefined {
  const where = `${m.fullName}.${f.name}`
  const loc = ctx.locs.get(`${m.fullName}#${f.name}`)
  const fail = (msg: string, at: SourceLoc | undefined = loc): undefined => {
    report(ctx, m.file, at, `${where}: ${msg}`)
    return undefined
  }
  if (f.partOf && f.options?.proto3_optional !== true) {
    return fail(`oneof fields are not supported in components (oneof ${f.partOf.name}); use separate fields or send it as an event`)
  }
  const quantize = readOption<QuantizeOptions>(f.parsedOptions as Array<Record<string, unknown>> | null, '(multiuser.quantize)')
  const base = { protoName: f.name, tsName: tsPropertyName(f.name), number: f.id, protoType: protoTypeOf(f), refs: refsOf(f) }
  if (isEntityField(f)) {
    const at = ctx.locs.get(`${m.fullName}#${f.name}@options`) ?? loc
    if (sync === 'DELTA') {
      return fail('an entity field belongs in a RELIABLE component (a reference changes when the game says so, and must arrive in order with the spawns it names): make the component `option (multiuser.component) = { sync: RELIABLE }`, or move the field to a RELIABLE component of its own', at)
    }
    const bad = entityTypeProblem(f)
    if (bad) return fail(bad, at)
    if (quantize) return fail('an entity field cannot be quantized', at)
    return { ...base, kind: 'u32', array: 'Uint32Array', entity: true }
  }
  const reason = nonNumericReason(f)
  if (reason !== undefined) {
    if (sync === 'DELTA') {
      const hint = reason.startsWith('a 64-bit')
        ? 'use int32 (or double for large values), or make the component sync: RELIABLE'
        : 'make the component `option (multiuser.component) = { sync: RELIABLE }`, or send the data as an event (a message without the component option)'
      return fail(`a DELTA component holds numbers only, but this field is ${reason}; ${hint}`)
    }
    if (quantize) return fail(`quantize applies to numeric fields only (this field is ${reason})`, ctx.locs.get(`${m.fullName}#${f.name}@options`) ?? loc)
    return { ...base, kind: 'object', array: 'Array' }
  }
  if (f.options?.proto3_optional === true) {
    return fail(`\`optional\` is not supported on a numeric component field: its typed array holds a value for every entity, so "not set" would be lost; drop \`optional\` (0 is the default), or keep presence in a RELIABLE component's message field`)
  }
  let model: FieldModel
  if (f.resolvedType instanceof protobuf.Enum) {
    const bits = enumBitsOf(f.resolvedType)
    if (typeof bits === 'string') return fail(bits)
    model = { ...base, kind: 'enum', array: enumArray(bits), enumBits: bits }
  } else {
    const numeric = NUMERIC_TYPES[f.type]
    if (!numeric) return fail(`unsupported field type ${f.type}`)
    model = { ...base, kind: numeric.kind, array: numeric.array }
  }
  if (quantize) {
    const qloc = ctx.locs.get(`${m.fullName}#${f.name}@options`) ?? loc
    if (model.kind === 'bool' || model.kind === 'enum') return fail(`quantize applies to numeric fields only (float, double, int32, uint32 ...; this field is ${f.type})`, qloc)
    try {
      createQuantizer(where, quantize)
    } catch (e) {
      const msg = (e as Error).message
      return fail(msg.startsWith(`${where}: `) ? msg.slice(where.length + 2) : msg, qloc)
    }
    model.quantize = quantize
  }
  return model
}

function buildComponent(ctx: Context, m: ReflectedMessage): ComponentModel | undefined {
  const opt = m.component ?? {}
  const loc = ctx.locs.get(m.fullName)
  const sync: Sync = opt.sync === 'RELIABLE' ? 'RELIABLE' : 'DELTA'
  const fields = [...m.type.fieldsArray].sort((a, b) => a.id - b.id)
  const before = ctx.diagnostics.length
  if (fields.length === 0) report(ctx, m.file, loc, `${m.fullName}: a component needs at least one field`)
  if (fields.length > MAX_FIELDS) report(ctx, m.file, loc, `${m.fullName}: a component has at most ${MAX_FIELDS} fields (has ${fields.length}); split it into several components`)
  const id = opt.id ?? 0
  if (!Number.isInteger(id) || id < 0 || id > MAX_COMPONENT_ID) {
    report(ctx, m.file, ctx.locs.get(`${m.fullName}@options`) ?? loc, `${m.fullName}: component id must be 1..${MAX_COMPONENT_ID} (got ${id})`)
  }
  const priority = opt.priority === undefined || opt.priority === 0 ? 1 : opt.priority
  if (!(Number.isFinite(priority) && priority > 0)) {
    report(ctx, m.file, ctx.locs.get(`${m.fullName}@options`) ?? loc, `${m.fullName}: priority must be a positive number (got ${opt.priority})`)
  }
  const models = fields.map((f) => componentField(ctx, m, sync, f))
  const quaternion = rotationOf(ctx, m, sync, fields, models)
  if (ctx.diagnostics.length > before) return undefined
  return {
    fullName: m.fullName, name: m.name, file: m.file, id, sync,
    interpolate: opt.interpolate === true,
    priority,
    ...(quaternion ? { quaternion } : {}),
    fields: models as FieldModel[],
    loc,
  }
}

/** Default bits per sent component of a `rotation: QUATERNION` component. */
export const DEFAULT_ROTATION_BITS = 10

/** `rotation: QUATERNION` (and `rotation_bits`) of a component, checked; undefined for plain components. */
function rotationOf(ctx: Context, m: ReflectedMessage, sync: Sync, fields: protobuf.Field[], models: (FieldModel | undefined)[]): { bits: number } | undefined {
  const opt = m.component ?? {}
  const at = ctx.locs.get(`${m.fullName}@options`) ?? ctx.locs.get(m.fullName)
  const fail = (msg: string): undefined => {
    report(ctx, m.file, at, `${m.fullName}: ${msg}`)
    return undefined
  }
  // The enum by name, or by number (`rotation: 1`).
  const rotation = String(opt.rotation ?? 'NO_ROTATION')
  if (rotation === 'NO_ROTATION' || rotation === '0') {
    if (opt.rotation_bits !== undefined && opt.rotation_bits !== 0) return fail('rotation_bits applies with rotation: QUATERNION')
    return undefined
  }
  if (rotation !== 'QUATERNION' && rotation !== '1') return fail(`unknown rotation ${rotation}`)
  if (sync !== 'DELTA') return fail('rotation: QUATERNION applies to DELTA components')
  if (fields.length !== 4 || models.some((f) => f !== undefined && f.kind !== 'f32' && f.kind !== 'f64')) {
    return fail('rotation: QUATERNION needs exactly four float (or double) fields, x, y, z, w in field order')
  }
  if (models.some((f) => f?.quantize !== undefined)) return fail('the fields of a rotation: QUATERNION component take no quantize option (rotation_bits sets the precision)')
  const bits = opt.rotation_bits === undefined || opt.rotation_bits === 0 ? DEFAULT_ROTATION_BITS : opt.rotation_bits
  try {
    checkQuaternionBits(m.fullName, bits)
  } catch (e) {
    return fail((e as Error).message.slice(m.fullName.length + 2))
  }
  return { bits }
}

/** A message marked `(multiuser.input)`: never a component too, and no entity fields (an input names no entity). */
function buildInput(ctx: Context, m: ReflectedMessage, id: number): InputModel | undefined {
  const loc = ctx.locs.get(m.fullName)
  if (m.component) {
    report(ctx, m.file, ctx.locs.get(`${m.fullName}@options`) ?? loc, `${m.fullName}: a message is either a component or an input, not both`)
    return undefined
  }
  if (!m.topLevel) {
    report(ctx, m.file, loc, `${m.fullName}: (multiuser.input) applies to top-level messages only`)
    return undefined
  }
  const fields = eventFields(m.type)
  const entity = fields.find((f) => f.entity)
  if (entity) {
    report(ctx, m.file, ctx.locs.get(`${m.fullName}#${entity.protoName}@options`) ?? loc, `${m.fullName}.${entity.protoName}: an input cannot hold an entity (the host knows which entity each player controls)`)
    return undefined
  }
  return { fullName: m.fullName, name: m.name, file: m.file, id, fields, loc }
}

/** `(multiuser.entity) = true` on a field. */
export function isEntityField(f: protobuf.Field): boolean {
  return (f.options as Record<string, unknown> | undefined)?.['(multiuser.entity)'] === true
}

/** Why a field marked `(multiuser.entity)` cannot hold an entity, or undefined. */
function entityTypeProblem(f: protobuf.Field): string | undefined {
  if (f.type !== 'uint32' || f.repeated || f instanceof protobuf.MapField || f.options?.proto3_optional === true) {
    return `(multiuser.entity) marks a plain uint32 field (it holds an eid), not ${protoTypeOf(f)}`
  }
  return undefined
}

function eventFields(t: protobuf.Type): EventFieldModel[] {
  return [...t.fieldsArray].sort((a, b) => a.id - b.id).map((f) => ({
    protoName: f.name, tsName: tsPropertyName(f.name), number: f.id, protoType: protoTypeOf(f), refs: refsOf(f),
    ...(isEntityField(f) ? { entity: true as const } : {}),
  }))
}

/**
 * `(multiuser.entity)` outside a component or an event (a helper type, a nested message), or on a field that cannot
 * hold an eid: refused, since nothing would map it.
 */
function checkEntityFields(ctx: Context, schema: ReflectedSchema, placed: ReadonlySet<string>): void {
  for (const m of schema.messages) {
    for (const f of m.type.fieldsArray) {
      if (!isEntityField(f)) continue
      const at = ctx.locs.get(`${m.fullName}#${f.name}@options`) ?? ctx.locs.get(`${m.fullName}#${f.name}`)
      if (!placed.has(m.fullName)) report(ctx, m.file, at, `${m.fullName}.${f.name}: (multiuser.entity) applies to fields of a component or an event (a top-level message), not of a message used as a field type or nested in another`)
      else if (!m.component) {
        const bad = entityTypeProblem(f)
        if (bad) report(ctx, m.file, at, `${m.fullName}.${f.name}: ${bad}`)
      }
    }
  }
}

/** Every message/enum reachable from the given refs, in canonical form, sorted by full name. */
function reachableTypes(root: protobuf.Root, refs: string[]): TypeModel[] {
  const seen = new Map<string, TypeModel>()
  const queue = [...refs]
  while (queue.length > 0) {
    const name = queue.pop()!
    if (seen.has(name)) continue
    const t = root.lookup(name)
    if (t instanceof protobuf.Type) {
      const fields = eventFields(t)
      seen.set(name, { kind: 'message', fullName: name, fields })
      for (const f of fields) queue.push(...f.refs)
    } else if (t instanceof protobuf.Enum) {
      const values = Object.entries(t.values).map(([n, v]) => ({ name: n, number: v })).sort((a, b) => a.number - b.number || (a.name < b.name ? -1 : 1))
      seen.set(name, { kind: 'enum', fullName: name, values })
    }
  }
  return [...seen.values()].sort((a, b) => (a.fullName < b.fullName ? -1 : 1))
}

/** Explicit ids first, then the rest by sorted full name into the lowest free ids from 1. */
function assignIds(ctx: Context, components: ComponentModel[]): void {
  const taken = new Map<number, ComponentModel>()
  for (const c of components) {
    if (c.id === 0) continue
    const other = taken.get(c.id)
    if (other) report(ctx, c.file, c.loc, `${c.fullName}: component id ${c.id} is already used by ${other.fullName}`)
    else taken.set(c.id, c)
  }
  let next = 1
  for (const c of [...components].sort((a, b) => (a.fullName < b.fullName ? -1 : 1))) {
    if (c.id !== 0) continue
    while (taken.has(next)) next++
    c.id = next
    taken.set(next, c)
  }
}

/**
 * Turns the reflected messages into one validated model per package. Every problem is collected into
 * `diagnostics` (the caller throws them together), each naming the message and field.
 */
export function buildPackages(schema: ReflectedSchema, locs: LocationIndex, displayOf: (file: string) => string, diagnostics: ProtoDiagnostic[]): PackageModel[] {
  const ctx: Context = { diagnostics, locs, displayOf }
  const groups = new Map<string, { pkg: string; key: string; messages: ReflectedMessage[] }>()
  for (const m of schema.messages) {
    if (!m.topLevel || isReservedPackage(m.pkg)) continue
    // Files without a package each get their own module, named after the file.
    const key = m.pkg !== '' ? m.pkg : `file:${m.file}`
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { pkg: m.pkg, key, messages: [] }))
    g.messages.push(m)
  }
  const out: PackageModel[] = []
  const placed = new Set<string>()
  for (const g of groups.values()) for (const m of g.messages) if (m.component || m.input || !schema.referenced.has(m.fullName)) placed.add(m.fullName)
  checkEntityFields(ctx, schema, placed)
  for (const g of [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const components: ComponentModel[] = []
    const eventMessages: ReflectedMessage[] = []
    const inputs: InputModel[] = []
    for (const m of g.messages) {
      if (m.input) {
        const input = buildInput(ctx, m, inputs.length + 1)
        if (input) inputs.push(input)
      } else if (m.component) {
        const c = buildComponent(ctx, m)
        if (c) components.push(c)
      } else if (!schema.referenced.has(m.fullName)) eventMessages.push(m)
    }
    if (components.length === 0 && eventMessages.length === 0 && inputs.length === 0) continue
    assignIds(ctx, components)
    components.sort((a, b) => a.id - b.id)
    const events: EventModel[] = eventMessages.map((m, i) => ({
      fullName: m.fullName, name: m.name, file: m.file, id: i + 1, fields: eventFields(m.type), loc: locs.get(m.fullName),
    }))
    const path = g.pkg !== '' ? g.pkg.split('.') : g.messages[0].file.replace(/\.proto$/, '').split('/')
    const refs = [
      ...components.flatMap((c) => c.fields.flatMap((f) => f.refs)),
      ...events.flatMap((e) => e.fields.flatMap((f) => f.refs)),
      ...inputs.flatMap((e) => e.fields.flatMap((f) => f.refs)),
    ].map((r) => r.replace(/^\./, ''))
    out.push({
      pkg: g.pkg,
      stem: camel(path),
      outPath: `${path.join('/')}/schema.ts`,
      files: [...new Set([...components, ...events, ...inputs].map((x) => x.file))].sort(),
      components,
      events,
      inputs,
      types: reachableTypes(schema.root, refs.map((r) => `.${r}`)).map((t) => ({ ...t, fullName: t.fullName.replace(/^\./, '') }) as TypeModel),
    })
  }
  return out
}
