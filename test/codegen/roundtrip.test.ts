// Property-based round trips through the defs the generator emits (the runtime's defineComponent does the
// bit packing; these tests drive it only through generated modules).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BitReader, BitWriter, bitsForRange, defineComponent, type ComponentDef, type ComponentStore, type FieldDef, type NumericArray } from '../../src/protocol/index.js'
import { Chat, TransformDef, VelocityDef, createGameSchema } from '../../generated/game/schema.js'
import { BodyDef, MarkerDef, ProfileDef, Shout, createArenaSchema, type BodyStore, type ProfileStore } from './fixtures/golden/expected/arena/schema.js'

const EID = 3
const CAP = 8

function field<S extends ComponentStore>(def: ComponentDef<S>, name: string): FieldDef {
  const f = def.fields.find((x) => x.name === name)
  if (!f) throw new Error(`no field ${name}`)
  return f
}

/** Encodes `mask` of entity EID from `src`, decodes into `dst`; returns the bit length. Checks the reader consumed exactly what was written. */
function roundTrip<S extends ComponentStore>(def: ComponentDef<S>, src: S, dst: S, mask: number): number {
  const w = new BitWriter(16)
  def.encode(w, src, EID, mask)
  const bits = w.bitLength
  const r = new BitReader(w.finish())
  def.decode(r, dst, EID, mask)
  expect(r.bitPosition).toBe(bits)
  return bits
}

const f32HalfUlp = (v: number): number => {
  const a = Math.abs(v)
  return a === 0 ? 0 : 2 ** (Math.floor(Math.log2(a)) - 24)
}

