import { rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildOutputs, generate } from '../../src/codegen/index.js'
import { fixtures, readTree, tempDir } from './helpers.js'

// Refresh the expectations with `UPDATE_GOLDEN=1 npx vitest run test/codegen/golden.test.ts`.
const UPDATE = process.env.UPDATE_GOLDEN === '1'
const protoDir = join(fixtures, 'golden', 'proto')
const expectedDir = join(fixtures, 'golden', 'expected')

describe('golden: fixture .proto files → generated code', () => {
  it('matches the committed expectations file by file', () => {
    const out = buildOutputs(protoDir)
    if (UPDATE) {
      rmSync(expectedDir, { recursive: true, force: true })
      for (const [rel, content] of out) {
        mkdirSync(dirname(join(expectedDir, rel)), { recursive: true })
        writeFileSync(join(expectedDir, rel), content)
      }
    }
    const expected = readTree(expectedDir)
    expect([...out.keys()].sort()).toEqual([...expected.keys()].sort())
    for (const [rel, content] of out) expect(content, rel).toBe(expected.get(rel))
  })

  it('is deterministic and independent of the current directory (no absolute paths)', () => {
    const a = buildOutputs(protoDir)
    const cwd = process.cwd()
    process.chdir(tempDir())
    try {
      const b = buildOutputs(protoDir)
      expect(b).toEqual(a)
    } finally {
      process.chdir(cwd)
    }
    for (const content of a.values()) {
      expect(content).not.toContain(protoDir)
      expect(content).not.toMatch(/\/tmp\/|\\\\|v\d+\.\d+\.\d+/)
    }
  })

  it('emits one schema module per package (files without a package: named after the file)', () => {
    const out = buildOutputs(protoDir)
    expect([...out.keys()].filter((f) => f.endsWith('schema.ts'))).toEqual(['arena/schema.ts', 'loose/schema.ts'])
    const arena = out.get('arena/schema.ts')!
    expect(arena).toContain("from 'bitecs-multiuser'")
    expect(arena).toContain("import * as arena_world_pb from './world.js'")
    // Vec3 is used as a field type: a helper, not an event.
    expect(arena).not.toMatch(/defineEvent<[^>]*Vec3>/)
    expect(arena).toContain('export const { schema: arenaSchema, Body, Marker, Profile } = createArenaSchema()')
  })

  it('writes the out dir, then reports it up to date', () => {
    const out = tempDir()
    const first = generate({ protoDir, outDir: out })
    expect(first.changed.length).toBe(first.files.length)
    expect(readTree(out)).toEqual(readTree(expectedDir))
    const second = generate({ protoDir, outDir: out, check: true })
    expect(second.upToDate).toBe(true)
  })
})
