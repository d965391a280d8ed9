import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { buildOutputs, CodegenError, generate } from '../../src/codegen/index.js'
import { ErrorCode, MultiuserError, type Schema } from '../../src/protocol/index.js'
import { HEAD, protoDir } from './helpers.js'

/** Generates from one file `x.proto` and returns the error (fails if there is none). */
function errorOf(src: string): CodegenError {
  const dir = protoDir({ 'x.proto': src })
  try {
    buildOutputs(dir)
  } catch (e) {
    expect(e).toBeInstanceOf(CodegenError)
    expect(e).toBeInstanceOf(MultiuserError)
    expect((e as CodegenError).code).toBe(ErrorCode.SCHEMA_INVALID)
    // The location is the user's file (absolute here: the temp dir is outside the cwd).
    for (const d of (e as CodegenError).diagnostics) expect(d.file).toBe(`${dir}/x.proto`)
    return e as CodegenError
  }
  throw new Error('expected a CodegenError')
}

const delta = (body: string): string => `${HEAD}message Player {\n  option (multiuser.component) = { sync: DELTA };\n${body}\n}\n`
const reliable = (body: string): string => `${HEAD}message Player {\n  option (multiuser.component) = { sync: RELIABLE };\n${body}\n}\n`

describe('schema validation (SCHEMA_INVALID, file:line:col, message and field named)', () => {
  const unstorable: Array<[string, string]> = [
    ['string name = 1;', 'a string'],
    ['bytes name = 1;', 'bytes'],
    ['repeated float name = 1;', 'a repeated field'],
    ['Other name = 1;', 'a nested message'],
    ['map<string, float> name = 1;', 'a map'],
  ]
  for (const [decl, what] of unstorable) {
    it(`a DELTA component with ${what} → suggests sync: RELIABLE or an event`, () => {
      const e = errorOf(delta(`  float x = 1;\n  ${decl.replace('= 1', '= 2')}`) + 'message Other { float v = 1; }\n')
      expect(e.diagnostics).toHaveLength(1)
      const d = e.diagnostics[0]
      expect([d.line, d.column]).toEqual([7, 3])
      expect(d.message).toContain('t.Player.name')
      expect(d.message).toContain(`this field is ${what}`)
      expect(d.message).toContain('sync: RELIABLE')
      expect(d.message).toContain('event')
      expect(e.message).toMatch(/x\.proto:7:3: t\.Player\.name: /)
    })
    it(`a RELIABLE component may hold ${what}`, () => {
      expect(() => buildOutputs(protoDir({ 'x.proto': reliable(`  ${decl}`) + 'message Other { float v = 1; }\n' }))).not.toThrow()
    })
  }

  it('int64 in a DELTA component → suggests int32 or double', () => {
    for (const t of ['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']) {
      const e = errorOf(delta(`  ${t} big = 1;`))
      expect(e.message).toMatch(new RegExp(`x\\.proto:6:3: t\\.Player\\.big: .*64-bit integer \\(${t}\\).*int32.*double`))
    }
  })

  const quantize = (opts: string, type = 'float'): string => delta(`  ${type} x = 1 [(multiuser.quantize) = { ${opts} }];`)
  it('quantize with min >= max', () => {
    expect(errorOf(quantize('min: 5, max: 5, precision: 0.1')).message).toMatch(/x\.proto:6:\d+: t\.Player\.x: quantize needs min < max \(got min 5, max 5\)/)
    expect(errorOf(quantize('min: 6, max: 5, precision: 0.1')).message).toContain('min < max')
  })
  it('quantize with precision <= 0', () => {
    expect(errorOf(quantize('min: 0, max: 5, precision: 0')).message).toMatch(/t\.Player\.x: quantize precision must be > 0 \(got 0\)/)
    expect(errorOf(quantize('min: 0, max: 5, precision: -1')).message).toContain('precision must be > 0')
  })
  it('quantize with bits > 32, or a precision needing more than 32 bits', () => {
    expect(errorOf(quantize('min: 0, max: 5, bits: 33')).message).toMatch(/t\.Player\.x: quantize bits must be an integer in 1\.\.32 \(got 33\)/)
    expect(errorOf(quantize('min: 0, max: 1e9, precision: 0.001')).message).toMatch(/t\.Player\.x: .*more than 32/)
  })
  it('quantize on a non-numeric field', () => {
    expect(errorOf(quantize('min: 0, max: 1, bits: 1', 'bool')).message).toMatch(/t\.Player\.x: quantize applies to numeric fields only/)
    const e = errorOf(reliable('  string x = 1 [(multiuser.quantize) = { min: 0, max: 1, bits: 3 }];'))
    expect(e.message).toMatch(/x\.proto:6:\d+: t\.Player\.x: quantize applies to numeric fields only \(this field is a string\)/)
  })
  it('more than 31 fields', () => {
    const fields = Array.from({ length: 32 }, (_, i) => `  float f${i} = ${i + 1};`).join('\n')
    expect(errorOf(delta(fields)).message).toMatch(/x\.proto:4:1: t\.Player: a component has at most 31 fields \(has 32\)/)
    expect(() => buildOutputs(protoDir({ 'x.proto': delta(fields.split('\n').slice(0, 31).join('\n')) }))).not.toThrow()
  })
  it('oneof, negative enum values, bad and duplicate ids, colliding names', () => {
    expect(errorOf(delta('  oneof k { float a = 1; float b = 2; }')).message).toContain('t.Player.a: oneof fields are not supported')
    expect(errorOf(`${HEAD}enum E { Z = 0; N = -1; }\n` + delta('  E e = 1;').slice(HEAD.length)).message).toContain('negative values')
    expect(errorOf(`${HEAD}message A { option (multiuser.component) = { id: 70000 }; float x = 1; }`).message).toContain('component id must be 1..65535')
    expect(errorOf(`${HEAD}message A { option (multiuser.component) = { id: 3 }; float x = 1; }\nmessage B { option (multiuser.component) = { id: 3 }; float x = 1; }`).message).toContain('component id 3 is already used by t.A')
    expect(errorOf(`${HEAD}message Foo { option (multiuser.component) = {}; float x = 1; }\nmessage FooDef { string a = 1; }`).message).toContain('would declare `FooDef` twice')
  })
  it('reports every problem at once, in file order', () => {
    const e = errorOf(delta('  string a = 1;\n  bytes b = 2;\n  float c = 3 [(multiuser.quantize) = { min: 1, max: 0, precision: 1 }];'))
    expect(e.diagnostics.map((d) => d.line)).toEqual([6, 7, 8])
  })
  it('a syntax error is reported as file:line:col', () => {
    const e = errorOf(`${HEAD}message P {\n  float x = 1\n  float y = 2;\n}\n`)
    expect(e.diagnostics[0]).toMatchObject({ line: 6, column: 3 })
    expect(e.message).toMatch(/x\.proto:6:3: /)
  })
  it('an import that does not exist is reported', () => {
    expect(errorOf(`${HEAD}import "nope/missing.proto";\nmessage P { string s = 1; }`).message).toMatch(/x\.proto:4:1: imported file does not exist/)
  })

  it('proto3 `optional` on a numeric component field is refused (its presence would be lost); on a RELIABLE string it works', () => {
    for (const make of [delta, reliable]) {
      const e = errorOf(make('  float x = 1;\n  optional float hp = 2;'))
      expect(e.diagnostics).toHaveLength(1)
      expect([e.diagnostics[0].line, e.diagnostics[0].column]).toEqual([7, 3])
      expect(e.diagnostics[0].message).toMatch(/^t\.Player\.hp: `optional` is not supported on a numeric component field/)
    }
    expect(buildOutputs(protoDir({ 'x.proto': reliable('  optional string nick = 1;') })).get('t/schema.ts')).toContain("name: 'nick'")
  })

  describe('names the generated TypeScript could not declare, refused where they are written', () => {
    const cases: Array<[string, string, [number, number], RegExp]> = [
      ['a reserved word as a message', 'message class {\n  option (multiuser.component) = { sync: DELTA };\n  float x = 1;\n}\n', [4, 1], /^t\.class: `class` is a reserved word .*rename the message/],
      ['a reserved word as an event', 'message await { string text = 1; }\n', [4, 1], /^t\.await: `await` is a reserved word .*rename the message/],
      ['a reserved word as an enum', 'enum delete { D_ZERO = 0; }\nmessage Chat { delete d = 1; }\n', [4, 1], /^t\.delete: `delete` is a reserved word .*rename the enum/],
      ['a global the generated code uses', 'message Uint8Array {\n  option (multiuser.component) = { sync: DELTA };\n  float x = 1;\n}\n', [4, 1], /^t\.Uint8Array: `Uint8Array` would shadow the `Uint8Array` the generated code itself uses/],
      ['a ts-proto helper name', 'message MessageFns { string text = 1; }\n', [4, 1], /^t\.MessageFns: `MessageFns` would shadow/],
      ['a field named __proto__', 'message Pos {\n  option (multiuser.component) = { sync: DELTA };\n  float x = 1;\n  float __proto__ = 2;\n}\n', [7, 3], /^t\.Pos\.__proto__: a field cannot be named `__proto__` .*rename it/],
    ]
    for (const [what, body, [line, column], message] of cases) {
      it(what, () => {
        const e = errorOf(HEAD + body)
        expect(e.diagnostics).toHaveLength(1)
        expect([e.diagnostics[0].line, e.diagnostics[0].column]).toEqual([line, column])
        expect(e.diagnostics[0].message).toMatch(message)
      })
    }

    it('names that are only JavaScript globals ts-proto reaches through globalThis, or object keys, still generate and work', async () => {
      const dir = protoDir({ 'x.proto': `${HEAD}message Object {\n  option (multiuser.component) = { sync: RELIABLE };\n  string constructor = 1;\n  uint32 toString = 2;\n}\nmessage Number { string hasOwnProperty = 1; }\n` })
      const out = join(dir, 'out')
      generate({ protoDir: dir, outDir: out })
      const mod = (await import(join(out, 't', 'schema.ts'))) as Record<string, unknown>
      const { schema } = (mod.createTSchema as (n: number) => { schema: Schema })(4)
      const store = [...schema.stores.values()][0] as Record<string, unknown>
      expect(Object.keys(store).sort()).toEqual(['constructor', 'toString'])
      expect(store.toString).toBeInstanceOf(Uint32Array)
      const event = schema.events[0]
      expect(event.codec.decode(event.codec.encode({ hasOwnProperty: 'yes' }).finish())).toEqual({ hasOwnProperty: 'yes' })
    })
  })
})

