/**
 * Token sources: where a client gets the credential it presents to the relay. A token source is called on every
 * join and reconnect (and once more after a 401), so short-lived service-auth tokens are re-minted as needed.
 */

/** Returns a service-auth JWT for the relay, or null to join anonymously. */
export type TokenSource = () => Promise<string | null>

/** Always returns the same JWT (tests, tools). A relay refuses it after its first use (jti replay protection). */
export function staticTokenSource(jwt: string): TokenSource {
  return async () => jwt
}

/** Joins without credentials; admitted only where the relay runs with `--auth optional` or `off`. */
export function anonymous(): TokenSource {
  return async () => null
}
