/**
 * Who is calling: the service-auth JWT of a request (join or lobby call), read and verified the same way for every
 * route. `bearerToken` reads the one `Authorization: Bearer` header as the relay's `auth` mode wants it (no network);
 * `verifyCaller` verifies it within `handshakeTimeoutMs`, taking a place in the handshake budget (relay-wide and per
 * client address) only when the issuer key or the handle has to be fetched.
 */
import type { IncomingMessage } from 'node:http'
import type { RelayContext } from './context.js'
import { withDeadline } from './deadline.js'
import { ErrorCode, RelayError } from './errors.js'
import { handshakeGate } from './handshake-budget.js'
import type { TokenVerifier } from './jwt-verify.js'

/**
 * The bearer token of a request, or null (anonymous). Throws `AUTH_MALFORMED` (repeated header: a proxy may read
 * another one; not `Bearer <jwt>`; too long) and `AUTH_MISSING` (none while `auth` is `required`). With `auth: 'off'`
 * a header is ignored.
 */
export function bearerToken(ctx: RelayContext, req: IncomingMessage): string | null {
  const authorization = req.headersDistinct.authorization ?? []
  if (authorization.length > 1) throw new RelayError(ErrorCode.AUTH_MALFORMED, 'more than one Authorization header')
  const header = authorization[0]
  const mode = ctx.opts.auth
  let jwt: string | null = null
  if (header !== undefined && mode !== 'off') {
    const m = /^Bearer ([^\s]+)$/i.exec(header.trim())
    if (!m) throw new RelayError(ErrorCode.AUTH_MALFORMED, 'Authorization must be "Bearer <jwt>"')
    if (m[1].length > ctx.opts.maxTokenBytes) throw new RelayError(ErrorCode.AUTH_MALFORMED, `token longer than ${ctx.opts.maxTokenBytes} bytes`)
    jwt = m[1]
  }
  if (jwt === null && mode === 'required') throw new RelayError(ErrorCode.AUTH_MISSING, 'this relay requires an ATProto service-auth token (Authorization: Bearer)')
  return jwt
}

/** Verifies `jwt` with `verify` (the join's or the lobby's `lxm`), and the claimed handle when `withHandle`. */
export async function verifyCaller(ctx: RelayContext, req: IncomingMessage, jwt: string, verify: TokenVerifier, withHandle: boolean): Promise<{ did: string; handle?: string }> {
  const gate = handshakeGate(ctx.handshakes, ctx.clientAddress(req), (scope) => ctx.metrics.handshakesLimited.inc({ scope }))
  try {
    const verification = (async () => {
      const verified = await verify(jwt, gate.enter)
      const handle = withHandle ? await ctx.handles.verify(verified.did, verified.claimedHandle, gate.enter) : undefined
      return { did: verified.did, ...(handle ? { handle } : {}) }
    })()
    const ms = ctx.opts.handshakeTimeoutMs
    return await withDeadline(verification, ms, () => new RelayError(ErrorCode.AUTH_TIMEOUT, `verification took longer than ${ms} ms`))
  } finally {
    gate.release()
  }
}
