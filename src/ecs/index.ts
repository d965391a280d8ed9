export { createNetwork, DEFAULT_LIMITS, type NetworkOptions, type NetworkLimits } from './create-network.js'
export type { Network, NetPeer, NetworkEvents, Refused, NetId, EntityEvent, DespawnReason, OwnershipChange } from './network.js'
export type { NetStats, DropCounters, ChannelCounters } from './stats.js'
