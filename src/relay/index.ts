/**
 * `@bitecs-multiuser/relay`: the ATProto-gated, PeerJS-compatible signaling relay (Node only): what README documents,
 * nothing more (test/api/exports.test.ts lists every name).
 *
 * @packageDocumentation
 */
export { createRelay } from './relay.js'
export type { Relay, RelayStats } from './relay.js'
export { RELAY_DEFAULTS } from './options.js'
export type { RelayOptions, ResolvedRelayOptions, AuthMode } from './options.js'
export { RelayError } from './errors.js'
export { AuthErrorCode } from '../shared/errors.js'
export { generateRelayKeyHex } from './relay-key.js'
export { defaultDataDir, rotateRelayKey } from './data-dir.js'
export type { SigningKeyInfo } from './data-dir.js'
export type { RelayMetrics } from './metrics.js'
export type { RelayDidDocument } from './did-document.js'
// The pluggable subsystems (interfaces and their in-process defaults).
export { LocalSignalRouter } from './signal-router.js'
export type { SignalRouter, PeerEndpoint, OutboundMessage, RouteOutcome, DeliveryResult } from './signal-router.js'
export { MemoryReplayCache } from './replay-cache.js'
export type { ReplayCache, ReplayCheck } from './replay-cache.js'
export { CachingDidKeyResolver } from './did-key-cache.js'
export type { DidKeyResolver, DidIdentity, DidKeyCacheStats } from './did-key-cache.js'
export { CachingHandleVerifier, noHandles } from './handle-verify.js'
export type { HandleVerifier } from './handle-verify.js'
// The lobby's seams (README "Lobbies and matchmaking"); the host registry is for host mode.
export { LocalRoomDirectory } from './lobby/room-directory.js'
export type { RoomDirectory, RoomRecord, RoomEntry, RoomFilter, CreateResult } from './lobby/room-directory.js'
export { LocalMatchQueue, MATCH_QUEUE_DEFAULTS } from './lobby/match-queue.js'
export type { MatchQueue, MatchQueueRules, QueueEntry, QueueOutcome, EnqueueResult } from './lobby/match-queue.js'
export { LocalHostRegistry } from './lobby/host-registry.js'
export type { HostRegistry, HostAnnouncement, HostRecord } from './lobby/host-registry.js'
export { verifySessionTicket } from '../signaling/session-ticket.js'
export type { SessionTicketClaims } from '../signaling/session-ticket.js'
export type { MatchEvent, Match, SessionMember, RoomInfo, RoomList, CreateRoomRequest, CreatedRoom, JoinRequestBody } from '../signaling/contract.js'
// The social layer's subsystems (presence, invites, friends-only rooms) and the graph they ask.
export { LocalPresenceStore } from './social/presence-store.js'
export type { PresenceStore, PresenceState } from './social/presence-store.js'
export { LocalInviteRouter } from './social/invite-router.js'
export type { InviteRouter } from './social/invite-router.js'
export { LocalRoomPolicies } from './social/room-policy.js'
export type { RoomPolicies } from './social/room-policy.js'
export type { SocialGraph, Relationship } from '../signaling/social-graph.js'
export type { Invite, FriendPresence } from '../signaling/social-contract.js'
// The signaling contract, server side: tickets and the wire types of the join answer and control messages.
export { verifyTicket } from '../signaling/ticket.js'
export type { TicketClaims } from '../signaling/ticket.js'
export type { JoinResult, RosterEntry, PeerJsServerOptions, IceServer, ControlMessage } from '../signaling/contract.js'
