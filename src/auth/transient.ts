/**
 * Which refusals a later attempt may get past, the same for joins (the PeerJS transport) and the social stream:
 * the relay or an upstream (PLC, a DID host, a PDS, the AppView) down or busy, a token that went stale (expired,
 * already used), the lobby full or rate-limited (a room of the lobby rebuilt after a restart, password attempts). Any other refusal is final: the player's credentials or the game's settings are wrong (audience,
 * signature, scope, method, a relay that needs a token and got none, a bad room name, a full room, a friends-only
 * room), and retrying would only repeat it.
 */
import { ErrorCode, MultiuserError } from '../shared/errors.js'

const TRANSIENT = new Set<string>([
  'RELAY_UNREACHABLE', 'RELAY_BAD_RESPONSE', 'RELAY_BUSY', 'RELAY_DRAINING', 'RELAY_FULL', 'AUTH_TIMEOUT', 'INTERNAL', 'AUTH_EXPIRED',
  'AUTH_REPLAYED', 'AUTH_DID_UNAVAILABLE', 'SOCIAL_GRAPH_UNAVAILABLE', 'SOCIAL_FULL', 'LOBBY_FULL', 'RATE_LIMITED',
  ErrorCode.TRANSPORT_CLOSED,
])

/** Whether a refusal is worth another attempt; a token source that could not reach the PDS is, one the PDS refused is not. */
export function isTransientJoinError(err: MultiuserError): boolean {
  if (err.code === 'TOKEN_SOURCE_FAILED') {
    // The PDS answered and refused (a scope missing, the session revoked): final. It could not be reached: transient.
    const cause = err.cause as { code?: unknown } | undefined
    return !(cause instanceof MultiuserError && cause.code === 'TOKEN_SOURCE_FAILED')
  }
  return TRANSIENT.has(err.code)
}
