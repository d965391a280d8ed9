export { createMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions, type MemoryTransport } from './memory-network.js'
export type { LinkOptions, LinkCounters } from './link.js'
// Not part of the package's API (src/index.ts): the tests' and the bench's seeded randomness.
export { createRng, type Rng } from './rng.js'
