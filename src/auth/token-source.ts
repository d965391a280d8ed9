/**
 * Token sources: where a client gets the credential it presents to the relay. A token source is called on every
 * join and reconnect (and once more after a 401), so short-lived service-auth tokens are re-minted as needed.
 */

/**
 * What a token is asked for: the method (`lxm`) it must be scoped to. Joins ask with none (the source's own, the
 * relay's join method); lobby calls ask for the relay's lobby method (`DEFAULT_LOBBY_LXM` unless the relay set another).
 */
export interface TokenRequest {
  /** The method (an NSID) the token must be scoped to. */
  lxm: string
}

/**
 * Returns a service-auth JWT for the relay, or null to go anonymously. A source that mints tokens honours
 * `request.lxm` when given (`atprotoTokenSource` does); one that cannot may ignore it, and the relay then refuses
 * lobby calls with `AUTH_LXM_MISMATCH`.
 */
export type TokenSource = (request?: TokenRequest) => Promise<string | null>

/** Always returns the same JWT (tests, tools). A relay refuses it after its first use (jti replay protection). */
export function staticTokenSource(jwt: string): TokenSource {
  return async () => jwt
}

/** Joins without credentials; admitted only where the relay runs with `--auth optional` or `off`. */
export function anonymous(): TokenSource {
  return async () => null
}
