/**
 * Verification of ATProto service-auth JWTs presented to the relay. Everything that needs no key is checked first,
 * so a token that fails it never costs a DID document fetch: the header (`alg` ES256/ES256K), the signature's shape
 * (64 bytes, low-S), `iss` (a bare DID of an accepted method: service identities such as `did#atproto_labeler` are
 * refused, they are not players), `aud` (`<did>` or `<did>#<serviceId>`), `lxm`, `exp`, `iat` (required, not in the
 * future), `nbf` (not in the future), a bounded lifetime and `jti`. Then `verifyJwt` from `@atproto/xrpc-server`
 * checks the signature against the issuer's `#atproto` key (refreshing it once on a mismatch, also when the key
 * type changed), and the `jti` is refused if seen before.
 */
import { verifyJwt } from '@atproto/xrpc-server'
import { decodeJwt, type JwtParts } from '../signaling/jwt-parts.js'
import type { BeforeFetch, DidKeyResolver } from './did-key-cache.js'
import { ErrorCode, RelayError } from './errors.js'
import type { ReplayCache } from './replay-cache.js'
import { signatureShapeError, verifyEcdsa } from './signature.js'

export interface VerifiedToken {
  did: string
  /** The handle the issuer's DID document claims (unverified). */
  claimedHandle?: string
  jti: string
  exp: number
}

export interface TokenVerifierOptions {
  serviceDid: string
  serviceId: string
  lxm: string
  allowMissingLxm: boolean
  didMethods: string[]
  clockSkewSec: number
  maxTokenLifetimeSec: number
  keys: DidKeyResolver
  replay: ReplayCache
  now?: () => number
}

const XRPC_CODES: Record<string, ErrorCode> = {
  BadJwt: ErrorCode.AUTH_MALFORMED,
  BadJwtType: ErrorCode.AUTH_MALFORMED,
  BadJwtIss: ErrorCode.AUTH_MALFORMED,
  JwtExpired: ErrorCode.AUTH_EXPIRED,
  BadJwtAudience: ErrorCode.AUTH_AUD_MISMATCH,
  BadJwtLexiconMethod: ErrorCode.AUTH_LXM_MISMATCH,
  BadJwtSignature: ErrorCode.AUTH_BAD_SIGNATURE,
}

/** Verifies a token; `beforeFetch` is called before the issuer key is waited on (a cached key does not call it). */
export type TokenVerifier = (jwt: string, beforeFetch?: BeforeFetch) => Promise<VerifiedToken>

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const now = opts.now ?? Date.now
  const auds = new Set([opts.serviceDid, `${opts.serviceDid}#${opts.serviceId}`])
  return async (jwt, beforeFetch) => {
    let parts: JwtParts
    try {
      parts = decodeJwt(jwt)
    } catch (err) {
      throw new RelayError(ErrorCode.AUTH_MALFORMED, 'Authorization is not a JWT', { cause: err })
    }
    const { iss, aud, exp, iat, nbf, lxm, jti } = parts.payload
    if (typeof iss !== 'string' || typeof aud !== 'string' || typeof exp !== 'number') {
      throw new RelayError(ErrorCode.AUTH_MALFORMED, 'JWT lacks iss, aud or exp')
    }
    if (typeof iat !== 'number') throw new RelayError(ErrorCode.AUTH_MALFORMED, 'JWT lacks iat')
    if (nbf !== undefined && typeof nbf !== 'number') throw new RelayError(ErrorCode.AUTH_MALFORMED, 'nbf is not a number')
    const nowSec = now() / 1000
    // Cheap checks first (no network).
    if (nowSec > exp) throw new RelayError(ErrorCode.AUTH_EXPIRED, 'token expired')
    if (!auds.has(aud)) throw new RelayError(ErrorCode.AUTH_AUD_MISMATCH, `token audience must be ${opts.serviceDid} or ${opts.serviceDid}#${opts.serviceId}`)
    if (lxm === undefined ? !opts.allowMissingLxm : lxm !== opts.lxm) {
      throw new RelayError(ErrorCode.AUTH_LXM_MISMATCH, `token must be scoped to lxm ${opts.lxm}`)
    }
    if (iat > nowSec + opts.clockSkewSec) throw new RelayError(ErrorCode.AUTH_IAT_FUTURE, 'token issued in the future')
    if (typeof nbf === 'number' && nbf > nowSec + opts.clockSkewSec) throw new RelayError(ErrorCode.AUTH_NOT_YET_VALID, 'token not valid yet (nbf)')
    if (exp - nowSec > opts.maxTokenLifetimeSec) {
      throw new RelayError(ErrorCode.AUTH_LIFETIME_TOO_LONG, `token lifetime exceeds ${opts.maxTokenLifetimeSec} s`)
    }
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new RelayError(ErrorCode.AUTH_JTI_MISSING, 'token has no jti')
    if (iss.includes('#')) throw new RelayError(ErrorCode.AUTH_MALFORMED, 'iss must be a bare DID: service identities (did#service) cannot join')
    const did = iss
    const method = /^did:([a-z0-9]+):/.exec(did)?.[1]
    if (!method || !opts.didMethods.includes(method)) {
      throw new RelayError(ErrorCode.AUTH_DID_METHOD_UNSUPPORTED, `DID method of ${did} is not accepted`)
    }
    const shape = signatureShapeError(parts.header.alg, parts.signature)
    if (shape) throw new RelayError(ErrorCode.AUTH_BAD_SIGNATURE, shape)

    let claimedHandle: string | undefined
    let verified: Awaited<ReturnType<typeof verifyJwt>>
    try {
      verified = await verifyJwt(
        jwt,
        aud,
        lxm === undefined ? null : opts.lxm,
        async (_iss, forceRefresh) => {
          const identity = await opts.keys.resolve(did, forceRefresh, beforeFetch)
          claimedHandle = identity.claimedHandle
          return identity.signingKey
        },
        verifyEcdsa,
      )
    } catch (err) {
      if (err instanceof RelayError) throw err
      const name = (err as { customErrorName?: string }).customErrorName
      const code = (name && XRPC_CODES[name]) || ErrorCode.AUTH_MALFORMED
      throw new RelayError(code, (err as Error).message, { cause: err })
    }

    const check = await opts.replay.checkAndStore(`${did} ${jti}`, verified.exp * 1000)
    if (check === 'replayed') throw new RelayError(ErrorCode.AUTH_REPLAYED, 'token already used')
    if (check === 'full') throw new RelayError(ErrorCode.RELAY_BUSY, 'replay cache full, try again later')
    const result: VerifiedToken = { did, jti, exp: verified.exp }
    if (claimedHandle) result.claimedHandle = claimedHandle
    return result
  }
}
