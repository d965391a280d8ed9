// The `bitecs-multiuser` entry (browser-safe). Generated schema modules import their runtime from here.
export * from './protocol/index.js'
// Replication core (src/ecs) and the in-memory transport with its link simulator.
export * from './ecs/index.js'
export * from './transport/memory/index.js'
// Simulated loss/latency/jitter on any transport (the demo's network conditions panel).
export { withLinkConditions, type LinkConditions, type ConditionedTransport, type ConditionsCounters, type WithLinkConditionsOptions } from './transport/conditions.js'
// Browser transport (PeerJS mesh, signaling through our relay) and the token sources it joins with.
export { peerJsTransport, PEERJS_TRANSPORT_DEFAULTS, type PeerJsTransport, type PeerJsTransportOptions, type PeerJsTransportEvents, type TransportStatus } from './transport/peerjs/peerjs-transport.js'
export { relayClient, type RelayClient, type RelayClientOptions } from './transport/peerjs/relay-client.js'
export type { JoinAnswer } from './signaling/contract.js'
export type { Transport, TransportEvents, Channel, PeerIdentity } from './transport/transport.js'
export * from './auth/index.js'
