/**
 * Relay tickets: a relay-signed JWT `{ iss: relayDid, did, handle?, room, peerId, admittedAt, fingerprint?, friendsOf?, iat, exp }` that a peer sends as its
 * first reliable message. The receiver checks it with `verifyTicket` against the relay's DID document (or key) and
 * learns the remote peer's verified DID. Browser-safe and free of ATProto libraries: the relay signs with P-256,
 * checked with WebCrypto (`relay-signature.ts`).
 */
import { p256KeyOf, verifyEs256 } from './relay-signature.js'
import { AuthErrorCode as ErrorCode, TicketError } from '../shared/errors.js'
import { decodeJwt, isRecord } from './jwt-parts.js'
import { normalizeFingerprint } from './fingerprint.js'

/** JOSE `typ` of a ticket: never confusable with a service-auth token (which another service would accept). */
export const TICKET_TYP = 'bitecs-ticket+jwt'
/**
 * JOSE `typ` of a resume token: same claims as a ticket, but kept private by its holder (never sent to peers), so
 * presenting it proves the right to keep a peer id after a relay socket drop — anonymous peers included.
 */
export const RESUME_TYP = 'bitecs-resume+jwt'

/** What a relay-signed ticket says about a peer. */
export interface TicketClaims {
  /** The relay DID that signed the ticket. */
  iss: string
  /** The peer's verified ATProto DID; absent for an anonymous peer. */
  did?: string
  /** The peer's handle, present only when the relay verified it. */
  handle?: string
  /** The room it was admitted to. */
  room: string
  /** Its peer id. */
  peerId: string
  /**
   * When the relay first admitted this peer id (relay wall clock, Unix ms; kept through resumes). Every peer reads
   * the same value from the ticket, so it orders a room's peers without trusting any page's clock: smaller first,
   * ties (two relays of one deployment in the same millisecond) by the smaller peer id.
   */
  admittedAt: number
  /**
   * The DTLS certificate fingerprint the peer joined with (`sha-256 AB:CD:…`): a receiver accepts the ticket only on
   * a link whose remote description names this certificate. Absent when the peer sent none (no binding).
   */
  fingerprint?: string
  /** The room admits only friends of this DID (its creator): a friends-only room. */
  friendsOf?: string
  /** Unix seconds. */
  iat: number
  /** Unix seconds. */
  exp: number
}

/** The parts of a DID document `verifyTicket` reads. */
export interface DidDocumentLike {
  /** The DID. */
  id: string
  /** Its keys. */
  verificationMethod?: Array<{ id: string; type: string; controller?: string; publicKeyMultibase?: string }>
}

/** Options of {@link verifyTicket}. */
export interface VerifyTicketOptions {
  /** The room the receiving peer is in: the ticket must be for the same room. */
  room: string
  /** The remote peer id as reported by the relay-routed connection (`conn.peer`). */
  peerId: string
  /** Allowed clock skew in seconds for `exp`/`iat` (default 30). */
  clockSkewSec?: number
  /** Current time in ms (default `Date.now()`), for tests. */
  now?: number
}

/**
 * The relay's signing key from its DID document: the `#atproto` verification method, a P-256 `Multikey` (the relay's
 * keys are P-256). Undefined if absent or of another type.
 */
export function relayKeyFromDidDocument(doc: DidDocumentLike): Uint8Array | undefined {
  const vm = doc.verificationMethod?.find((m) => m.id === '#atproto' || m.id === `${doc.id}#atproto`)
  if (vm?.type !== 'Multikey' || !vm.publicKeyMultibase) return undefined
  return p256KeyOf(vm.publicKeyMultibase)
}

/**
 * Verifies a relay ticket. `relay` is the relay's DID document (from `<relay>/.well-known/did.json`) or its P-256
 * signing key as a `did:key`. Throws `TicketError` with a `TICKET_*` code; returns the claims on success.
 */
export function verifyTicket(ticket: string, relay: DidDocumentLike | string, opts: VerifyTicketOptions): Promise<TicketClaims> {
  return verifyRelayToken(ticket, relay, opts, TICKET_TYP)
}

