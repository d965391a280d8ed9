/**
 * `joinRoom`: asks the relay for admission to a room. The service-auth JWT travels only in the `Authorization`
 * header, never in a URL. On a 401 the token source is called once more (a fresh token) before failing.
 */
import { AuthErrorCode as ErrorCode, JoinError, isAuthErrorCode } from '../shared/errors.js'
import { isRecord } from '../signaling/jwt-parts.js'
import type { TokenSource } from './token-source.js'
import type { JoinRequestBody, JoinResult, RoomCredentials } from '../signaling/contract.js'

/** Options of {@link joinRoom}. */
export interface JoinRoomOptions {
  /** fetch implementation (default: global fetch). */
  fetch?: typeof fetch
  /** Aborts the join request. */
  signal?: AbortSignal
  /**
   * Ask to keep a previous peer id after the relay socket dropped: pass the previous join's `peerId` and its private
   * `resumeToken`. Honoured for the same room and the same identity (the same DID, or anonymous again); otherwise
   * the relay assigns a new id, so compare `result.peerId`.
   */
  resume?: { peerId: string; token: string }
  /** What a room of the lobby may need: its `password`, an `invite` token, or a match's `session` ticket. */
  credentials?: RoomCredentials
  /** The DTLS certificate fingerprint (`sha-256 AB:CD:…`) this peer's connections will use: the relay signs it into the ticket. */
  fingerprint?: string
  /** Create the room friends only: the relay then admits only your friends (needs a signed-in player). */
  friendsOnly?: boolean
}

/** Builds `<relay>/v1/rooms/<room>/join`, keeping any path prefix of the relay URL. */
export function joinUrl(relayUrl: string, room: string): string {
  const base = new URL(relayUrl)
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  base.search = ''
  base.hash = ''
  return new URL(`v1/rooms/${encodeURIComponent(room)}/join`, base).href
}

/** Joins `room` at the relay: mints a token with `tokenSource`, posts it, and returns the admission (peer id, join token, ticket, roster, ICE servers). */
export async function joinRoom(relayUrl: string, room: string, tokenSource: TokenSource, opts: JoinRoomOptions = {}): Promise<JoinResult> {
  const doFetch = opts.fetch ?? fetch
  const url = joinUrl(relayUrl, room)
  let lastError: JoinError | undefined
  for (let attempt = 0; attempt < 2; attempt++) {
    let token: string | null
    try {
      token = await tokenSource()
    } catch (err) {
      throw new JoinError(ErrorCode.TOKEN_SOURCE_FAILED, `token source failed: ${errorMessage(err)}`, undefined, { cause: err })
    }
    const headers: Record<string, string> = { accept: 'application/json' }
    if (token !== null) headers.authorization = `Bearer ${token}`
    let body: string | undefined
    const request: JoinRequestBody = {
      ...(opts.resume ? { resume: { peerId: opts.resume.peerId, token: opts.resume.token } } : {}),
      ...(opts.fingerprint ? { fingerprint: opts.fingerprint } : {}),
      ...(opts.friendsOnly ? { friendsOnly: true } : {}),
      ...(opts.credentials?.password !== undefined ? { password: opts.credentials.password } : {}),
      ...(opts.credentials?.invite !== undefined ? { invite: opts.credentials.invite } : {}),
      ...(opts.credentials?.session !== undefined ? { session: opts.credentials.session } : {}),
    }
    if (Object.keys(request).length > 0) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(request)
    }
    let res: Response
    try {
      res = await doFetch(url, { method: 'POST', headers, body, signal: opts.signal, redirect: 'error', credentials: 'omit' })
    } catch (err) {
      throw new JoinError(ErrorCode.RELAY_UNREACHABLE, `cannot reach the relay at ${url}: ${errorMessage(err)}`, undefined, { cause: err })
    }
    let answer: unknown
    try {
      answer = await res.json()
    } catch (err) {
      throw new JoinError(ErrorCode.RELAY_BAD_RESPONSE, `the relay at ${url} answered ${res.status} with a non-JSON body`, res.status, { cause: err })
    }
    if (res.ok) {
      if (!isJoinResult(answer)) throw new JoinError(ErrorCode.RELAY_BAD_RESPONSE, `the relay at ${url} answered an invalid join result`, res.status)
      return answer
    }
    const code = isRecord(answer) && isAuthErrorCode(answer.error) ? answer.error : ErrorCode.RELAY_BAD_RESPONSE
    const message = isRecord(answer) && typeof answer.message === 'string' ? answer.message : `relay answered ${res.status}`
    lastError = new JoinError(code, message, res.status)
    if (res.status !== 401) throw lastError
  }
  throw lastError ?? new JoinError(ErrorCode.INTERNAL, 'unreachable')
}

function isJoinResult(v: unknown): v is JoinResult {
  return (
    isRecord(v) &&
    typeof v.peerId === 'string' &&
    typeof v.joinToken === 'string' &&
    typeof v.ticket === 'string' &&
    typeof v.resumeToken === 'string' &&
    typeof v.admittedAt === 'number' &&
    Array.isArray(v.roster) &&
    isRecord(v.peerjs) &&
    typeof v.peerjs.host === 'string' &&
    typeof v.peerjs.port === 'number'
  )
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
