// SCHEMA_MISMATCH says what differs: two peers whose generated schemas differ exchange their canonical schemas in
// their refusals (size-capped) and each reports the first differing component / event and field; then the link
// closes. The canonical schemas come from the real generator run on .proto fixtures that differ by one edit.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildOutputs } from '../../src/codegen/index.js'
import type { Refused } from '../../src/ecs/index.js'
import { diffCanonicalSchemas } from '../../src/protocol/schema-diff.js'
import { fixtures } from '../codegen/helpers.js'
import { createHarness } from './helpers/peers.js'

/** The canonical schema a generated module embeds (and passes to defineSchema), and its fingerprint. */
function generated(name: string): { canonical: string; fingerprint: string } {
  const src = buildOutputs(join(fixtures, 'fingerprint', name)).get('fp/schema.ts')!
  return { canonical: /export const fpCanonicalSchema = '([^']+)'/.exec(src)![1], fingerprint: /export const fpFingerprint = '(\w+)'/.exec(src)![1] }
}

/** Two peers with the given schemas; what each was told once the exchange settled. */
function meet(a: { canonical?: string; fingerprint: string }, b: { canonical?: string; fingerprint: string }, limits: { maxSchemaBytes?: number } = {}) {
  const h = createHarness(0)
  const pa = h.addPeer('a', { ...a, limits })
  const pb = h.addPeer('b', b)
  const told = { a: [] as Refused[], b: [] as Refused[] }
  pa.net.events.on('refused', (r) => told.a.push(r))
  pb.net.events.on('refused', (r) => told.b.push(r))
  h.step(12)
  return { h, pa, pb, told }
}

describe('SCHEMA_MISMATCH says what differs', () => {
  const base = generated('one-file')

  it('a changed quantization: both sides name the component, the field and both values; the link closes', () => {
    const other = generated('changed-quantize')
    const { pa, pb, told } = meet(base, other)
    expect(told.a).toHaveLength(1)
    expect(told.b).toHaveLength(1)
    expect(told.a[0]).toMatchObject({ peerId: 'b', code: 'SCHEMA_MISMATCH', difference: { where: 'component fp.Transform, field x = 1: quantize' } })
    expect(told.a[0].difference!.ours).toContain('"step":0.001')
    expect(told.a[0].difference!.theirs).toContain('"step":0.002')
    expect(told.b[0].difference).toEqual({ where: 'component fp.Transform, field x = 1: quantize', ours: told.a[0].difference!.theirs, theirs: told.a[0].difference!.ours })
    expect(told.a[0].detail).toBe(
      `schema differs from b's: component fp.Transform, field x = 1: quantize: ${told.a[0].difference!.ours} here, ${told.a[0].difference!.theirs} there ` +
        `(fingerprint ${other.fingerprint} at b, ours ${base.fingerprint})`,
    )
    for (const p of [pa, pb]) {
      expect(p.transport.peers.size).toBe(0)
      expect(p.net.peers).toEqual([])
    }
  })

  it('an event field renumbered: the event and the field only one side has', () => {
    const { told } = meet(base, generated('changed-field'))
    expect(told.a[0].difference).toEqual({ where: 'event fp.Chat, field at = 2', ours: 'present', theirs: 'absent' })
    expect(told.b[0].difference).toEqual({ where: 'event fp.Chat, field at = 3', ours: 'present', theirs: 'absent' })
  })

  it('a schema over limits.maxSchemaBytes is not sent, nor read: the refusal says why the difference is unknown', () => {
    const other = generated('changed-quantize')
    const { pa, told } = meet(base, other, { maxSchemaBytes: 100 })
    expect(base.canonical.length).toBeGreaterThan(100)
    // a sent none (over its cap); b's is over a's cap: neither side has both.
    expect(told.a[0].difference).toBeUndefined()
    expect(told.a[0].detail).toMatch(/^schema differs from b's \(fingerprint \w+ at b, ours \w+\); what differs is unknown: b's schema \(\d+ bytes\) exceeds limits\.maxSchemaBytes \(100\)$/)
    expect(told.b[0].detail).toMatch(/what differs is unknown: a sent no schema/)
    expect(pa.transport.peers.size).toBe(0)
  })

  it('a hand-written schema without a canonical form: refused on both sides all the same, hashes only', () => {
    const { told } = meet(base, { fingerprint: 'hand-written' })
    expect(told.a[0].detail).toMatch(/what differs is unknown: b sent no schema/)
    expect(told.b[0].detail).toMatch(/what differs is unknown: this build has no canonical schema/)
  })

  it('reads any shape from the network: nonsense is itself the difference, never a throw', () => {
    expect(diffCanonicalSchemas(base.canonical, base.canonical)).toBeNull()
    expect(diffCanonicalSchemas(base.canonical, '{not json')).toEqual({ where: 'schema', ours: 'readable', theirs: 'unreadable' })
    expect(diffCanonicalSchemas(base.canonical, '[1,2]')).toEqual({ where: 'schema', ours: 'readable', theirs: 'not a schema' })
    const hostile = JSON.stringify({ package: 'fp', components: 5, events: [null, 3, { name: { x: 1 }, fields: 'x' }], types: [] })
    expect(diffCanonicalSchemas(base.canonical, hostile)).toMatchObject({ where: 'component fp.Color', ours: 'present', theirs: 'absent' })
    expect(diffCanonicalSchemas(base.canonical, JSON.stringify({ ...JSON.parse(base.canonical), package: 'other' }))).toEqual({ where: 'package', ours: '"fp"', theirs: '"other"' })
  })
})
