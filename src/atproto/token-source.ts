/**
 * The token source of a signed-in player: service-auth JWTs minted by the player's PDS through their ATProto
 * session. Lives in `bitecs-multiuser/atproto` so that a game whose players are all guests never bundles
 * `@atproto/api`.
 */
import { Agent } from '@atproto/api'
import { DEFAULT_LXM, DEFAULT_SERVICE_ID } from '../auth/types.js'
import type { TokenSource } from '../auth/token-source.js'

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