describe('entity fields ((multiuser.entity) = true)', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['in a DELTA component', delta('  uint32 target = 1 [(multiuser.entity) = true];'), /^t\.Player\.target: an entity field belongs in a RELIABLE component .*sync: RELIABLE/],
    ['on a string', reliable('  string target = 1 [(multiuser.entity) = true];'), /^t\.Player\.target: \(multiuser\.entity\) marks a plain uint32 field .*not string/],
    ['on a repeated uint32 of an event', `${HEAD}message Hit { repeated uint32 targets = 1 [(multiuser.entity) = true]; }\n`, /^t\.Hit\.targets: \(multiuser\.entity\) marks a plain uint32 field .*not repeated uint32/],
    ['in a helper type', `${HEAD}message Where { uint32 who = 1 [(multiuser.entity) = true]; }\nmessage Hit { Where at = 1; }\n`, /^t\.Where\.who: \(multiuser\.entity\) applies to fields of a component or an event/],
  ]
  for (const [what, src, message] of refused) {
    it(`refused ${what}, at the option`, () => {
      const e = errorOf(src)
      expect(e.diagnostics).toHaveLength(1)
      expect(e.diagnostics[0].line).toBeGreaterThan(3)
      expect(e.diagnostics[0].message).toMatch(message)
    })
  }

  it('a RELIABLE component field and an event field generate as entity fields, and enter the fingerprint', () => {
    const src = `${HEAD}message Link {\n  option (multiuser.component) = { sync: RELIABLE };\n  uint32 carried_by = 1 [(multiuser.entity) = true];\n}\nmessage Hit { uint32 target = 1 [(multiuser.entity) = true]; uint32 damage = 2; }\n`
    const mod = buildOutputs(protoDir({ 'x.proto': src })).get('t/schema.ts')!
    expect(mod).toContain("{ name: 'carriedBy', number: 1, kind: 'u32', entity: true },")
    expect(mod).toContain("entityFields: ['target'] })")
    const plain = buildOutputs(protoDir({ 'x.proto': src.replaceAll(' [(multiuser.entity) = true]', '') })).get('t/schema.ts')!
    const fp = (m: string) => /Fingerprint = '(\w+)'/.exec(m)![1]
    expect(fp(mod)).not.toBe(fp(plain))
  })
})

