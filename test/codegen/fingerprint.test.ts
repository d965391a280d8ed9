import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildOutputs } from '../../src/codegen/index.js'
import { fixtures, protoDir } from './helpers.js'

/** The fingerprint constant a schema module embeds. */
function fingerprintOf(dir: string, module = 'fp/schema.ts'): string {
  const src = buildOutputs(dir).get(module)
  const m = src?.match(/export const \w+Fingerprint = '([0-9a-f]+)'/)
  if (!m) throw new Error(`no fingerprint in ${module}`)
  return m[1]
}

const fp = (name: string): string => join(fixtures, 'fingerprint', name)

describe('schema fingerprint', () => {
  const base = fingerprintOf(fp('one-file'))

  it('is a 32-hex-char SHA-256 prefix, embedded in the module and passed to defineSchema', () => {
    expect(base).toMatch(/^[0-9a-f]{32}$/)
    const src = buildOutputs(fp('one-file')).get('fp/schema.ts')!
    expect(src).toContain('fingerprint: fpFingerprint,')
  })

  it('the same schema split across files, in another order, with comments and reordered options, is equal', () => {
    expect(fingerprintOf(fp('split'))).toBe(base)
  })

  it('changes when one field changes', () => {
    expect(fingerprintOf(fp('changed-field'))).not.toBe(base) // an event field's number
    expect(fingerprintOf(fp('changed-quantize'))).not.toBe(base) // a quantization precision
  })

  it('changes with any single edit of types, names, options or referenced messages', () => {
    const src = readFixture()
    const edits: Array<[string, string]> = [
      ['uint32 rgb = 1', 'int32 rgb = 1'],
      ['string label = 2', 'string name = 2'],
      ['interpolate: true', 'interpolate: false'],
      ['bits: 12', 'bits: 11'],
      ['message Vec { float x = 1; float y = 2; }', 'message Vec { float x = 1; double y = 2; }'],
      ['message Ping { uint32 n = 1; }', 'message Ping { uint32 n = 1; }\nmessage Pong { uint32 n = 1; }'],
      ['{ sync: RELIABLE }', '{ sync: RELIABLE, id: 9 }'],
      ['min: -512', 'min: -511'],
    ]
    const seen = new Set([base])
    for (const [from, to] of edits) {
      expect(src).toContain(from)
      const f = fingerprintOf(protoDir({ 'game.proto': src.replace(from, to) }))
      expect(seen.has(f), `${from} → ${to}`).toBe(false)
      seen.add(f)
    }
  })

  it('ignores comments and formatting', () => {
    expect(fingerprintOf(protoDir({ 'g.proto': '// hello\n' + readFixture().replace(/\n/g, '\n\n') }))).toBe(base)
  })
})

function readFixture(): string {
  return readFileSync(join(fp('one-file'), 'game.proto'), 'utf8')
}
