/** Everything the HTTP, join and socket handlers of one relay share. */
import type { Keypair } from '@atproto/crypto'
import type { Logger } from 'pino'
import type { ClientAddressOf } from './client-address.js'
import type { HandleVerifier } from './handle-verify.js'
import type { HandshakeBudget } from './handshake-budget.js'
import type { PendingJoinStore } from './join-tokens.js'
import type { TokenVerifier } from './jwt-verify.js'
import type { RelayMetrics } from './metrics.js'
import type { ResolvedRelayOptions } from './options.js'
import type { SignalRouter } from './signal-router.js'
import type { RoomSlotPool, SlotPool } from './slots.js'
import type { RelayDidDocument } from './did-document.js'
import type { AdmissionClock } from './data-dir.js'
import type { Lobby } from './lobby/lobby.js'
import type { SocialGraph } from '../signaling/social-graph.js'
import type { PresenceTracker } from './social/presence-tracker.js'
import type { RoomPolicies } from './social/room-policy.js'

export interface RelayContext {
  opts: ResolvedRelayOptions
  /** Set when the relay listens (port known). */
  publicUrl: string
  did: string
  didDocument: RelayDidDocument
  key: Keypair
  /** did:keys of retired signing keys whose resume tokens are still honoured. */
  previousKeys: string[]
  /** Admission times (ms, strictly increasing, monotonic across restarts with a data directory). */
  admissions: AdmissionClock
  log: Logger
  metrics: RelayMetrics
  slots: SlotPool
  roomSlots: RoomSlotPool
  pending: PendingJoinStore
  router: SignalRouter
  handles: HandleVerifier
  verifyToken: TokenVerifier
  /** The same for lobby calls (tokens scoped to `lobbyLxm`). */
  verifyLobbyToken: TokenVerifier
  /** Room directory, matchmaking (src/relay/lobby/). */
  lobby: Lobby
  /** Joins waiting on the network (key or handle fetch), relay-wide and per client address. */
  handshakes: HandshakeBudget
  /** The client address of a request (X-Forwarded-For believed only from `trustedProxies`). */
  clientAddress: ClientAddressOf
  /** Closes the socket of `peerId` in `room` now, in this process or the one holding it (resume); set once the PeerJS server exists. */
  evict: (peerId: string, room: string) => void | Promise<void>
  /** Draining (SIGTERM): joins are refused with RELAY_DRAINING. */
  draining: boolean
  /** Join requests being handled now (a drain waits for them). */
  joinsInFlight: number
  /** The Redis connection's state (`ready`, `reconnecting`, ...), with `redis`. */
  redisStatus: (() => string) | undefined
  /** Who is whose friend (friends-only rooms, presence, invites). */
  graph: SocialGraph
  /** Friends-only rooms. */
  roomPolicies: RoomPolicies
  /** Signed-in players' presence: told when their peer sockets open and close (the room they are in). */
  presence: PresenceTracker
}
