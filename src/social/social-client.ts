/**
 * The client of the relay's social stream (`<relay>/v1/social`, src/signaling/social-contract.ts): the player's
 * presence (online, appear offline, joinable), the friends it watches, invites out and in. Authenticated by a
 * service-auth token for the social method (`auth.socialToken` of `atprotoSignIn`), sent as the first message,
 * never in the URL. Reconnects with backoff and a fresh token, then says again what it had said (presence, watches).
 */
import { AuthErrorCode, MultiuserError, SocialError, isAuthErrorCode } from '../shared/errors.js'
import { Emitter } from '../shared/emitter.js'
import { isRecord } from '../signaling/jwt-parts.js'
import { SOCIAL_PATH, type FriendPresence, type Invite, type SocialClientMessage } from '../signaling/social-contract.js'
import { isTransientJoinError } from '../auth/transient.js'
import type { TokenSource } from '../auth/token-source.js'

/** The part of the WebSocket API the client uses (the browser's, or the `ws` package's in Node). */
export interface SocialWebSocket {
  readonly readyState: number
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export interface SocialClientOptions {
  /** The relay's URL (the social socket is `<relay>/v1/social`). */
  relay: string
  /** Tokens for the social method: `auth.socialToken`, or `atprotoTokenSource(session, relayDid, { lxm: DEFAULT_SOCIAL_LXM })`. */
  token: TokenSource
  /** The WebSocket class (default: the global one; in Node, `ws`'s). */
  WebSocket?: new (url: string) => SocialWebSocket
  /** Reconnect backoff: first delay and cap, ms (defaults 500 and 10 000). */
  reconnectDelay?: number
  reconnectMaxDelay?: number
  /** How long an invite waits for the relay's answer, ms (default 10 000). */
  inviteTimeout?: number
}

/**
 * `idle`: not connected yet; `connecting`: the first connection is under way; `online`: READY; `reconnecting`: the
 * socket dropped, a new one is on its way; `closed`: after `close()` or a final refusal (the detail says which).
 */
export type SocialStatus = 'idle' | 'connecting' | 'online' | 'reconnecting' | 'closed'

export interface SocialClientEvents {
  status: (status: SocialStatus, detail?: string) => void
  /** A watched account's presence changed (a friend came online, moved rooms, left; or is not a friend). */
  presence: (presence: FriendPresence) => void
  /** A friend invites the player to a room. */
  invite: (invite: Invite) => void
  /** Trouble worth showing: a refused watch list, the graph unreadable for a moment, a dropped socket. */
  error: (error: SocialError) => void
}

export interface SocialClient {
  readonly status: SocialStatus
  /** The player's DID and verified handle, once online. */
  readonly did: string | null
  readonly handle: string | null
  /** The last presence of every watched account (`online: false` for the offline and for non-friends alike). */
  readonly presence: ReadonlyMap<string, FriendPresence>
  /** Connects; resolves when the relay accepted the token (READY). Rejects with the refusal when it is final. */
  connect(): Promise<void>
  /** The accounts whose presence to follow (replaces the list; kept across reconnects). E.g. everyone the player follows. */
  watch(dids: readonly string[]): void
  /** `visible: false` appears offline (friends see `online: false`, invites are refused as offline); `joinable`: friends may join. */
  setPresence(presence: { visible?: boolean; joinable?: boolean }): void
  /** Invites a friend to a room on this relay; resolves when delivered, rejects with `SocialError` (`SOCIAL_NOT_FRIENDS`, …). */
  invite(did: string, room: string): Promise<void>
  on<E extends keyof SocialClientEvents>(event: E, listener: SocialClientEvents[E]): () => void
  close(): void
}

export const SOCIAL_CLIENT_DEFAULTS = { reconnectDelay: 500, reconnectMaxDelay: 10_000, inviteTimeout: 10_000 } as const

export function socialClient(options: SocialClientOptions): SocialClient {
  const WS = options.WebSocket ?? (globalThis.WebSocket as unknown as new (url: string) => SocialWebSocket)
  const url = new URL(SOCIAL_PATH, options.relay.endsWith('/') ? options.relay : `${options.relay}/`)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  const reconnectDelay = options.reconnectDelay ?? SOCIAL_CLIENT_DEFAULTS.reconnectDelay
  const reconnectMaxDelay = options.reconnectMaxDelay ?? SOCIAL_CLIENT_DEFAULTS.reconnectMaxDelay
  const inviteTimeout = options.inviteTimeout ?? SOCIAL_CLIENT_DEFAULTS.inviteTimeout
  const emitter = new Emitter<SocialClientEvents>()
  const presence = new Map<string, FriendPresence>()
  const pending = new Map<string, { resolve: () => void; reject: (e: SocialError) => void; timer: ReturnType<typeof setTimeout> }>()
  const flags: { visible?: boolean; joinable?: boolean } = {}
  let watched: string[] = []
  let ws: SocialWebSocket | null = null
  let status: SocialStatus = 'idle'
  let did: string | null = null
  let handle: string | null = null
  let delay = reconnectDelay
  let timer: ReturnType<typeof setTimeout> | null = null
  let firstConnect: { resolve: () => void; reject: (e: SocialError) => void } | null = null

  const setStatus = (s: SocialStatus, detail?: string) => {
    status = s
    emitter.emit('status', s, detail)
  }
  const send = (m: SocialClientMessage) => {
    if (ws && status === 'online') ws.send(JSON.stringify(m))
  }
  const failPending = (why: string) => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer)
      p.reject(new SocialError(AuthErrorCode.SOCIAL_NOT_CONNECTED, why))
      pending.delete(id)
    }
  }

  /** A refusal: final ones close the client, others reconnect. */
  function refused(err: SocialError): void {
    const final = !isTransientJoinError(err)
    emitter.emit('error', err)
    if (final) {
      firstConnect?.reject(err)
      firstConnect = null
      teardown()
      setStatus('closed', `${err.code}: ${err.message}`)
    } else scheduleReconnect(`${err.code}: ${err.message}`)
  }

  function onMessage(raw: unknown): void {
    let m: unknown
    try {
      m = JSON.parse(String(raw))
    } catch {
      return
    }
    if (!isRecord(m)) return
    if (m.type === 'READY' && typeof m.did === 'string') {
      did = m.did
      handle = typeof m.handle === 'string' ? m.handle : null
      delay = reconnectDelay
      setStatus('online')
      if (flags.visible !== undefined || flags.joinable !== undefined) send({ type: 'SET', ...flags })
      if (watched.length) send({ type: 'WATCH', dids: watched })
      firstConnect?.resolve()
      firstConnect = null
    } else if (m.type === 'PRESENCE' && typeof m.did === 'string' && typeof m.online === 'boolean') {
      const p: FriendPresence = { did: m.did, online: m.online, room: typeof m.room === 'string' ? m.room : null, joinable: m.joinable === true, since: typeof m.since === 'number' ? m.since : Date.now() }
      if (typeof m.handle === 'string') p.handle = m.handle
      if (!watched.includes(p.did)) return
      presence.set(p.did, p)
      emitter.emit('presence', p)
    } else if (m.type === 'INVITE' && typeof m.id === 'string' && typeof m.from === 'string' && typeof m.room === 'string') {
      emitter.emit('invite', { id: m.id, from: m.from, ...(typeof m.handle === 'string' ? { handle: m.handle } : {}), room: m.room, at: typeof m.at === 'number' ? m.at : Date.now() })
    } else if (m.type === 'INVITED' && typeof m.id === 'string') {
      const p = pending.get(m.id)
      if (p) (pending.delete(m.id), clearTimeout(p.timer), p.resolve())
    } else if (m.type === 'ERROR' && typeof m.code === 'string') {
      const code = isAuthErrorCode(m.code) ? m.code : AuthErrorCode.INTERNAL
      const err = new SocialError(code, typeof m.message === 'string' ? m.message : m.code)
      const p = typeof m.id === 'string' ? pending.get(m.id) : undefined
      if (p) {
        pending.delete(m.id as string)
        clearTimeout(p.timer)
        p.reject(err)
      } else if (status !== 'online') refused(err) // refused before READY: the socket closes next
      else emitter.emit('error', err)
    }
  }

  async function open(): Promise<void> {
    let token: string | null
    try {
      token = await options.token()
    } catch (e) {
      const err = e instanceof MultiuserError ? e : new Error(String(e))
      const social = new SocialError(AuthErrorCode.TOKEN_SOURCE_FAILED, `token source failed: ${err.message}`, { cause: err })
      return refused(social)
    }
    if (status === 'closed') return
    if (token === null) return refused(new SocialError(AuthErrorCode.AUTH_MISSING, 'the social stream needs a signed-in player (the token source gave none)'))
    const socket = new WS(url.href)
    ws = socket
    socket.onopen = () => socket.send(JSON.stringify({ type: 'AUTH', token } satisfies SocialClientMessage))
    socket.onmessage = (e) => ws === socket && onMessage(e.data)
    socket.onerror = () => {}
    socket.onclose = (e) => {
      if (ws !== socket) return
      ws = null
      failPending('the social socket closed')
      if (status !== 'closed') scheduleReconnect(`socket closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`)
    }
  }

  function scheduleReconnect(detail: string): void {
    if (timer || status === 'closed') return
    const wasOnline = status === 'online'
    ws?.close()
    ws = null
    if (status !== 'connecting') setStatus('reconnecting', detail)
    if (wasOnline) emitter.emit('error', new SocialError(AuthErrorCode.SOCIAL_NOT_CONNECTED, `social stream lost: ${detail}; reconnecting`))
    timer = setTimeout(() => {
      timer = null
      void open()
    }, delay)
    delay = Math.min(delay * 2, reconnectMaxDelay)
  }

  function teardown(): void {
    if (timer) clearTimeout(timer)
    timer = null
    const socket = ws
    ws = null
    socket?.close(1000, 'bye')
    failPending('the social client closed')
  }

  return {
    get status() {
      return status
    },
    get did() {
      return did
    },
    get handle() {
      return handle
    },
    presence,
    connect() {
      if (status === 'online') return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        firstConnect = { resolve, reject }
        if (status === 'idle' || status === 'closed') {
          setStatus('connecting')
          void open()
        }
      })
    },
    watch(dids) {
      watched = [...new Set(dids)]
      for (const d of [...presence.keys()]) if (!watched.includes(d)) presence.delete(d)
      send({ type: 'WATCH', dids: watched })
    },
    setPresence(p) {
      if (p.visible !== undefined) flags.visible = p.visible
      if (p.joinable !== undefined) flags.joinable = p.joinable
      send({ type: 'SET', ...p })
    },
    invite(to, room) {
      if (status !== 'online') return Promise.reject(new SocialError(AuthErrorCode.SOCIAL_NOT_CONNECTED, `the social stream is ${status}`))
      const id = Math.random().toString(36).slice(2, 12) + Date.now().toString(36)
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          pending.delete(id)
          reject(new SocialError(AuthErrorCode.SOCIAL_NOT_CONNECTED, `no answer to the invite within ${inviteTimeout} ms`))
        }, inviteTimeout)
        pending.set(id, { resolve, reject, timer: t })
        send({ type: 'INVITE', id, to, room })
      })
    },
    on(event, listener) {
      return emitter.on(event, listener)
    },
    close() {
      firstConnect?.reject(new SocialError(AuthErrorCode.SOCIAL_NOT_CONNECTED, 'closed'))
      firstConnect = null
      teardown()
      setStatus('closed')
    },
  }
}
