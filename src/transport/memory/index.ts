export { createMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions, type MemoryTransport } from './memory-network.js'
export type { LinkOptions, LinkCounters } from './link.js'
export { createRng, type Rng } from './rng.js'