describe('rotation: QUATERNION', () => {
  const quat = (opts: string, fields = '  float x = 1;\n  float y = 2;\n  float z = 3;\n  float w = 4;') =>
    `${HEAD}message Spin {\n  option (multiuser.component) = { ${opts} };\n${fields}\n}\n`

  it('emits the quaternion coding (rotation_bits, default 10) and puts it in the fingerprint', () => {
    const nine = buildOutputs(protoDir({ 'x.proto': quat('sync: DELTA, rotation: QUATERNION, rotation_bits: 9') })).get('t/schema.ts')!
    const ten = buildOutputs(protoDir({ 'x.proto': quat('sync: DELTA, rotation: QUATERNION') })).get('t/schema.ts')!
    const plain = buildOutputs(protoDir({ 'x.proto': quat('sync: DELTA') })).get('t/schema.ts')!
    expect(nine).toContain('quaternion: { bits: 9 },')
    expect(ten).toContain('quaternion: { bits: 10 },')
    expect(plain).not.toContain('quaternion')
    const fp = (m: string) => /Fingerprint = '(\w+)'/.exec(m)![1]
    expect(new Set([fp(nine), fp(ten), fp(plain)]).size).toBe(3)
  })

  const bad: Array<[string, string, string]> = [
    ['on a RELIABLE component', quat('sync: RELIABLE, rotation: QUATERNION'), 'applies to DELTA components'],
    ['with three fields', quat('rotation: QUATERNION', '  float x = 1;\n  float y = 2;\n  float z = 3;'), 'exactly four float'],
    ['with an int field', quat('rotation: QUATERNION', '  float x = 1;\n  int32 y = 2;\n  float z = 3;\n  float w = 4;'), 'exactly four float'],
    ['with a quantized field', quat('rotation: QUATERNION', '  float x = 1 [(multiuser.quantize) = { min: -1, max: 1, bits: 8 }];\n  float y = 2;\n  float z = 3;\n  float w = 4;'), 'take no quantize option'],
    ['with rotation_bits 30', quat('rotation: QUATERNION, rotation_bits: 30'), 'rotation bits must be an integer in 2..24'],
    ['rotation_bits without rotation', quat('sync: DELTA, rotation_bits: 9'), 'rotation_bits applies with rotation: QUATERNION'],
  ]
  for (const [what, src, message] of bad) {
    it(`refuses rotation: QUATERNION ${what}`, () => {
      const e = errorOf(src)
      expect(e.diagnostics).toHaveLength(1)
      expect(e.diagnostics[0].message).toContain('t.Spin')
      expect(e.diagnostics[0].message).toContain(message)
    })
  }
})
