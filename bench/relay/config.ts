/** What the relay bench's parent and its child processes share: the load's shape, the bench relay's options, IPC. */

/** Load child processes, each on its own loopback source address. */
export const LOAD_PROCS = 3
/** Joins in flight per load process. */
export const JOIN_CONCURRENCY = 48
/** did:web identities whose service-auth tokens the "jwt" runs use (their keys cached by the relay first). */
export const DID_COUNT = 16
export const LXM = 'dev.bitecs.multiuser.join'
/** Capacity is what we measure: the per-sender signal limits (20/s, 64 per target per 10 s) would cap the signal phase. */
export const BENCH_RELAY_OPTIONS = { rateLimitBurst: 1_000_000, rateLimitPerSec: 1_000_000, maxSignalsPerTargetPerWindow: 1_000_000_000 }

/** A message between the parent and a child (IPC): a command (`cmd`) or an answer keyed by its first field. */
export type Msg = Record<string, unknown> & { cmd?: string }

/** The environment variable that makes child.ts a server or a load process. */
export const ROLE_ENV = 'BITECS_RELAY_BENCH_ROLE'
