/**
 * The library's shared kernel of errors: every error code, and the error classes. Every layer may import it
 * (protocol, ecs, transport, auth, the relay, codegen); it imports nothing.
 */

/** Stable error codes of the replication core, transports and codegen. Every error the library throws is a {@link MultiuserError}. */
export const ErrorCode = {
  DECODE_ERROR: 'DECODE_ERROR',
  ENCODE_OVERFLOW: 'ENCODE_OVERFLOW',
  SCHEMA_INVALID: 'SCHEMA_INVALID',
  SCHEMA_MISMATCH: 'SCHEMA_MISMATCH',
  ALREADY_ATTACHED: 'ALREADY_ATTACHED',
  CAPACITY_EXCEEDED: 'CAPACITY_EXCEEDED',
  NOT_OWNER: 'NOT_OWNER',
  NOT_REPLICATED: 'NOT_REPLICATED',
  UNKNOWN_EVENT: 'UNKNOWN_EVENT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  SEND_QUEUE_FULL: 'SEND_QUEUE_FULL',
  PEER_UNKNOWN: 'PEER_UNKNOWN',
  TRANSPORT_CLOSED: 'TRANSPORT_CLOSED',
  /** The relay could not resume our peer id (it restarted with a key it never had): we rejoined as a new peer. */
  PEER_ID_CHANGED: 'PEER_ID_CHANGED',
  /** A RELIABLE component's field holds a value the other peers could not decode (an int64 beyond ±2^53): not sent. */
  VALUE_UNSENDABLE: 'VALUE_UNSENDABLE',
  /** The code generator is missing a part it runs (`multiuser/options.proto`, `buf`, `ts-proto`, `protobufjs`). */
  CODEGEN_SETUP: 'CODEGEN_SETUP',
  /** The code generator could not write its output directory. */
  CODEGEN_OUTPUT: 'CODEGEN_OUTPUT',
  // --- why a peer was refused (`net.events.on('refused')`; SCHEMA_MISMATCH above too) ---
  /** The peer speaks another version of the replication protocol. */
  PROTOCOL_VERSION: 'PROTOCOL_VERSION',
  /** The peer sent `limits.maxInvalid` invalid messages. */
  TOO_MANY_INVALID: 'TOO_MANY_INVALID',
  /** A refusal without a known reason. */
  REASON_UNSPECIFIED: 'REASON_UNSPECIFIED',
  /** Host mode met owner authority, or a second host (`authority` of createNetwork). */
  AUTHORITY_MISMATCH: 'AUTHORITY_MISMATCH',
  /** The host admits members of its session only: the peer's session ticket was missing or not valid for it. */
  NOT_IN_SESSION: 'NOT_IN_SESSION',
  // --- host mode ---
  /** In host mode only the host spawns, despawns and owns replicated entities, and only a client sends inputs to one. */
  NOT_HOST: 'NOT_HOST',
  /** An input is not in this network's schema. */
  UNKNOWN_INPUT: 'UNKNOWN_INPUT',
} as const
/** A code of `ErrorCode`. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Every error the library throws: a stable `code` to switch on. */
export class MultiuserError extends Error {
  /** A stable code (`ErrorCode`, `AuthErrorCode`). */
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'MultiuserError'
    this.code = code
  }
}

/** Thrown by every decoder on truncated or corrupted input; never an out-of-bounds read. */
export class DecodeError extends MultiuserError {
  constructor(message: string) {
    super(ErrorCode.DECODE_ERROR, message)
    this.name = 'DecodeError'
  }
}

/**
 * Stable error codes shared by the relay (HTTP/WebSocket refusals) and the client (joinRoom, verifyTicket).
 * Switch on `err.code`; the message is for humans and may change.
 */
