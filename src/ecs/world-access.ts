import { $internal, entityExists, registerComponent, type InternalWorld, type World } from 'bitecs'

/**
 * Fast structural reads on a bitECS world: which schema components an entity has, as one bitmask (bit i =
 * i-th store). Reads bitECS's entity masks directly (hasComponent does a Map lookup per call, too slow for
 * 10 000 entities per tick). Component registration happens once, here.
 */
export interface PresenceReader {
  /** Bit i set when the entity has the i-th store. */
  mask(eid: number): number
  exists(eid: number): boolean
  /**
   * When every store sits in one bitECS mask generation: that generation's mask array (re-read it each tick,
   * bitECS may replace it) and the OR of the stores' flags, for a one-load "did anything structural change" test
   * (bitECS zeroes an entity's masks when it is removed). Null otherwise.
   */
  rawMasks(): { readonly masks: ArrayLike<number>; readonly flags: number } | null
  /** The OR of the bitECS flags of the stores whose bits are set in `bits` (for rawMasks words). */
  reliableRawFlags(bits: number): number
}

export function createPresenceReader(world: World, stores: readonly object[]): PresenceReader {
  const ctx = (world as unknown as InternalWorld)[$internal]
  const gens: number[] = []
  const flags: number[] = []
  for (const s of stores) {
    // registerComponent on a store the world already knows would give it a new bit: entities that had the
    // component before createNetwork would then read as not having it.
    const data = ctx.componentMap.get(s) ?? registerComponent(world, s)
    gens.push(data.generationId)
    flags.push(data.bitflag)
  }
  const n = stores.length
  const oneGen = gens.every((g) => g === gens[0])
  let allFlags = 0
  for (const f of flags) allFlags |= f
  const raw = { masks: [] as ArrayLike<number>, flags: allFlags }
  return {
    reliableRawFlags(bits) {
      let out = 0
      for (let i = 0; i < n; i++) if ((bits & (1 << i)) !== 0) out |= flags[i]
      return out
    },
    rawMasks() {
      if (!oneGen || n === 0) return null
      raw.masks = ctx.entityMasks[gens[0]]
      return raw
    },
    mask(eid) {
      const masks = ctx.entityMasks
      let m = 0
      for (let i = 0; i < n; i++) if ((masks[gens[i]][eid] & flags[i]) !== 0) m |= 1 << i
      return m
    },
    exists(eid) {
      // bitECS's isEntityIdAlive, inlined (entityExists costs a call chain per entity per tick).
      const index = ctx.entityIndex
      const d = index.sparse[eid]
      return d !== undefined && d < index.aliveCount && index.dense[d] === eid ? true : entityExists(world, eid)
    },
  }
}