describe('quantized fields', () => {
  const cases: Array<[string, ComponentDef<ComponentStore>, string]> = [
    ['game.Transform.x (f32, precision 0.001)', TransformDef as ComponentDef<ComponentStore>, 'x'],
    ['game.Velocity.z (f32, precision 0.01)', VelocityDef as ComponentDef<ComponentStore>, 'z'],
    ['arena.Body.posX (f32, precision 0.01)', BodyDef as ComponentDef<ComponentStore>, 'posX'],
    ['arena.Body.altitude (f64, bits 16)', BodyDef as ComponentDef<ComponentStore>, 'altitude'],
  ]
  for (const [label, def, name] of cases) {
    const f = field(def, name)
    const q = f.quantizer!
    it(`${label}: values in range survive within precision/2`, () => {
      const a = def.createStore(CAP)
      const b = def.createStore(CAP)
      const col = (s: ComponentStore): NumericArray => s[name] as NumericArray
      const mask = 1 << f.index
      const f32 = f.array === 'Float32Array'
      fc.assert(
        fc.property(fc.double({ min: q.min, max: q.max, noNaN: true }), (v) => {
          col(a)[EID] = v
          const stored = col(a)[EID]
          // On the wire: the dequantized value is within step/2 of what the store held.
          expect(Math.abs(f.fromWire(f.toWire(stored)) - stored)).toBeLessThanOrEqual(q.step / 2 + 1e-9 * Math.max(1, Math.abs(stored)))
          const bits = roundTrip(def, a, b, mask)
          expect(bits).toBe(q.bits)
          // In the receiver's store: plus the store's own float32 rounding.
          const tol = q.step / 2 + (f32 ? f32HalfUlp(stored) * 2 : 1e-9 * Math.max(1, Math.abs(stored)))
          expect(Math.abs(col(b)[EID] - stored)).toBeLessThanOrEqual(tol)
        }),
        { numRuns: 500 },
      )
    })
    it(`${label}: values out of range clamp to min/max`, () => {
      const a = def.createStore(CAP)
      const b = def.createStore(CAP)
      const col = (s: ComponentStore): NumericArray => s[name] as NumericArray
      const span = q.max - q.min
      fc.assert(
        fc.property(fc.oneof(fc.double({ min: q.max + 1e-6 * span, max: 1e12, noNaN: true }), fc.constant(Infinity)), fc.boolean(), (v, below) => {
          col(a)[EID] = below ? q.min - (v - q.max) : v
          roundTrip(def, a, b, 1 << f.index)
          const want = below ? q.min : q.max
          expect(Math.abs(col(b)[EID] - want)).toBeLessThanOrEqual(f32HalfUlp(want) * 2 + 1e-9)
        }),
        { numRuns: 200 },
      )
    })
  }

  it('integer fields quantize to integers (arena.Body.level, 0..99 step 1 in 7 bits)', () => {
    const { Body } = createArenaSchema(CAP)
    const b = BodyDef.createStore(CAP)
    const f = field(BodyDef, 'level')
    expect(f.bits).toBe(7)
    fc.assert(
      fc.property(fc.integer({ min: -50, max: 200 }), (v) => {
        Body.level[EID] = v
        roundTrip(BodyDef, Body, b, 1 << f.index)
        expect(b.level[EID]).toBe(Math.min(99, Math.max(0, v)))
      }),
    )
  })

  it('angles wrap: any angle comes back as the nearest of 2^bits points in [-π, π)', () => {
    for (const [def, name] of [[TransformDef, 'yaw'], [BodyDef, 'heading']] as const) {
      const f = field(def as ComponentDef<ComponentStore>, name)
      const q = f.quantizer!
      expect(q.angle).toBe(true)
      const a = (def as ComponentDef<ComponentStore>).createStore(CAP)
      const b = (def as ComponentDef<ComponentStore>).createStore(CAP)
      fc.assert(
        fc.property(fc.double({ min: -1000, max: 1000, noNaN: true }), (v) => {
          ;(a[name] as NumericArray)[EID] = v
          const stored = (a[name] as NumericArray)[EID]
          roundTrip(def as ComponentDef<ComponentStore>, a, b, 1 << f.index)
          const got = (b[name] as NumericArray)[EID]
          expect(got).toBeGreaterThanOrEqual(-Math.PI - 1e-6)
          expect(got).toBeLessThan(Math.PI)
          const diff = Math.abs(((((got - stored) % (2 * Math.PI)) + 3 * Math.PI) % (2 * Math.PI)) - Math.PI)
          expect(diff).toBeLessThanOrEqual(q.step / 2 + 1e-4)
        }),
        { numRuns: 500 },
      )
    }
    expect(field(TransformDef as ComponentDef<ComponentStore>, 'yaw').bits).toBe(12)
  })
})

describe('bit counts', () => {
  it('the README Transform: x, y, z 20 bits each, yaw 12: 72 bits for all fields', () => {
    expect(TransformDef.fields.map((f) => f.bits)).toEqual([20, 20, 20, 12])
    const { Transform } = createGameSchema(CAP)
    Transform.x[EID] = 1.234
    Transform.yaw[EID] = 2
    const w = new BitWriter()
    TransformDef.encode(w, Transform, EID, TransformDef.fullMask)
    expect(w.bitLength).toBe(72)
    expect(VelocityDef.fields.map((f) => f.bits)).toEqual([14, 14])
  })

  it('a quantized field uses exactly ceil(log2((max - min) / precision + 1)) bits', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 32 }).map((b) => 2 ** b - 1), fc.integer({ min: 1, max: 31 }).map((b) => 2 ** b)),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: -1000, max: 1000 }),
        (steps, decimals, min) => {
          const precision = 10 ** -decimals
          const max = min + steps * precision
          // Exact: the smallest b with 2^b >= steps + 1, i.e. the binary length of `steps`.
          const expected = steps.toString(2).length
          expect(bitsForRange(min, max, precision)).toBe(expected)
          const def = defineComponent({ id: 1, name: 't.Q', sync: 'DELTA', fields: [{ name: 'v', number: 1, kind: 'f64', quantize: { min, max, precision } }] })
          const s = def.createStore(CAP)
          ;(s.v as Float64Array)[EID] = max
          const w = new BitWriter()
          def.encode(w, s, EID, 1)
          expect(w.bitLength).toBe(expected)
        },
      ),
      { numRuns: 1000 },
    )
  })
})

