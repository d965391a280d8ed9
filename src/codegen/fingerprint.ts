import { createHash } from 'node:crypto'
import { createQuantizer } from '../protocol/index.js'
import type { PackageModel } from './model.js'

/** Length of the fingerprint in hex characters (128 bits of SHA-256). */
export const FINGERPRINT_HEX_CHARS = 32

/**
 * The schema in a canonical JSON form: components by id with their fields by number (type, kind, and the
 * resolved quantization: min, max, bits, step, angle), events by id with their fields, and every message
 * and enum they reach, sorted by name; inputs by id with their fields, when the package has any (so a schema without
 * inputs keeps the fingerprint it had before inputs existed). File names, file order, comments and formatting do not appear.
 */
export function canonicalSchema(p: PackageModel): string {
  const canonical = {
    package: p.pkg,
    components: [...p.components].sort((a, b) => a.id - b.id).map((c) => ({
      id: c.id,
      name: c.fullName,
      sync: c.sync,
      interpolate: c.interpolate,
      ...(c.quaternion ? { quaternion: c.quaternion } : {}),
      fields: [...c.fields].sort((a, b) => a.number - b.number).map((f) => {
        const q = f.quantize ? createQuantizer(`${c.fullName}.${f.protoName}`, f.quantize) : undefined
        return {
          number: f.number,
          name: f.protoName,
          type: f.protoType,
          kind: f.kind,
          array: f.array,
          enumBits: f.enumBits ?? null,
          quantize: q ? { min: q.min, max: q.max, bits: q.bits, step: q.step, angle: q.angle } : null,
          ...(f.entity ? { entity: true } : {}),
        }
      }),
    })),
    events: [...p.events].sort((a, b) => a.id - b.id).map((e) => ({
      id: e.id,
      name: e.fullName,
      fields: e.fields.map((f) => ({ number: f.number, name: f.protoName, type: f.protoType, ...(f.entity ? { entity: true } : {}) })),
    })),
    ...(p.inputs.length > 0
      ? { inputs: p.inputs.map((i) => ({ id: i.id, name: i.fullName, fields: i.fields.map((f) => ({ number: f.number, name: f.protoName, type: f.protoType })) })) }
      : {}),
    types: p.types.map((t) =>
      t.kind === 'enum'
        ? { kind: t.kind, name: t.fullName, values: t.values.map((v) => [v.number, v.name]) }
        : { kind: t.kind, name: t.fullName, fields: t.fields.map((f) => ({ number: f.number, name: f.protoName, type: f.protoType })) },
    ),
  }
  return JSON.stringify(canonical)
}

/** The schema fingerprint: the first 128 bits of the SHA-256 of {@link canonicalSchema}, in hex. */
export function fingerprintOf(p: PackageModel): string {
  return createHash('sha256').update(canonicalSchema(p)).digest('hex').slice(0, FINGERPRINT_HEX_CHARS)
}
