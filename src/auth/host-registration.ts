/**
 * A host's side of the relay's host registry (README "Hand-off to hosts"): `registerHost` opens the registration
 * stream (`POST /v1/hosts`), heartbeats the host's load (`POST /v1/hosts/heartbeat`) every `heartbeatMs`, and hands
 * each session the relay picked this host for to `onSession`; `close()` leaves (`POST /v1/hosts/leave`). The registration lasts until `close()` or until the
 * stream ends (`ended` then settles: the relay restarted or went away; register again). Browser-safe (fetch only).
 */
import { AuthErrorCode as ErrorCode, LobbyError } from '../shared/errors.js'
import { DEFAULT_LOBBY_LXM, type HostAnnouncementBody, type HostSession } from '../signaling/contract.js'
import { isRecord } from '../signaling/jwt-parts.js'
import { readEvents } from './event-stream.js'
import { errorOf, lobbyUrl, message } from './lobby.js'
import type { TokenSource } from './token-source.js'

/** Options of {@link registerHost}. */
export interface RegisterHostOptions {
  /** The relay's URL. */
  relay: string
  /** How the host authenticates: the relay's host secret (`--host-secret-file`) ... */
  secret?: string
  /** ... or a token source of a DID the relay lists in `--host-dids` (asked for `lxm`). */
  token?: TokenSource
  /** The relay's lobby method the token is asked for. Default `dev.bitecs.multiuser.lobby`. */
  lxm?: string
  /** The host's id: required with `secret`; with `token` it is the DID (leave it out). */
  id?: string
  /** The region it serves (matched with the players' `region` attribute). Default `''`. */
  region?: string
  /** Players it can hold. */
  capacity: number
  /** Players it holds now, read for each heartbeat. Default: 0. */
  load?: () => number
  /** Where clients reach it, when not through the session's room. */
  endpoint?: string
  /** Heartbeat period, ms. Default: a third of the relay's `hostTtlMs`. */
  heartbeatMs?: number
  /** Each session handed to this host: join `room` with `{ session: ticket }` and admit only `members`. */
  onSession: (session: HostSession) => void
  /** A heartbeat the relay refused or could not take (the registration goes on until the stream ends). */
  onError?: (error: LobbyError) => void
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch
}

/** A live registration, from {@link registerHost}. */
export interface HostRegistration {
  /** The id the relay registered (the DID with a token). */
  readonly id: string
  /** Settles when the registration ended: with null after `close()`, else the error that ended it (`HOST_STREAM_ENDED`, ...). */
  readonly ended: Promise<LobbyError | null>
  /** Unregisters (tells the relay, which forgets the host at once, and closes the stream). */
  close(): void
}

/** Registers a host with the relay; resolves once the relay confirmed (`registered`), rejects with a `LobbyError`. */
export async function registerHost(o: RegisterHostOptions): Promise<HostRegistration> {
  const doFetch = o.fetch ?? globalThis.fetch.bind(globalThis)
  const base = lobbyUrl(o.relay, '')
  const authorization = async (): Promise<string> => {
    if (o.secret !== undefined) return `HostSecret ${o.secret}`
    if (!o.token) throw new LobbyError(ErrorCode.HOST_NOT_ALLOWED, 'registerHost needs the relay\'s host secret or a token source')
    let token: string | null
    try {
      token = await o.token({ lxm: o.lxm ?? DEFAULT_LOBBY_LXM })
    } catch (err) {
      throw new LobbyError(ErrorCode.TOKEN_SOURCE_FAILED, `token source failed: ${message(err)}`, undefined, { cause: err })
    }
    if (token === null) throw new LobbyError(ErrorCode.HOST_NOT_ALLOWED, 'the token source gave no token: a host registers with its DID or the host secret')
    return `Bearer ${token}`
  }
  const body = (): HostAnnouncementBody => ({
    ...(o.id !== undefined ? { id: o.id } : {}),
    region: o.region ?? '',
    capacity: o.capacity,
    load: o.load?.() ?? 0,
    ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
  })
  const post = async (path: string, signal?: AbortSignal): Promise<Response> => {
    let res: Response
    try {
      res = await doFetch(lobbyUrl(o.relay, path).href, {
        method: 'POST', body: JSON.stringify(body()), signal, redirect: 'error', credentials: 'omit',
        headers: { 'content-type': 'application/json', authorization: await authorization() },
      })
    } catch (err) {
      if (err instanceof LobbyError) throw err
      throw new LobbyError(ErrorCode.RELAY_UNREACHABLE, `cannot reach the relay at ${base.href}: ${message(err)}`, undefined, { cause: err })
    }
    if (res.ok) return res
    throw await errorOf(res, lobbyUrl(o.relay, path))
  }

  const abort = new AbortController()
  const res = await post('v1/hosts', abort.signal)
  if (!res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) throw new LobbyError(ErrorCode.RELAY_BAD_RESPONSE, `the relay at ${base.href} did not answer an event stream`, res.status)
  const events = readEvents(res.body)
  const first = await events.next().catch((err: unknown) => {
    throw new LobbyError(ErrorCode.HOST_STREAM_ENDED, `the host registration stream broke: ${message(err)}`, undefined, { cause: err })
  })
  if (first.done || first.value.name !== 'registered' || !isRecord(first.value.data) || typeof first.value.data.id !== 'string') {
    abort.abort()
    throw new LobbyError(ErrorCode.RELAY_BAD_RESPONSE, 'the relay did not confirm the host registration')
  }
  const id = first.value.data.id
  const ttlMs = typeof first.value.data.ttlMs === 'number' ? first.value.data.ttlMs : 15_000
  const heartbeat = setInterval(() => {
    post('v1/hosts/heartbeat').then((r) => r.body?.cancel(), (err: unknown) => o.onError?.(err as LobbyError))
  }, o.heartbeatMs ?? Math.max(100, Math.floor(ttlMs / 3)))
  let closed = false
  let onClose: (v: null) => void = () => {}
  const closing = new Promise<null>((resolve) => (onClose = resolve))
  const streamEnd = (async (): Promise<LobbyError | null> => {
    try {
      for await (const e of events) {
        if (e.name === 'session' && isRecord(e.data) && typeof e.data.room === 'string' && typeof e.data.ticket === 'string') o.onSession(e.data as unknown as HostSession)
      }
      return closed ? null : new LobbyError(ErrorCode.HOST_STREAM_ENDED, 'the relay ended the host registration (it restarted or went away): register again')
    } catch (err) {
      return closed ? null : new LobbyError(ErrorCode.HOST_STREAM_ENDED, `the host registration stream broke: ${message(err)}; register again`, undefined, { cause: err })
    } finally {
      clearInterval(heartbeat)
    }
  })()
  return {
    id,
    ended: Promise.race([streamEnd, closing]),
    close() {
      closed = true
      clearInterval(heartbeat)
      // Said outright: the relay may see the stream's close only much later.
      post('v1/hosts/leave').then((r) => r.body?.cancel(), () => {}).finally(() => abort.abort())
      onClose(null)
    },
  }
}