/** Random values for every field of arena.Body, within what each field can represent. */
const bodyValues = fc.record({
  posX: fc.double({ min: -100, max: 100, noNaN: true }),
  altitude: fc.double({ min: 0, max: 1000, noNaN: true }),
  heading: fc.double({ min: -10, max: 10, noNaN: true }),
  speed: fc.float({ noNaN: true }),
  mass: fc.double({ noNaN: true }),
  hp: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  drift: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  ammo: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  flags: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  alive: fc.integer({ min: 0, max: 1 }),
  team: fc.integer({ min: 0, max: 3 }),
  wide: fc.integer({ min: 0, max: 511 }),
  level: fc.integer({ min: 0, max: 99 }),
  offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
})

describe('change masks and field kinds (arena.Body: 14 fields of every numeric kind)', () => {
  it('any subset of fields round-trips; fields outside the mask are untouched', () => {
    fc.assert(
      fc.property(bodyValues, fc.integer({ min: 0, max: BodyDef.fullMask }), (values, mask) => {
        const a: BodyStore = BodyDef.createStore(CAP)
        const b: BodyStore = BodyDef.createStore(CAP)
        for (const f of BodyDef.fields) {
          ;(a[f.name as keyof BodyStore] as NumericArray)[EID] = values[f.name as keyof typeof values]
          ;(b[f.name as keyof BodyStore] as NumericArray)[EID] = 7 // sentinel
        }
        const bits = roundTrip(BodyDef, a, b, mask)
        let fixed = 0
        for (const f of BodyDef.fields) {
          const got = (b[f.name as keyof BodyStore] as NumericArray)[EID]
          const stored = (a[f.name as keyof BodyStore] as NumericArray)[EID]
          if ((mask & (1 << f.index)) === 0) {
            expect(got, f.name).toBe(7)
            continue
          }
          if (f.bits > 0) fixed += f.bits
          // Exactly the canonical wire value the sender computed (what the receiver must converge to).
          const canonical = (b[f.name as keyof BodyStore] as NumericArray).constructor === Float32Array ? Math.fround(f.fromWire(f.toWire(stored))) : f.fromWire(f.toWire(stored))
          expect(got, f.name).toBe(canonical)
          if (!f.quantizer) expect(got, `${f.name} unquantized is exact`).toBe(stored)
        }
        expect(bits).toBeGreaterThanOrEqual(fixed)
        if (mask === 0) expect(bits).toBe(0)
      }),
      { numRuns: 1000 },
    )
  })

  it('enums use enumBits and the smallest array; values above the top clamp', () => {
    expect([field(BodyDef, 'team').bits, field(BodyDef, 'team').array]).toEqual([2, 'Uint8Array'])
    expect([field(BodyDef, 'wide').bits, field(BodyDef, 'wide').array]).toEqual([9, 'Uint16Array'])
    const a = BodyDef.createStore(CAP)
    const b = BodyDef.createStore(CAP)
    a.wide[EID] = 1000
    roundTrip(BodyDef, a, b, 1 << field(BodyDef, 'wide').index)
    expect(b.wide[EID]).toBe(511)
  })

  it('bools take one bit; any non-zero value arrives as 1', () => {
    const a = BodyDef.createStore(CAP)
    const b = BodyDef.createStore(CAP)
    a.alive[EID] = 200
    expect(roundTrip(BodyDef, a, b, 1 << field(BodyDef, 'alive').index)).toBe(1)
    expect(b.alive[EID]).toBe(1)
  })

  it('MarkerDef (RELIABLE, one bool) round-trips', () => {
    const a = MarkerDef.createStore(CAP)
    const b = MarkerDef.createStore(CAP)
    a.on[EID] = 1
    roundTrip(MarkerDef, a, b, 1)
    expect(b.on[EID]).toBe(1)
  })
})

