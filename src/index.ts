/**
 * The game runtime (browser-safe): replication over a bitECS world (`createNetwork`), the schema runtime that generated modules call, the transports (PeerJS mesh through the relay, in-memory hub, simulated conditions), joining the relay, and every error code.
 *
 * @packageDocumentation
 */
// The `bitecs-multiuser` entry (browser-safe): what README documents, nothing more; test/api/exports.test.ts lists
// every name, so an export added or lost is a visible diff. Generated schema modules import their runtime from here.

// Schema runtime (src/protocol): what generated modules call, the types of their stores and codecs, and the bit
// streams a ComponentDef encodes to.
export { defineComponent, defineSchema, defineEvent, BitWriter, BitReader } from './protocol/index.js'
export type {
  ComponentDef, ComponentSpec, ComponentStore, EntityRefCodec, FieldDef, FieldSpec, FieldKind, NumericArray, ObjectCodec, Sync, TypedArrayName,
  QuantizeOptions, Quantizer, Schema, SchemaSpec, EventDef, MessageCodec, SchemaDifference,
} from './protocol/index.js'
// Errors (src/shared): every error is a MultiuserError with a stable `code`.
export { ErrorCode, MultiuserError, DecodeError, AuthErrorCode, MultiuserAuthError, JoinError, LobbyError, TicketError } from './shared/errors.js'
// Replication core (src/ecs).
export {
  createNetwork, DEFAULT_LIMITS, gridRelevance,
  type Network, type NetworkOptions, type NetworkLimits, type NetPeer, type NetworkEvents, type Refused,
  type NetId, type EntityEvent, type DespawnReason, type OwnershipChange, type NetInspection, type InspectedEntity,
  type NetStats, type DropCounters, type ChannelCounters, type ComponentCounters, type CongestionStats,
  type PriorityFn, type RelevanceFn, type GridRelevanceOptions,
} from './ecs/index.js'
// Transports: the seam, the in-memory hub with its link simulator, simulated conditions on any transport, and the
// browser transport (PeerJS mesh, signalled by our relay).
export type { Transport, TransportEvents, Channel, PeerIdentity } from './transport/transport.js'
export { createMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions, type MemoryTransport, type LinkOptions, type LinkCounters } from './transport/memory/index.js'
export { withLinkConditions, type LinkConditions, type ConditionedTransport, type ConditionsCounters, type WithLinkConditionsOptions } from './transport/conditions.js'
export { peerJsTransport, PEERJS_TRANSPORT_DEFAULTS, type PeerJsTransport, type PeerJsTransportOptions, type PeerJsTransportEvents, type TransportStatus } from './transport/peerjs/peerjs-transport.js'
export { relayClient, type RelayClient, type RelayClientOptions, type RelayJoinOptions, type LobbyClient } from './transport/peerjs/relay-client.js'
export type { MatchmakeOptions } from './auth/lobby.js'
// Joining through the relay (src/auth) and checking peers' tickets (the signaling contract, src/signaling).
export { staticTokenSource, anonymous, type TokenSource, type TokenRequest } from './auth/token-source.js'
export { joinRoom, type JoinRoomOptions } from './auth/join.js'
export { verifyTicket, type TicketClaims, type DidDocumentLike, type VerifyTicketOptions } from './signaling/ticket.js'
export { DEFAULT_LXM, DEFAULT_SERVICE_ID, type JoinResult, type JoinAnswer, type RosterEntry, type PeerJsServerOptions, type IceServer } from './signaling/contract.js'
// The lobby (room list, rooms with options, matchmaking) and the session tickets of matches.
export {
  DEFAULT_LOBBY_LXM, type CreateRoomRequest, type CreatedRoom, type RoomInfo, type RoomList, type ListRoomsQuery, type RoomVisibility,
  type RoomAccessMode, type RoomCredentials, type JsonValue, type MatchRequest, type Match, type SessionMember,
} from './signaling/contract.js'
export { verifySessionTicket, type SessionTicketClaims, type VerifySessionTicketOptions } from './signaling/session-ticket.js'
// Hand-off to hosts: a host registers with the relay and is handed the sessions of host-mode queues.
export { registerHost, type RegisterHostOptions, type HostRegistration } from './auth/host-registration.js'
export type { HostSession } from './signaling/contract.js'
