/**
 * The lobby calls of the relay's HTTP API (README "Lobbies and matchmaking"): the room list, creating a room, and
 * matchmaking, whose answer is an event stream read here with `fetch` (an `EventSource` cannot send the
 * Authorization header). Tokens are asked of the token source for the relay's lobby method (`lxm`), in the
 * `Authorization` header only; on a 401 the source is asked once more. Failures are `LobbyError`s with the relay's
 * code (or `RELAY_UNREACHABLE`, `RELAY_BAD_RESPONSE`, `TOKEN_SOURCE_FAILED`, `MATCH_INTERRUPTED`, `MATCH_CANCELLED`).
 */
import { AuthErrorCode as ErrorCode, LobbyError, isAuthErrorCode } from '../shared/errors.js'
import type { CreatedRoom, CreateRoomRequest, ListRoomsQuery, Match, MatchRequest, RoomList } from '../signaling/contract.js'
import { isRecord } from '../signaling/jwt-parts.js'
import { readEvents, type ServerSentEvent } from './event-stream.js'
import type { TokenSource } from './token-source.js'

export interface LobbyCallOptions {
  fetch: typeof fetch
  token: TokenSource
  /** The relay's lobby method (`lxm`) tokens are asked for. */
  lxm: string
  signal?: AbortSignal
}

/** Options of one `matchmake` call (the relay client's `relay.matchmake(request, options)`). */
export interface MatchmakeOptions {
  /** Aborting it cancels the wait (the promise rejects with `MATCH_CANCELLED`). */
  signal?: AbortSignal
  /** Called once the relay queued the request, with the ticket id (the member id the match will name). */
  onQueued?: (ticket: string) => void
}

/** `<relay>/<path>`, keeping any path prefix of the relay URL. */
export function lobbyUrl(relayUrl: string, path: string): URL {
  const base = new URL(relayUrl)
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  base.search = ''
  base.hash = ''
  return new URL(path, base)
}

export const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

export async function errorOf(res: Response, url: URL): Promise<LobbyError> {
  const body = (await res.json().catch(() => null)) as unknown
  const code = isRecord(body) && isAuthErrorCode(body.error) ? body.error : ErrorCode.RELAY_BAD_RESPONSE
  const text = isRecord(body) && typeof body.message === 'string' ? body.message : `the relay at ${url.href} answered ${res.status}`
  return new LobbyError(code, text, res.status)
}

/** One authenticated lobby request, retried once with a fresh token after a 401. Resolves with the OK response. */
async function send(url: URL, init: RequestInit, o: LobbyCallOptions, authenticated: boolean): Promise<Response> {
  let last: LobbyError | undefined
  for (let attempt = 0; attempt < (authenticated ? 2 : 1); attempt++) {
    const headers: Record<string, string> = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) }
    if (authenticated) {
      let token: string | null
      try {
        token = await o.token({ lxm: o.lxm })
      } catch (err) {
        throw new LobbyError(ErrorCode.TOKEN_SOURCE_FAILED, `token source failed: ${message(err)}`, undefined, { cause: err })
      }
      if (token !== null) headers.authorization = `Bearer ${token}`
    }
    let res: Response
    try {
      res = await o.fetch(url.href, { ...init, headers, signal: o.signal, redirect: 'error', credentials: 'omit' })
    } catch (err) {
      if (o.signal?.aborted) throw new LobbyError(ErrorCode.MATCH_CANCELLED, 'cancelled', undefined, { cause: err })
      throw new LobbyError(ErrorCode.RELAY_UNREACHABLE, `cannot reach the relay at ${url.href}: ${message(err)}`, undefined, { cause: err })
    }
    if (res.ok) return res
    last = await errorOf(res, url)
    if (res.status !== 401) throw last
  }
  throw last!
}

async function json<T>(res: Response, url: URL, valid: (v: unknown) => boolean): Promise<T> {
  const body = (await res.json().catch(() => undefined)) as unknown
  if (!valid(body)) throw new LobbyError(ErrorCode.RELAY_BAD_RESPONSE, `the relay at ${url.href} answered an invalid lobby result`, res.status)
  return body as T
}

/** `GET /v1/rooms`: one page of public rooms (no token is sent). */
export async function listRooms(relayUrl: string, query: ListRoomsQuery, o: LobbyCallOptions): Promise<RoomList> {
  const url = lobbyUrl(relayUrl, 'v1/rooms')
  if (query.limit !== undefined) url.searchParams.set('limit', String(query.limit))
  if (query.cursor !== undefined) url.searchParams.set('cursor', query.cursor)
  if (query.available !== undefined) url.searchParams.set('available', query.available ? '1' : '0')
  if (query.access !== undefined) url.searchParams.set('access', query.access)
  for (const [k, v] of Object.entries(query.metadata ?? {})) url.searchParams.set(`meta.${k}`, String(v))
  const res = await send(url, { method: 'GET' }, o, false)
  return json<RoomList>(res, url, (v) => isRecord(v) && Array.isArray(v.rooms) && (v.next === null || typeof v.next === 'string'))
}

/** `POST /v1/rooms`: creates a room with options. */
export async function createRoom(relayUrl: string, request: CreateRoomRequest, o: LobbyCallOptions): Promise<CreatedRoom> {
  const url = lobbyUrl(relayUrl, 'v1/rooms')
  const res = await send(url, { method: 'POST', body: JSON.stringify(request) }, o, true)
  return json<CreatedRoom>(res, url, (v) => isRecord(v) && typeof v.name === 'string' && typeof v.maxPlayers === 'number')
}

/** `POST /v1/matchmaking`: queues, and resolves with the match from the event stream. */
export async function matchmake(relayUrl: string, request: MatchRequest, o: LobbyCallOptions, m: MatchmakeOptions = {}): Promise<Match> {
  const url = lobbyUrl(relayUrl, 'v1/matchmaking')
  const signal = m.signal
  const res = await send(url, { method: 'POST', body: JSON.stringify(request) }, { ...o, signal }, true)
  if (!res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    throw new LobbyError(ErrorCode.RELAY_BAD_RESPONSE, `the relay at ${url.href} did not answer an event stream`, res.status)
  }
  const events = readEvents(res.body)
  for (;;) {
    let next: IteratorResult<ServerSentEvent>
    try {
      next = await events.next()
    } catch (err) {
      if (signal?.aborted) throw new LobbyError(ErrorCode.MATCH_CANCELLED, 'cancelled', undefined, { cause: err })
      throw new LobbyError(ErrorCode.MATCH_INTERRUPTED, `the matchmaking stream broke: ${message(err)}; queue again`, undefined, { cause: err })
    }
    if (next.done) throw new LobbyError(ErrorCode.MATCH_INTERRUPTED, 'the matchmaking stream ended before a match (the relay restarted or went away); queue again')
    const event = next.value
    if (event.name === 'queued' && isRecord(event.data) && typeof event.data.ticket === 'string') m.onQueued?.(event.data.ticket)
    else if (event.name === 'matched' && isRecord(event.data) && typeof event.data.room === 'string' && typeof event.data.ticket === 'string') {
      void events.return(undefined)
      return event.data as unknown as Match
    } else if (event.name === 'timeout' || event.name === 'cancelled') {
      void events.return(undefined)
      const d = isRecord(event.data) ? event.data : {}
      const code = isAuthErrorCode(d.error) ? d.error : event.name === 'timeout' ? ErrorCode.MATCH_TIMEOUT : ErrorCode.MATCH_CANCELLED
      throw new LobbyError(code, typeof d.message === 'string' ? d.message : event.name)
    }
  }
}

