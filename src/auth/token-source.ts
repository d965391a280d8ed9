/**
 * Token sources: where a client gets the credential it presents to the relay. A token source is called on every
 * join and reconnect (and once more after a 401), so short-lived service-auth tokens are re-minted as needed.
 */
import { Agent } from '@atproto/api'
import { DEFAULT_LXM, DEFAULT_SERVICE_ID } from '../signaling/contract.js'

/** Returns a service-auth JWT for the relay, or null to join anonymously. */
export type TokenSource = () => Promise<string | null>

/** Anything `@atproto/api`'s `Agent` accepts: an `@atproto/oauth-client-browser` `OAuthSession`, a session manager... */
export type AtprotoSession = ConstructorParameters<typeof Agent>[0]

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
 * Token source backed by an ATProto session (OAuth in the browser). Calls
 * `com.atproto.server.getServiceAuth({ aud, lxm, exp })` on the user's PDS each time. The OAuth access token is
 * DPoP-bound and never leaves the client; only the resulting service-auth JWT is sent to the relay.
 *
 * OAuth scope needed (least privilege): `atproto rpc:<lxm>?aud=<relayDid>%23<serviceId>`.
 */
export function atprotoTokenSource(session: AtprotoSession, relayDid: string, opts: AtprotoTokenSourceOptions = {}): TokenSource {
  const agent = new Agent(session)
  const lxm = opts.lxm ?? DEFAULT_LXM
  const serviceId = opts.serviceId === undefined ? DEFAULT_SERVICE_ID : opts.serviceId
  const aud = serviceId === null ? relayDid : `${relayDid}#${serviceId}`
  const lifetime = opts.expiresInSec ?? 60
  return async () => {
    const exp = Math.floor(Date.now() / 1000) + lifetime
    const res = await agent.com.atproto.server.getServiceAuth({ aud, lxm, exp })
    return res.data.token
  }
}

/** Always returns the same JWT (tests, tools). A relay refuses it after its first use (jti replay protection). */
export function staticTokenSource(jwt: string): TokenSource {
  return async () => jwt
}

/** Joins without credentials; admitted only where the relay runs with `--auth optional` or `off`. */
export function anonymous(): TokenSource {
  return async () => null
}