export const AuthErrorCode = {
  // --- admission: ATProto service-auth JWT ---
  /** No `Authorization: Bearer` header while the relay requires auth. */
  AUTH_MISSING: 'AUTH_MISSING',
  /** Not a `Bearer <jwt>` header, not a JWT, too long, or claims of the wrong type. */
  AUTH_MALFORMED: 'AUTH_MALFORMED',
  /** Signature does not verify against the issuer's current `#atproto` key (after one refresh). */
  AUTH_BAD_SIGNATURE: 'AUTH_BAD_SIGNATURE',
  /** `exp` is in the past. */
  AUTH_EXPIRED: 'AUTH_EXPIRED',
  /** `exp` is further in the future than the relay accepts (`maxTokenLifetimeSec`). */
  AUTH_LIFETIME_TOO_LONG: 'AUTH_LIFETIME_TOO_LONG',
  /** `iat` is in the future by more than the allowed clock skew. */
  AUTH_IAT_FUTURE: 'AUTH_IAT_FUTURE',
  /** `nbf` (not before) is in the future by more than the allowed clock skew. */
  AUTH_NOT_YET_VALID: 'AUTH_NOT_YET_VALID',
  /** `aud` is neither the relay DID nor `<relay DID>#<service id>`. */
  AUTH_AUD_MISMATCH: 'AUTH_AUD_MISMATCH',
  /** `lxm` is missing or is not the relay's method. */
  AUTH_LXM_MISMATCH: 'AUTH_LXM_MISMATCH',
  /** The token has no `jti`, so it cannot be protected against replay. */
  AUTH_JTI_MISSING: 'AUTH_JTI_MISSING',
  /** This token (`iss` + `jti`) was already used. */
  AUTH_REPLAYED: 'AUTH_REPLAYED',
  /** The issuer's DID method is not accepted (default: did:plc and did:web only). */
  AUTH_DID_METHOD_UNSUPPORTED: 'AUTH_DID_METHOD_UNSUPPORTED',
  /** The issuer's DID document could not be fetched, parsed, or has no `#atproto` key. */
  AUTH_DID_UNRESOLVABLE: 'AUTH_DID_UNRESOLVABLE',
  /** The issuer's DID document cannot be fetched now (its host or the PLC directory timed out or answered 429/5xx): retry later. */
  AUTH_DID_UNAVAILABLE: 'AUTH_DID_UNAVAILABLE',
  /** A credential was put in a URL (query string) instead of the Authorization header. */
  AUTH_TOKEN_IN_URL: 'AUTH_TOKEN_IN_URL',

  // --- admission: capacity and request shape ---
  /** The room has `maxPeersPerRoom` peers (connected or admitted and about to connect). */
  ROOM_FULL: 'ROOM_FULL',
  /** The relay has `maxPeers` slots in use. */
  RELAY_FULL: 'RELAY_FULL',
  /**
   * The relay cannot verify this join now: too many joins wait on the network relay-wide (`maxConcurrentHandshakes`),
   * from this address (`maxHandshakesPerAddress`) or on this DID (`didFetchMaxWaiters`), a fetch cap is reached, or a
   * cache is saturated. Retry shortly.
   */
  RELAY_BUSY: 'RELAY_BUSY',
  /**
   * This relay process is draining (SIGTERM: it stops admitting and hands its sockets over). Retry: behind the load
   * balancer another process admits the join. Its peer sockets are closed with WebSocket code 1012 and this code as reason.
   */
  RELAY_DRAINING: 'RELAY_DRAINING',
  /** Room name is not 1-64 characters of `[A-Za-z0-9._~-]`. */
  ROOM_INVALID: 'ROOM_INVALID',
  /** Verifying the join (token, DID document, handle) took longer than the relay's `handshakeTimeoutMs`. */
  AUTH_TIMEOUT: 'AUTH_TIMEOUT',
  /** The join request body is not the expected JSON (`{ resume?, fingerprint?, friendsOnly?, password?, invite?, session? }`) or is too large. */
  JOIN_BODY_INVALID: 'JOIN_BODY_INVALID',
  /** The room is friends only: the joiner is anonymous, or not a friend (mutual follow, no block) of the room's creator. */
  ROOM_FRIENDS_ONLY: 'ROOM_FRIENDS_ONLY',
  /** The join asked for a friends-only room, and a room of that name is open to everyone. */
  ROOM_POLICY_MISMATCH: 'ROOM_POLICY_MISMATCH',

  // --- rooms of the lobby (`POST /v1/rooms`, and a join honouring a room's options) ---
  /** `POST /v1/rooms`: a room of that name exists (created, or in use) already. */
  ROOM_EXISTS: 'ROOM_EXISTS',
  /** `POST /v1/rooms`: the options are not valid (see README "Lobbies and matchmaking"). */
  ROOM_OPTIONS_INVALID: 'ROOM_OPTIONS_INVALID',
  /** `POST /v1/rooms`: the metadata is larger than the relay's `maxRoomMetadataBytes` (as JSON, UTF-8). */
  ROOM_METADATA_TOO_LARGE: 'ROOM_METADATA_TOO_LARGE',
  /** `POST /v1/rooms`: this creator (its DID, or its address when anonymous) holds `maxRoomsPerCreator` rooms. */
  ROOM_LIMIT: 'ROOM_LIMIT',
  /** The room has a password and the join gave none. */
  ROOM_PASSWORD_REQUIRED: 'ROOM_PASSWORD_REQUIRED',
  /** The join gave a password that is not the room's. */
  ROOM_PASSWORD_WRONG: 'ROOM_PASSWORD_WRONG',
  /** The room is invite-only (or a matchmade session's): the join gave no valid invite or session ticket, and its DID is not invited. */
  ROOM_INVITE_REQUIRED: 'ROOM_INVITE_REQUIRED',
  /** The room directory holds `maxRooms` rooms. */
  LOBBY_FULL: 'LOBBY_FULL',
  /** Lobby requests (room list, room creation, matchmaking, password attempts) from this address over `lobbyRateBurst` / `lobbyRatePerSec`. */
  RATE_LIMITED: 'RATE_LIMITED',

  // --- matchmaking (`POST /v1/matchmaking`) ---
  /** The matchmaking request is not `{ queue, attributes?, party? }` as documented. */
  MATCH_REQUEST_INVALID: 'MATCH_REQUEST_INVALID',
  /** No such queue: the relay's `matchQueues` has neither it nor a `*` rule. */
  MATCH_QUEUE_UNKNOWN: 'MATCH_QUEUE_UNKNOWN',
  /** The queue (`maxWaiting`), the matchmaker (`maxQueuedPlayers`) or the number of queues (`maxMatchQueues`) is full. */
  MATCH_QUEUE_FULL: 'MATCH_QUEUE_FULL',
  /** This address has `maxQueuedPerAddress` anonymous players waiting already. */
  MATCH_LIMIT: 'MATCH_LIMIT',
  /** A party member's request disagrees with the party (its size, or an attribute the queue matches on). */
  MATCH_PARTY_MISMATCH: 'MATCH_PARTY_MISMATCH',
  /** Nobody to match with within the queue's `timeoutMs`. */
  MATCH_TIMEOUT: 'MATCH_TIMEOUT',
  /** The same DID queued again (elsewhere): this wait ended; or (client side) the caller cancelled. */
  MATCH_CANCELLED: 'MATCH_CANCELLED',
  /** Client side: the matchmaking stream ended before a match (the relay restarted or went away): queue again. */
  MATCH_INTERRUPTED: 'MATCH_INTERRUPTED',
  /** A match of a host-mode queue found no registered host of its region with enough free seats: queue again later. */
  MATCH_NO_HOST: 'MATCH_NO_HOST',

  // --- host registry (`POST /v1/hosts`) ---
  /** The host registration or heartbeat is not `{ id?, region, capacity, load, endpoint? }` as documented. */
  HOST_REQUEST_INVALID: 'HOST_REQUEST_INVALID',
  /** The caller may not register as a host: neither the relay's host secret nor a DID in `hostDids`. */
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
  /** A heartbeat for a host with no open registration stream on this relay process. */
  HOST_UNKNOWN: 'HOST_UNKNOWN',
  /** The registry holds `maxHosts` live hosts already. */
  HOSTS_FULL: 'HOSTS_FULL',
  /** Client side: the host's registration stream ended (the relay restarted or went away): register again. */
  HOST_STREAM_ENDED: 'HOST_STREAM_ENDED',

  // --- PeerJS WebSocket ---
  /** No live, unused admission for this (peer id, join token) pair. */
  JOIN_TOKEN_INVALID: 'JOIN_TOKEN_INVALID',
  /** The PeerJS `key` parameter is not the relay's key. */
  INVALID_KEY: 'INVALID_KEY',
  /** The socket sent too many invalid messages (malformed, binary, forged control, unknown type). */
  TOO_MANY_INVALID_MESSAGES: 'TOO_MANY_INVALID_MESSAGES',
  /** The socket was silent for longer than `idleTimeoutMs`. */
  IDLE_TIMEOUT: 'IDLE_TIMEOUT',
  /** A WebSocket frame larger than the relay's `maxPayloadBytes`. */
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  /** The socket did not read what the relay wrote to it for `writeTimeoutMs` (slow reader). */
  WRITE_TIMEOUT: 'WRITE_TIMEOUT',
  /** Messages to this socket overflowed its queue `maxTargetStrikes` times: the relay stopped delivering to it. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** The socket signalled more distinct peer ids in one window than `maxDistinctTargetsPerWindow` (id probing). */
  TOO_MANY_TARGETS: 'TOO_MANY_TARGETS',
  /** The same identity resumed this peer id on a new socket; the old socket is closed. */
  PEER_RESUMED_ELSEWHERE: 'PEER_RESUMED_ELSEWHERE',

  // --- social: friends, the presence stream, invites ---
  /** The social graph (a player's PDS, or the AppView) cannot be read now: retry later. */
  SOCIAL_GRAPH_UNAVAILABLE: 'SOCIAL_GRAPH_UNAVAILABLE',
  /** An invite to an account that is not a friend: no mutual follow, or a block either way (one answer for both). */
  SOCIAL_NOT_FRIENDS: 'SOCIAL_NOT_FRIENDS',
  /** An invite to a friend who has no presence on this relay now (offline, or appearing offline: one answer for both). */
  SOCIAL_FRIEND_OFFLINE: 'SOCIAL_FRIEND_OFFLINE',
  /** More invites from this account than the relay's `maxInvitesPerMinute`. */
  SOCIAL_RATE_LIMITED: 'SOCIAL_RATE_LIMITED',
  /** A WATCH listing more accounts than the relay's `maxWatchedPerSocket`. */
  SOCIAL_TOO_MANY_WATCHED: 'SOCIAL_TOO_MANY_WATCHED',
  /** The relay holds `maxSocialSockets` social sockets, or this account `maxSocialSocketsPerDid`. */
  SOCIAL_FULL: 'SOCIAL_FULL',

  // --- tickets (peer-to-peer identity proof) ---
  TICKET_MALFORMED: 'TICKET_MALFORMED',
  TICKET_BAD_SIGNATURE: 'TICKET_BAD_SIGNATURE',
  TICKET_EXPIRED: 'TICKET_EXPIRED',
  TICKET_ISSUER_MISMATCH: 'TICKET_ISSUER_MISMATCH',
  TICKET_ROOM_MISMATCH: 'TICKET_ROOM_MISMATCH',
  TICKET_PEER_MISMATCH: 'TICKET_PEER_MISMATCH',
  /** A session ticket for another session, or whose holder is not one of its members. */
  TICKET_SESSION_MISMATCH: 'TICKET_SESSION_MISMATCH',
  /** The ticket binds a DTLS certificate, and the link's remote description (`a=fingerprint`) names another one. */
  TICKET_FINGERPRINT_MISMATCH: 'TICKET_FINGERPRINT_MISMATCH',

  // --- HTTP ---
  /** The request headers are larger than the relay's `maxHeaderBytes`. */
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  /** The request headers did not arrive within the relay's `headersTimeoutMs` (slowloris). */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** The request is not valid HTTP. */
  BAD_REQUEST: 'BAD_REQUEST',

  // --- generic ---
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  INTERNAL: 'INTERNAL',

  // --- client side only ---
  /** The relay could not be reached (network error). */
  RELAY_UNREACHABLE: 'RELAY_UNREACHABLE',
  /** The relay answered something that is not a valid join result or error. */
  RELAY_BAD_RESPONSE: 'RELAY_BAD_RESPONSE',
  /** The token source threw (for an ATProto session: the PDS refused to mint, e.g. a scope is missing). */
  TOKEN_SOURCE_FAILED: 'TOKEN_SOURCE_FAILED',
  /** Sign-in: the relay's DID document (`/.well-known/did.json`) could not be read. */
  RELAY_DID_UNAVAILABLE: 'RELAY_DID_UNAVAILABLE',
  /** Sign-in: the OAuth flow failed (unknown handle, the player refused consent, the PDS unreachable, ...). */
  SIGNIN_FAILED: 'SIGNIN_FAILED',
  /** The social stream is not connected (never connected, closed, or refused for good). */
  SOCIAL_NOT_CONNECTED: 'SOCIAL_NOT_CONNECTED',
  /** The player's PDS refused a session record write or delete (e.g. the `repo:` scope was not granted). */
  SESSION_RECORD_FAILED: 'SESSION_RECORD_FAILED',
} as const

