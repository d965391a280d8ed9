export { createNetwork, DEFAULT_LIMITS, type NetworkOptions, type NetworkLimits } from './create-network.js'
export type { Network, NetPeer, NetworkEvents, Refused, NetId, EntityEvent, DespawnReason, OwnershipChange, NetInspection, InspectedEntity } from './network.js'
export type { NetStats, DropCounters, ChannelCounters, ComponentCounters } from './stats.js'
