/**
 * Session tickets: what the matchmaker gives each member of a match, a relay-signed JWT (JOSE `typ`
 * `bitecs-session+jwt`) naming the session, its room and every member (`{ id, did }`), and which member holds it.
 *
 * The relay accepts it as the invite of the session's room (`POST /v1/rooms/:room/join` with `{ session }`: a member
 * with a DID only under that DID). For host mode (issue 17, not built yet) it is also what a host checks: the relay
 * will hand the host the session's members, and the host admits a peer only with a session ticket of that session
 * whose holder is a member (and, for a DID member, whose room ticket names the same DID). Browser-safe.
 */
import { AuthErrorCode as ErrorCode, TicketError } from '../shared/errors.js'
import type { SessionMember } from './contract.js'
import { isRecord } from './jwt-parts.js'
import { checkExpiry, verifyRelaySigned, type DidDocumentLike } from './ticket.js'

/** JOSE `typ` of a session ticket. */
export const SESSION_TYP = 'bitecs-session+jwt'

/** The claims of a session ticket (what {@link verifySessionTicket} returns). */
export interface SessionTicketClaims {
  /** The relay DID that signed it. */
  iss: string
  /** Session id. */
  session: string
  /** The matchmaking queue it came from. */
  queue: string
  /** The room made for the session. */
  room: string
  /** The holder's member id (one of `members`). */
  member: string
  /** The holder's verified DID; absent when anonymous. */
  did?: string
  /** Every member of the session, the holder included. */
  members: SessionMember[]
  /** For host mode (issue 17): the host the session was handed to. Not set yet. */
  host?: string
  /** Unix seconds. */
  iat: number
  /** Unix seconds. */
  exp: number
}

/** What {@link verifySessionTicket} checks besides the signature and expiry. */
export interface VerifySessionTicketOptions {
  /** The session expected (a host checks the one it was handed). */
  session?: string
  /** The room expected. */
  room?: string
  /** Allowed clock skew in seconds for `exp` (default 30). */
  clockSkewSec?: number
  /** Current time in ms (default `Date.now()`), for tests. */
  now?: number
}

/**
 * Verifies a session ticket against the relay's DID document (or its P-256 did:key): signature, issuer, expiry,
 * the session and room if given, and that the holder is one of the members (with the same DID). Throws
 * `TicketError` (`TICKET_*` codes); returns the claims.
 */
export async function verifySessionTicket(ticket: string, relay: DidDocumentLike | string, opts: VerifySessionTicketOptions = {}): Promise<SessionTicketClaims> {
  const { payload, expectedIss } = await verifyRelaySigned(ticket, relay, SESSION_TYP)
  const claims = parseSessionClaims(payload)
  if (expectedIss !== undefined && claims.iss !== expectedIss) throw new TicketError(ErrorCode.TICKET_ISSUER_MISMATCH, 'session ticket was issued by another relay')
  checkExpiry(claims.exp, opts)
  if (opts.session !== undefined && claims.session !== opts.session) throw new TicketError(ErrorCode.TICKET_SESSION_MISMATCH, 'session ticket is for another session')
  if (opts.room !== undefined && claims.room !== opts.room) throw new TicketError(ErrorCode.TICKET_ROOM_MISMATCH, 'session ticket is for another room')
  const holder = claims.members.find((m) => m.id === claims.member)
  if (!holder || holder.did !== (claims.did ?? null)) throw new TicketError(ErrorCode.TICKET_SESSION_MISMATCH, 'the holder of this session ticket is not one of its members')
  return claims
}

function parseSessionClaims(p: Record<string, unknown>): SessionTicketClaims {
  const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0
  const member = (m: unknown): m is SessionMember =>
    isRecord(m) && str(m.id) && (m.did === null || str(m.did)) && (m.party === undefined || str(m.party))
  if (!str(p.iss) || !str(p.session) || !str(p.queue) || !str(p.room) || !str(p.member) || typeof p.iat !== 'number' || typeof p.exp !== 'number'
    || !Array.isArray(p.members) || !p.members.every(member) || (p.did !== undefined && !str(p.did)) || (p.host !== undefined && !str(p.host))) {
    throw new TicketError(ErrorCode.TICKET_MALFORMED, 'session ticket claims are incomplete')
  }
  const claims: SessionTicketClaims = {
    iss: p.iss, session: p.session, queue: p.queue, room: p.room, member: p.member,
    members: p.members.map((m: SessionMember) => ({ id: m.id, did: m.did, ...(m.party ? { party: m.party } : {}) })),
    iat: p.iat, exp: p.exp,
  }
  if (p.did !== undefined) claims.did = p.did as string
  if (p.host !== undefined) claims.host = p.host as string
  return claims
}
