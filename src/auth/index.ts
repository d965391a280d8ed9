/**
 * The client side of the relay: token sources and joining a room (src/auth), with the parts of the signaling
 * contract (src/signaling) a client uses: ticket checks, the errors they throw, the join answer's types.
 * Signing in with ATProto is `bitecs-multiuser/atproto` (src/atproto).
 */
export { AuthErrorCode, MultiuserAuthError, JoinError, LobbyError, TicketError } from '../shared/errors.js'
export { staticTokenSource, anonymous } from './token-source.js'
export type { TokenSource } from './token-source.js'
export { joinRoom } from './join.js'
export type { JoinRoomOptions } from './join.js'
export { verifyTicket } from '../signaling/ticket.js'
export type { TicketClaims, DidDocumentLike, VerifyTicketOptions } from '../signaling/ticket.js'
export type { JoinResult, RosterEntry, PeerJsServerOptions, IceServer } from '../signaling/contract.js'
