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
  /** Sends an authenticated request to the PDS (what `@atproto/oauth-client-browser` sessions provide). */
  fetchHandler(pathname: string, init?: RequestInit): Promise<Response>
}

/** Options of {@link atprotoTokenSource}. */
export interface AtprotoTokenSourceOptions {
  /**
   * Method name the token is scoped to when the caller asks for none (joins); must match the relay's `--lxm` (default
   * `dev.bitecs.multiuser.join`). A request's `lxm` (the relay client's lobby calls) wins.
   */
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
 * service-auth JWT is sent to the relay. OAuth scope needed: {@link atprotoRelayScope}. A refusal by the PDS (or a
 * session that can no longer be used) throws `MultiuserAuthError` with code `TOKEN_SOURCE_FAILED` and the PDS's own
 * message (e.g. the missing scope): final for the transport. A PDS that cannot be reached or answers 5xx/429 throws a
 * plain error: the transport retries.
 */
export function atprotoTokenSource(session: AtprotoSession, relayDid: string, opts: AtprotoTokenSourceOptions = {}): TokenSource {
  const lxm = opts.lxm ?? DEFAULT_LXM
  const serviceId = opts.serviceId === undefined ? DEFAULT_SERVICE_ID : opts.serviceId
  const aud = serviceId === null ? relayDid : `${relayDid}#${serviceId}`
  const lifetime = opts.expiresInSec ?? 60
  return async (request) => {
    const exp = Math.floor(Date.now() / 1000) + lifetime
    const query = new URLSearchParams({ aud, lxm: request?.lxm ?? lxm, exp: String(exp) })
    let res: Response
    try {
      res = await session.fetchHandler(`/xrpc/com.atproto.server.getServiceAuth?${query}`, { method: 'GET', headers: { accept: 'application/json' } })
    } catch (e) {
      // A network failure (fetch's TypeError) may pass; anything else is the session itself (revoked, signed out).
      if (e instanceof TypeError) throw e
      throw new MultiuserAuthError(AuthErrorCode.TOKEN_SOURCE_FAILED, `the ATProto session cannot mint tokens: ${(e as Error).message}`, { cause: e })
    }
    const body = (await res.json().catch(() => ({}))) as { token?: unknown; error?: unknown; message?: unknown }
    if (res.ok && typeof body.token === 'string') return body.token
    const why = [body.error, body.message].filter((x) => typeof x === 'string').join(': ') || `HTTP ${res.status}`
    // The PDS is down or busy: worth a retry later (the transport retries anything but a MultiuserAuthError here).
    if (res.status >= 500 || res.status === 429) throw new Error(`the PDS could not mint a service-auth token now (${why})`)
    throw new MultiuserAuthError(AuthErrorCode.TOKEN_SOURCE_FAILED, `the PDS refused a service-auth token for ${aud} (${why})`)
  }
}