/** Verifies a relay-signed token of JOSE type `typ` (a ticket or a resume token); see {@link verifyTicket}. */
export async function verifyRelayToken(ticket: string, relay: DidDocumentLike | string, opts: VerifyTicketOptions, typ: string): Promise<TicketClaims> {
  const { payload, expectedIss } = await verifyRelaySigned(ticket, relay, typ)
  const claims = parseClaims(payload)
  if (expectedIss !== undefined && claims.iss !== expectedIss) {
    throw new TicketError(ErrorCode.TICKET_ISSUER_MISMATCH, 'ticket was issued by another relay')
  }
  checkExpiry(claims.exp, opts)
  if (claims.room !== opts.room) throw new TicketError(ErrorCode.TICKET_ROOM_MISMATCH, 'ticket is for another room')
  if (claims.peerId !== opts.peerId) throw new TicketError(ErrorCode.TICKET_PEER_MISMATCH, 'ticket is for another peer id')
  return claims
}

/**
 * Checks the JOSE `typ` and the relay's ES256 signature of any relay-signed token (tickets, resume tokens, session
 * tickets, invites) and returns its payload, unchecked, with the issuer the relay's DID document names (undefined
 * when `relay` is a bare did:key). Throws `TicketError`.
 */
export async function verifyRelaySigned(token: string, relay: DidDocumentLike | string, typ: string): Promise<{ payload: Record<string, unknown>; expectedIss: string | undefined }> {
  let key: Uint8Array | undefined
  let expectedIss: string | undefined
  if (typeof relay === 'string') {
    key = p256KeyOf(relay)
    if (!key) throw new TicketError(ErrorCode.TICKET_BAD_SIGNATURE, 'relay key is not a P-256 did:key')
  } else {
    key = relayKeyFromDidDocument(relay)
    expectedIss = relay.id
  }
  if (!key) throw new TicketError(ErrorCode.TICKET_BAD_SIGNATURE, 'relay DID document has no P-256 #atproto key')

  let parts: ReturnType<typeof decodeJwt>
  try {
    parts = decodeJwt(token)
  } catch (err) {
    throw new TicketError(ErrorCode.TICKET_MALFORMED, 'ticket is not a JWT', { cause: err })
  }
  const { header, payload } = parts
  if (header.typ !== typ || typeof header.alg !== 'string') {
    throw new TicketError(ErrorCode.TICKET_MALFORMED, `not a ${typ} token (typ)`)
  }
  const valid = header.alg === 'ES256' && (await verifyEs256(key, parts.signedBytes, parts.signature))
  if (!valid) throw new TicketError(ErrorCode.TICKET_BAD_SIGNATURE, 'ticket signature does not match the relay key')
  return { payload, expectedIss }
}

/** Throws `TICKET_EXPIRED` when `exp` (Unix s) is past, with the skew allowed. */
export function checkExpiry(exp: number, opts: { clockSkewSec?: number; now?: number }): void {
  const now = (opts.now ?? Date.now()) / 1000
  if (now > exp + (opts.clockSkewSec ?? 30)) throw new TicketError(ErrorCode.TICKET_EXPIRED, 'ticket expired')
}

function parseClaims(p: Record<string, unknown>): TicketClaims {
  const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0
  if (!isRecord(p) || !str(p.iss) || !str(p.room) || !str(p.peerId) || typeof p.iat !== 'number' || typeof p.exp !== 'number') {
    throw new TicketError(ErrorCode.TICKET_MALFORMED, 'ticket claims are incomplete')
  }
  if ((p.did !== undefined && !str(p.did)) || (p.handle !== undefined && !str(p.handle)) || (p.friendsOf !== undefined && !str(p.friendsOf))) {
    throw new TicketError(ErrorCode.TICKET_MALFORMED, 'ticket did/handle/friendsOf have the wrong type')
  }
  if (p.fingerprint !== undefined && normalizeFingerprint(p.fingerprint) !== p.fingerprint) {
    throw new TicketError(ErrorCode.TICKET_MALFORMED, 'ticket fingerprint is not a canonical DTLS fingerprint')
  }
  if (p.admittedAt !== undefined && !(typeof p.admittedAt === 'number' && Number.isSafeInteger(p.admittedAt) && p.admittedAt >= 0)) {
    throw new TicketError(ErrorCode.TICKET_MALFORMED, 'ticket admittedAt must be a non-negative integer (ms)')
  }
  // Tokens of a relay older than admittedAt: the issue time, to the second.
  const admittedAt = (p.admittedAt as number | undefined) ?? p.iat * 1000
  const claims: TicketClaims = { iss: p.iss, room: p.room, peerId: p.peerId, admittedAt, iat: p.iat, exp: p.exp }
  if (p.did !== undefined) claims.did = p.did as string
  if (p.handle !== undefined) claims.handle = p.handle as string
  if (p.fingerprint !== undefined) claims.fingerprint = p.fingerprint as string
  if (p.friendsOf !== undefined) claims.friendsOf = p.friendsOf as string
  return claims
}