describe('object fields of a RELIABLE component (arena.Profile)', () => {
  // proto3 does not send a float equal to 0, so -0 arrives as +0 (protobuf semantics): generate +0 only.
  const f = fc.float({ noNaN: true }).map((v) => (v === 0 ? 0 : v))
  const vec = fc.record({ x: f, y: f, z: f })
  const profile = fc.record({
    displayName: fc.string(),
    avatar: fc.uint8Array({ maxLength: 64 }),
    badges: fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 8 }),
    spawn: fc.option(vec, { nil: undefined }),
    stats: fc.dictionary(fc.string({ maxLength: 6 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxKeys: 4 }),
    score: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  })
  it('strings, bytes, repeated, nested, map and int64 fields round-trip with any mask', () => {
    fc.assert(
      fc.property(profile, fc.integer({ min: 0, max: ProfileDef.fullMask }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (p, mask, team, color) => {
        const a: ProfileStore = ProfileDef.createStore(CAP)
        const b: ProfileStore = ProfileDef.createStore(CAP)
        a.displayName[EID] = p.displayName
        a.avatar[EID] = p.avatar
        a.badges[EID] = p.badges
        a.spawn[EID] = p.spawn
        a.stats[EID] = p.stats
        a.score[EID] = p.score
        a.team[EID] = team
        a.color[EID] = color
        roundTrip(ProfileDef, a, b, mask)
        for (const f of ProfileDef.fields) {
          const key = f.name as keyof ProfileStore
          const got = (b[key] as ArrayLike<unknown>)[EID]
          if ((mask & (1 << f.index)) === 0) expect(got, f.name).toBe(f.kind === 'object' ? undefined : 0)
          else expect(got, f.name).toEqual((a[key] as ArrayLike<unknown>)[EID])
        }
      }),
      { numRuns: 300 },
    )
  })

  it('an unset object field is sent as the proto3 default', () => {
    const a = ProfileDef.createStore(CAP)
    const b = ProfileDef.createStore(CAP)
    roundTrip(ProfileDef, a, b, ProfileDef.fullMask)
    expect([b.displayName[EID], b.avatar[EID], b.badges[EID], b.spawn[EID], b.stats[EID], b.score[EID]]).toEqual(['', new Uint8Array(0), [], undefined, {}, 0])
  })
})

describe('events and schemas', () => {
  it('event defs carry the ts-proto codec', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(Chat.codec.decode(Chat.codec.encode({ text }).finish())).toEqual({ text })
      }),
    )
    const shout = { text: 'hi', at: { x: 1, y: 2, z: 3 }, tags: ['a', 'b'] }
    expect(Shout.codec.decode(Shout.codec.encode(shout).finish())).toEqual(shout)
    expect([Chat.id, Chat.name]).toEqual([1, 'game.Chat'])
  })

  it('createGameSchema gives each world its own stores; ids and components are listed', () => {
    const one = createGameSchema(16)
    const two = createGameSchema(16)
    one.Transform.x[1] = 5
    expect(two.Transform.x[1]).toBe(0)
    expect(one.schema.componentOfStore(one.Transform)?.name).toBe('game.Transform')
    expect(one.schema.componentOfStore(two.Transform)).toBeUndefined()
    expect(one.schema.components.map((c) => [c.id, c.name])).toEqual([[1, 'game.Color'], [2, 'game.Transform'], [3, 'game.Velocity']])
    expect(one.schema.fingerprint).toMatch(/^[0-9a-f]{32}$/)
    const arena = createArenaSchema(4).schema
    expect(arena.componentById(40)?.name).toBe('arena.Profile')
    expect(arena.events.map((e) => e.name)).toEqual(['arena.Ping', 'arena.Shout'])
  })
})
