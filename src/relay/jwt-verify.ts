/**
 * Verification of ATProto service-auth JWTs presented to the relay. `verifyJwt` from `@atproto/xrpc-server` checks
 * structure, `exp`, `aud`, `lxm` and the signature against the issuer's `#atproto` key (refreshing it once on a
 * mismatch); this module adds what it leaves to the caller: two accepted audiences (`<did>` and
 * `<did>#<serviceId>`), `iat` not in the future, a bounded lifetime, accepted DID methods, `jti` replay refusal,
 * and a refresh also when the issuer's key type changed (where `verifyJwt` would throw instead).
 */
import { verifyJwt } from '@atproto/xrpc-server'
import { decodeJwt } from '../signaling/jwt-parts.js'
import type { DidKeyResolver } from './did-key-cache.js'
import { ErrorCode, RelayError } from './errors.js'
import type { ReplayCache } from './replay-cache.js'
import { verifyEcdsa } from './signature.js'

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

export function createTokenVerifier(opts: TokenVerifierOptions): (jwt: string) => Promise<VerifiedToken> {
  const now = opts.now ?? Date.now
  const auds = new Set([opts.serviceDid, `${opts.serviceDid}#${opts.serviceId}`])
  return async (jwt: string) => {
    let payload: Record<string, unknown>
    try {
      payload = decodeJwt(jwt).payload
    } catch (err) {
      throw new RelayError(ErrorCode.AUTH_MALFORMED, 'Authorization is not a JWT', { cause: err })
    }
    const { iss, aud, exp, iat, lxm, jti } = payload
    if (typeof iss !== 'string' || typeof aud !== 'string' || typeof exp !== 'number') {
      throw new RelayError(ErrorCode.AUTH_MALFORMED, 'JWT lacks iss, aud or exp')
    }
    const nowSec = now() / 1000
    // Cheap checks first (no network).
    if (nowSec > exp) throw new RelayError(ErrorCode.AUTH_EXPIRED, 'token expired')
    if (!auds.has(aud)) throw new RelayError(ErrorCode.AUTH_AUD_MISMATCH, `token audience must be ${opts.serviceDid} or ${opts.serviceDid}#${opts.serviceId}`)
    if (lxm === undefined ? !opts.allowMissingLxm : lxm !== opts.lxm) {
      throw new RelayError(ErrorCode.AUTH_LXM_MISMATCH, `token must be scoped to lxm ${opts.lxm}`)
    }
    if (iat !== undefined && typeof iat !== 'number') throw new RelayError(ErrorCode.AUTH_MALFORMED, 'iat is not a number')
    if (typeof iat === 'number' && iat > nowSec + opts.clockSkewSec) throw new RelayError(ErrorCode.AUTH_IAT_FUTURE, 'token issued in the future')
    if (exp - nowSec > opts.maxTokenLifetimeSec) {
      throw new RelayError(ErrorCode.AUTH_LIFETIME_TOO_LONG, `token lifetime exceeds ${opts.maxTokenLifetimeSec} s`)
    }
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new RelayError(ErrorCode.AUTH_JTI_MISSING, 'token has no jti')
    const did = iss.split('#')[0]
    const method = /^did:([a-z0-9]+):/.exec(did)?.[1]
    if (!method || !opts.didMethods.includes(method)) {
      throw new RelayError(ErrorCode.AUTH_DID_METHOD_UNSUPPORTED, `DID method of ${did} is not accepted`)
    }

    let claimedHandle: string | undefined
    let verified: Awaited<ReturnType<typeof verifyJwt>>
    try {
      verified = await verifyJwt(
        jwt,
        aud,
        lxm === undefined ? null : opts.lxm,
        async (_iss, forceRefresh) => {
          const identity = await opts.keys.resolve(did, forceRefresh)
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