/** A code of `AuthErrorCode`. */
export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode]

/** Base class of every typed error of the auth/relay layer (a `MultiuserError`, like every error of the library). */
export class MultiuserAuthError extends MultiuserError {
  /** The refusal's code. */
  declare readonly code: AuthErrorCode
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'MultiuserAuthError'
  }
}

/** `joinRoom` failed: `code` is the relay's error code (or a client-side one), `status` the HTTP status if any. */
export class JoinError extends MultiuserAuthError {
  /** The HTTP status, when the error came from an answer. */
  readonly status: number | undefined
  constructor(code: AuthErrorCode, message: string, status?: number, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'JoinError'
    this.status = status
  }
}

/** A lobby call (`listRooms`, `createRoom`, `matchmake`) failed: `code` is the relay's error code (or a client-side one), `status` the HTTP status if any. */
export class LobbyError extends MultiuserAuthError {
  /** The HTTP status of the relay's answer the error came from; undefined when there was none (relay unreachable, token source failed, an outcome of the matchmaking stream). */
  readonly status: number | undefined
  constructor(code: AuthErrorCode, message: string, status?: number, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'LobbyError'
    this.status = status
  }
}

/** A peer's ticket did not verify. */
export class TicketError extends MultiuserAuthError {
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'TicketError'
  }
}

/** A social call failed (an invite refused, the stream not connected, a session record not written): `code` says why. */
export class SocialError extends MultiuserAuthError {
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'SocialError'
  }
}

export function isAuthErrorCode(value: unknown): value is AuthErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(AuthErrorCode, value)
}
