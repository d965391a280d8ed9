// The `bitecs-multiuser` entry (browser-safe). Generated schema modules import their runtime from here.
export * from './protocol/index.js'
// Replication core (src/ecs) and the in-memory transport with its link simulator.
export * from './ecs/index.js'
export * from './transport/memory/index.js'
// Simulated loss/latency/jitter on any transport (the demo's network conditions panel).
export { withLinkConditions, type LinkConditions, type ConditionedTransport, type ConditionsCounters, type WithLinkConditionsOptions } from './transport/conditions.js'
