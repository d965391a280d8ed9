export {
  createNetwork, DEFAULT_LIMITS,
  type Network, type NetworkOptions, type NetworkLimits, type NetPeer, type NetworkEvents, type Refused,
} from './create-network.js'
export type { NetStats, DropCounters, ChannelCounters } from './stats.js'
export { electHeir, type HeirCandidate } from './ownership.js'
export { PROTOCOL_VERSION } from '../protocol/reliable-codec.js'
