/**
 * The token source of a signed-in player: service-auth JWTs minted by the player's PDS
 * (`com.atproto.server.getServiceAuth`) through their ATProto session. Lives in `bitecs-multiuser/atproto` so that
 * a game whose players are all guests never bundles ATProto code; it calls the PDS through the session's own
 * `fetchHandler` (DPoP and refresh included), without `@atproto/api`.
 */
import { AuthErrorCode, MultiuserAuthError } from '../shared/errors.js'
import { DEFAULT_LXM, DEFAULT_SERVICE_ID } from '../signaling/contract.js'
import type { TokenSource } from '../auth/token-source.js'

/**
 * An authenticated ATProto session: an `@atproto/oauth-client-browser` `OAuthSession`, or any session manager of
 * `@atproto/api` (e.g. `agent.sessionManager` of a password login).
 */
export interface AtprotoSession {
  fetchHandler(pathname: string, init?: RequestInit): Promise<Response>
}

export interface AtprotoTokenSourceOptions {
  /** Method name the token is scoped to; must match the relay's `--lxm` (default `dev.bitecs.multiuser.join`). */
  lxm?: string
  /**
   * Service id of the relay's DID document entry; the token's `aud` is `<relayDid>#<serviceId>` (default
   * `bitecs_relay`). Set to null to use the bare relay DID as `aud` (needs a broader OAuth scope).
   */
  serviceId?: string | null
  /** Token lifetime in seconds (default 60; the relay refuses more than its `maxTokenLifetimeSec`). */
  expiresInSec?: number
}

/**
 * Token source backed by an ATProto session. Calls `com.atproto.server.getServiceAuth({ aud, lxm, exp })` on the
 * user's PDS each time. The OAuth access token is DPoP-bound and never leaves the client; only the resulting
 * service-auth JWT is sent to the relay. OAuth scope needed: {@link atprotoRelayScope}. A refusal by the PDS throws
 * `MultiuserAuthError` with code `TOKEN_SOURCE_FAILED` and the PDS's own message (e.g. the missing scope).
 */
export function atprotoTokenSource(session: AtprotoSession, relayDid: string, opts: AtprotoTokenSourceOptions = {}): TokenSource {
  const lxm = opts.lxm ?? DEFAULT_LXM
  const serviceId = opts.serviceId === undefined ? DEFAULT_SERVICE_ID : opts.serviceId
  const aud = serviceId === null ? relayDid : `${relayDid}#${serviceId}`
  const lifetime = opts.expiresInSec ?? 60
  return async () => {
    const exp = Math.floor(Date.now() / 1000) + lifetime
    const query = new URLSearchParams({ aud, lxm, exp: String(exp) })
    const res = await session.fetchHandler(`/xrpc/com.atproto.server.getServiceAuth?${query}`, { method: 'GET', headers: { accept: 'application/json' } })
    const body = (await res.json().catch(() => ({}))) as { token?: unknown; error?: unknown; message?: unknown }
    if (res.ok && typeof body.token === 'string') return body.token
    const why = [body.error, body.message].filter((x) => typeof x === 'string').join(': ') || `HTTP ${res.status}`
    throw new MultiuserAuthError(AuthErrorCode.TOKEN_SOURCE_FAILED, `the PDS refused a service-auth token for ${aud} (${why})`)
  }
}
