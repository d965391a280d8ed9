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
  return {
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
