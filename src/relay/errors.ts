/** Relay refusals: a typed error with a stable code and its HTTP status. */
import { AuthErrorCode as ErrorCode, MultiuserAuthError } from '../shared/errors.js'

/** Internal alias of `AuthErrorCode`. */
export { ErrorCode }

const STATUS: Partial<Record<ErrorCode, number>> = {
  AUTH_MISSING: 401,
  AUTH_MALFORMED: 401,
  AUTH_BAD_SIGNATURE: 401,
  AUTH_EXPIRED: 401,
  AUTH_LIFETIME_TOO_LONG: 401,
  AUTH_IAT_FUTURE: 401,
  AUTH_NOT_YET_VALID: 401,
  AUTH_AUD_MISMATCH: 401,
  AUTH_LXM_MISMATCH: 401,
  AUTH_JTI_MISSING: 401,
  AUTH_REPLAYED: 401,
  AUTH_DID_METHOD_UNSUPPORTED: 401,
  AUTH_DID_UNRESOLVABLE: 401,
  AUTH_DID_UNAVAILABLE: 503,
  AUTH_TOKEN_IN_URL: 400,
  ROOM_INVALID: 400,
  JOIN_BODY_INVALID: 400,
  AUTH_TIMEOUT: 503,
  ROOM_FULL: 409,
  ROOM_FRIENDS_ONLY: 403,
  ROOM_POLICY_MISMATCH: 409,
  SOCIAL_GRAPH_UNAVAILABLE: 503,
  SOCIAL_FULL: 503,
  RELAY_FULL: 503,
  RELAY_BUSY: 503,
  RELAY_DRAINING: 503,
  JOIN_TOKEN_INVALID: 401,
  INVALID_KEY: 401,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  BAD_REQUEST: 400,
  ROOM_EXISTS: 409,
  ROOM_OPTIONS_INVALID: 400,
  ROOM_METADATA_TOO_LARGE: 413,
  ROOM_LIMIT: 429,
  ROOM_PASSWORD_REQUIRED: 403,
  ROOM_PASSWORD_WRONG: 403,
  ROOM_INVITE_REQUIRED: 403,
  LOBBY_FULL: 503,
  RATE_LIMITED: 429,
  MATCH_REQUEST_INVALID: 400,
  MATCH_QUEUE_UNKNOWN: 404,
  MATCH_QUEUE_FULL: 503,
  MATCH_LIMIT: 429,
  MATCH_PARTY_MISMATCH: 409,
  HOST_REQUEST_INVALID: 400,
  HOST_NOT_ALLOWED: 403,
  HOST_UNKNOWN: 404,
  HOSTS_FULL: 503,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
}

/** A refusal by the relay: an `AuthErrorCode` and the HTTP status it answers with. */
export class RelayError extends MultiuserAuthError {
  /** The HTTP status. */
  readonly status: number
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options)
    this.name = 'RelayError'
    this.status = options?.status ?? STATUS[code] ?? 500
  }
  /** The JSON error body. */
  toJSON(): { error: ErrorCode; message: string } {
    return { error: this.code, message: this.message }
  }
}
