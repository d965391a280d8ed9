/**
 * A host's whitelist from the relay's session tickets: `createNetwork(world, { authority: 'host', host: true,
 * admit: sessionWhitelist({ session, relay }) })` admits a client only with a relay-signed session ticket of that
 * session (checked by `verifySessionTicket`: signature, issuer, expiry, session, room, the holder one of the members)
 * whose holder, when it is a DID member, is the DID the transport verified for the peer. Browser-safe.
 */
import type { AdmitFn } from '../ecs/authority.js'
import { AuthErrorCode, TicketError } from '../shared/errors.js'
import type { DidDocumentLike } from '../signaling/ticket.js'
import { verifySessionTicket, type SessionTicketClaims } from '../signaling/session-ticket.js'

/** Options of {@link sessionWhitelist}. */
export interface SessionWhitelistOptions {
  /** The session the host was handed (the `session` of the match). */
  session: string
  /** The relay that signs session tickets: its DID document, or its P-256 `did:key`. */
  relay: DidDocumentLike | string
  /** The session's room, when the host checks it too. */
  room?: string
  /** Allowed clock skew for the tickets' `exp`, in seconds. Default 30. */
  clockSkewSec?: number
  /** Called with each admitted peer's ticket claims (its member id, DID, party). */
  onAdmitted?: (peerId: string, claims: SessionTicketClaims) => void
}

/**
 * An {@link AdmitFn} admitting the members of one session: rejects (a `TicketError`) a missing ticket, a ticket
 * `verifySessionTicket` refuses, and a DID member's ticket presented by a peer with another verified DID.
 */
export function sessionWhitelist(options: SessionWhitelistOptions): AdmitFn {
  return async (ticket, peer) => {
    if (ticket === '') throw new TicketError(AuthErrorCode.TICKET_MALFORMED, `${peer.id} sent no session ticket`)
    const claims = await verifySessionTicket(ticket, options.relay, {
      session: options.session,
      ...(options.room !== undefined ? { room: options.room } : {}),
      ...(options.clockSkewSec !== undefined ? { clockSkewSec: options.clockSkewSec } : {}),
    })
    if (claims.did !== undefined && claims.did !== peer.did) {
      throw new TicketError(AuthErrorCode.TICKET_SESSION_MISMATCH, `${peer.id}'s session ticket is ${claims.did}'s, the peer is ${peer.did ?? 'anonymous'}`)
    }
    options.onAdmitted?.(peer.id, claims)
    return claims
  }
}
