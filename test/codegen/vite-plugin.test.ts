// The Vite plugin in a real dev server: a .proto edit regenerates the output.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer, type ViteDevServer } from 'vite'
import { afterEach, describe, expect, it } from 'vitest'
import { multiuserCodegen, type GenerateResult } from '../../src/codegen/index.js'
import type { MultiuserError } from '../../src/protocol/index.js'
import { copyFixture } from './helpers.js'

let server: ViteDevServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('Vite plugin (bitecs-multiuser/codegen)', () => {
  it('generates at startup and regenerates when a .proto changes during vite dev', async () => {
    const project = copyFixture('user-project')
    const events: Array<GenerateResult | MultiuserError> = []
    let notify: (() => void) | undefined
    const next = (): Promise<GenerateResult | MultiuserError> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no regeneration within 15 s')), 15_000)
        notify = () => {
          clearTimeout(timer)
          resolve(events[events.length - 1])
        }
      })
    server = await createServer({
      root: project,
      configFile: false,
      logLevel: 'silent',
      server: { host: '127.0.0.1', port: 0, ws: false },
      plugins: [multiuserCodegen({ cwd: project, debounceMs: 20, onGenerate: (r) => (events.push(r), notify?.()) })],
    })
    await server.listen()
    // chokidar's 'ready' fires before its scan has reached every file; an edit before the scan is unseen (as it
    // would be for a developer saving within the first instant of `vite dev`), so wait until the file is watched.
    const watched = (): string[] => server!.watcher.getWatched()[join(project, 'proto')] ?? []
    for (const t0 = Date.now(); !watched().includes('world.proto'); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() - t0 > 15_000) throw new Error('vite never watched proto/world.proto')
    }
    // What the dev server tells the page (error overlay, updates).
    const sent: Array<{ type: string }> = []
    const send = server.ws.send.bind(server.ws) as (payload: { type: string }) => void
    ;(server.ws as { send: (payload: { type: string }) => void }).send = (payload) => (sent.push(payload), send(payload))
    const schemaFile = join(project, 'generated', 'world', 'schema.ts')
    expect(existsSync(schemaFile)).toBe(true)
    expect(readFileSync(schemaFile, 'utf8')).not.toContain('z: Float32Array')

    const proto = join(project, 'proto', 'world.proto')
    const original = readFileSync(proto, 'utf8')
    let pending = next()
    writeFileSync(proto, original.replace('float y = 2', 'float z = 3 [(multiuser.quantize) = { min: -10, max: 10, precision: 0.01 }];\n  float y = 2'))
    const result = (await pending) as GenerateResult
    expect(result.changed).toContain('world/schema.ts')
    expect(readFileSync(schemaFile, 'utf8')).toContain('z: Float32Array')

    // A broken edit reports the error and keeps the last good output.
    const good = readFileSync(schemaFile, 'utf8')
    pending = next()
    writeFileSync(proto, original.replace('string text = 1;', 'string text = 1'))
    const error = (await pending) as MultiuserError
    expect(error.code).toBe('SCHEMA_INVALID')
    expect(error.message).toMatch(/world\.proto:\d+:\d+: /)
    expect(readFileSync(schemaFile, 'utf8')).toBe(good)
    expect(sent.map((p) => p.type)).toEqual(['error'])

    // Undoing the breakage gives the same output (no file changes, so no HMR update): the overlay is cleared anyway.
    pending = next()
    writeFileSync(proto, original.replace('float y = 2', 'float z = 3 [(multiuser.quantize) = { min: -10, max: 10, precision: 0.01 }];\n  float y = 2'))
    expect(((await pending) as GenerateResult).changed).toEqual([])
    expect(sent.map((p) => p.type)).toEqual(['error', 'update'])

    // Fixing it regenerates again; a new .proto file is picked up too.
    pending = next()
    writeFileSync(join(project, 'proto', 'extra.proto'), 'syntax = "proto3";\npackage extra;\nmessage Wave { uint32 n = 1; }\n')
    await pending
    pending = next()
    writeFileSync(proto, original)
    const fixed = (await pending) as GenerateResult
    expect(fixed.files).toContain('extra/schema.ts')
    expect(readFileSync(schemaFile, 'utf8')).not.toContain('z: Float32Array')
  })
})
