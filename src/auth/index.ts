/**
 * The client side of the relay: token sources and joining a room (src/auth), with the parts of the signaling
 * contract (src/signaling) a client uses: ticket checks, the errors they throw, the join answer's types.
 */
export { AuthErrorCode, MultiuserAuthError, JoinError, TicketError } from '../shared/errors.js'
export { atprotoTokenSource, staticTokenSource, anonymous } from './token-source.js'
export type { TokenSource, AtprotoSession, AtprotoTokenSourceOptions } from './token-source.js'
export { joinRoom } from './join.js'
export type { JoinRoomOptions } from './join.js'
export { verifyTicket } from '../signaling/ticket.js'
export type { TicketClaims, DidDocumentLike, VerifyTicketOptions } from '../signaling/ticket.js'
export type { JoinResult, RosterEntry, PeerJsServerOptions, IceServer } from '../signaling/contract.js'
