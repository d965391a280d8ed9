// `(multiuser.input)`: a message becomes an input of the schema (not an event, not a component), with its own ids and
// its place in the fingerprint; the committed generated/game module carries MoveInput.
import { describe, expect, it } from 'vitest'
import { buildOutputs, CodegenError } from '../../src/codegen/index.js'
import { gameSchema, MoveInput, Chat } from '../../generated/game/schema.js'
import { HEAD, protoDir } from './helpers.js'

const input = (name: string, body = 'float dx = 1;'): string => `message ${name} {\n  option (multiuser.input) = {};\n  ${body}\n}\n`

describe('inputs in .proto', () => {
  it('generated/game: MoveInput is an input of the schema, not an event', () => {
    expect(gameSchema.inputs).toEqual([MoveInput])
    expect(gameSchema.inputById(1)).toBe(MoveInput)
    expect(gameSchema.events).toEqual([Chat])
    const bytes = MoveInput.codec.encode({ dx: 0.5, dz: -1, jump: true }).finish()
    expect(MoveInput.codec.decode(bytes)).toEqual({ dx: 0.5, dz: -1, jump: true })
  })

  it('emits defineInput with ids by sorted name, and inputs change the fingerprint (a schema without any keeps its own)', () => {
    const src = (extra: string): string => `${HEAD}message Chat { string text = 1; }\n${extra}`
    const schemaOf = (files: Map<string, string>): string => files.get('t/schema.ts')!
    const none = schemaOf(buildOutputs(protoDir({ 'x.proto': src('') })))
    const two = schemaOf(buildOutputs(protoDir({ 'x.proto': src(input('Zed') + input('Aim', 'float yaw = 1;')) })))
    expect(none).not.toContain('inputs')
    expect(none).not.toContain('defineInput')
    expect(two).toContain("export const Aim: InputDef<x_pb.Aim> = defineInput<x_pb.Aim>({ id: 1, name: 't.Aim', codec: x_pb.Aim })")
    expect(two).toContain("defineInput<x_pb.Zed>({ id: 2, name: 't.Zed'")
    expect(two).toContain('    inputs: [Aim, Zed],')
    expect(two).toContain('    events: [Chat],')
    const fp = (s: string): string => /Fingerprint = '([0-9a-f]+)'/.exec(s)![1]
    expect(fp(two)).not.toBe(fp(none))
  })

  it('refuses an input that is also a component, or holds an entity', () => {
    const both = `${HEAD}message P {\n  option (multiuser.component) = { sync: DELTA };\n  option (multiuser.input) = {};\n  float x = 1;\n}\n`
    expect(() => buildOutputs(protoDir({ 'x.proto': both }))).toThrow(/t\.P: a message is either a component or an input/)
    const ent = `${HEAD}${input('Aim', 'uint32 target = 1 [(multiuser.entity) = true];')}`
    expect(() => buildOutputs(protoDir({ 'x.proto': ent }))).toThrow(CodegenError)
    expect(() => buildOutputs(protoDir({ 'x.proto': ent }))).toThrow(/t\.Aim\.target: an input cannot hold an entity/)
  })
})
