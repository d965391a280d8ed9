/**
 * Sessions as records: pull-based status that works with no relay of ours. While a player is in a session, their
 * client keeps a `dev.bitecs.multiuser.session` record (lexicons/dev/bitecs/multiuser/session.json) in their own
 * repo; it deletes it when they leave. Friends' clients list the records from the player's PDS. The write needs the
 * OAuth scope `repo:dev.bitecs.multiuser.session` (`atprotoRelayScope(did, { social: true })` asks for it).
 */
import { AuthErrorCode, SocialError } from '../shared/errors.js'
import { isRecord } from '../signaling/jwt-parts.js'
import type { AtprotoSession } from '../atproto/token-source.js'
import { SESSION_COLLECTION } from '../signaling/social-contract.js'
import type { PdsResolver } from './did-pds.js'

export { SESSION_COLLECTION }

/** A session record, as the lexicon defines it. */
export interface SessionRecord {
  /** Which game (an identifier the game chooses). */
  game: string
  /** The relay's URL. */
  relay: string
  room: string
  /** Friends are welcome to join. */
  joinable: boolean
  /** ISO 8601. */
  createdAt: string
  /** ISO 8601: past it, the session is over. */
  expiresAt: string
}

/** A session record read from a player's repo. */
export interface PublishedSession extends SessionRecord {
  /** Whose session it is. */
  did: string
  /** `at://<did>/dev.bitecs.multiuser.session/<rkey>`. */
  uri: string
}

const ROOM_RE = /^[A-Za-z0-9._~-]{1,64}$/
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/** Whether `v` is a well-formed session record (what a friend's client accepts from someone else's repo). */
export function isSessionRecord(v: unknown): v is SessionRecord {
  if (!isRecord(v)) return false
  const { game, relay, room, joinable, createdAt, expiresAt } = v
  if (typeof game !== 'string' || game.length === 0 || game.length > 256) return false
  if (typeof relay !== 'string' || relay.length > 2048 || !/^https?:\/\//.test(relay) || !URL.canParse(relay)) return false
  if (typeof room !== 'string' || !ROOM_RE.test(room) || typeof joinable !== 'boolean') return false
  return [createdAt, expiresAt].every((t) => typeof t === 'string' && DATETIME_RE.test(t) && !Number.isNaN(Date.parse(t)))
}

/**
 * The record key of a session: the same game, relay and room always give the same key (a new write replaces a
 * record a crashed client left), 13 base32 characters of FNV-1a 64.
 */
export function sessionRecordKey(game: string, relay: string, room: string): string {
  let h = 0xcbf29ce484222325n
  for (const b of new TextEncoder().encode(`${game}\n${relay}\n${room}`)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let out = ''
  for (let i = 0; i < 13; i++, h >>= 5n) out += alphabet[Number(h & 31n)]
  return out
}

export interface SessionPublisherOptions {
  /** The player's ATProto session (`auth.session` of `atprotoSignIn`), granted `repo:dev.bitecs.multiuser.session`. */
  session: AtprotoSession
  /** The player's DID: the repo written to. */
  did: string
  /** Which game (an identifier of your choice, e.g. the game's URL). */
  game: string
  /** The relay's URL. */
  relay: string
  /** A record's life (default 1 800 s); it is written again at half of it while the session lasts. */
  ttlSec?: number
  now?: () => number
}

export interface SessionPublisher {
  /** Writes the record of `room` (replacing the one of another room); kept fresh until `end()`. */
  publish(room: string, options?: { joinable?: boolean }): Promise<void>
  /** Deletes the current record, if any. */
  end(): Promise<void>
  /** The room published now. */
  readonly room: string | null
}

/** Writes and deletes the player's session record through their ATProto session. Failures throw `SESSION_RECORD_FAILED`. */
export function sessionPublisher(options: SessionPublisherOptions): SessionPublisher {
  const ttlMs = (options.ttlSec ?? 1_800) * 1000
  const now = options.now ?? Date.now
  const relay = new URL(options.relay).href
  let current: { room: string; joinable: boolean } | null = null
  let refresh: ReturnType<typeof setTimeout> | null = null

  const call = async (method: string, body: Record<string, unknown>): Promise<void> => {
    let res: Response
    try {
      res = await options.session.fetchHandler(`/xrpc/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    } catch (e) {
      throw new SocialError(AuthErrorCode.SESSION_RECORD_FAILED, `${method}: ${(e as Error).message}`, { cause: e })
    }
    if (res.ok) return void (await res.body?.cancel())
    const answer = (await res.json().catch(() => ({}))) as { error?: unknown; message?: unknown }
    const why = [answer.error, answer.message].filter((x) => typeof x === 'string').join(': ') || `HTTP ${res.status}`
    throw new SocialError(AuthErrorCode.SESSION_RECORD_FAILED, `the PDS refused ${method} in ${SESSION_COLLECTION} (${why})`)
  }
  const rkey = (room: string) => sessionRecordKey(options.game, relay, room)
  const write = async (room: string, joinable: boolean) => {
    const t = now()
    const record = { $type: SESSION_COLLECTION, game: options.game, relay, room, joinable, createdAt: new Date(t).toISOString(), expiresAt: new Date(t + ttlMs).toISOString() }
    await call('com.atproto.repo.putRecord', { repo: options.did, collection: SESSION_COLLECTION, rkey: rkey(room), record, validate: false })
  }
  const schedule = () => {
    if (refresh) clearTimeout(refresh)
    refresh = setTimeout(() => {
      const c = current
      if (c) void write(c.room, c.joinable).then(schedule, schedule)
    }, ttlMs / 2)
    ;(refresh as { unref?: () => void }).unref?.()
  }

  return {
    get room() {
      return current?.room ?? null
    },
    async publish(room, opts = {}) {
      if (current && current.room !== room) await this.end()
      current = { room, joinable: opts.joinable ?? true }
      await write(room, current.joinable)
      schedule()
    },
    async end() {
      const c = current
      current = null
      if (refresh) clearTimeout(refresh)
      refresh = null
      if (c) await call('com.atproto.repo.deleteRecord', { repo: options.did, collection: SESSION_COLLECTION, rkey: rkey(c.room) })
    },
  }
}

export interface ListSessionsOptions {
  /** Where each account's repo is (`pdsResolver()`). */
  resolvePds: PdsResolver
  /** Only this game's sessions. */
  game?: string
  fetch?: (url: string) => Promise<Response>
  now?: () => number
}

/**
 * The sessions `did` has published (well-formed and not expired), read from its PDS (`com.atproto.repo.listRecords`,
 * public: no session needed). Throws `SocialError` `SOCIAL_GRAPH_UNAVAILABLE` when the PDS cannot be read now.
 */
export async function listSessions(did: string, options: ListSessionsOptions): Promise<PublishedSession[]> {
  const doFetch = options.fetch ?? ((url: string) => fetch(url, { credentials: 'omit' }))
  const now = (options.now ?? Date.now)()
  let pds: string | null
  let res: Response
  try {
    pds = await options.resolvePds(did)
    if (!pds) return []
    const url = new URL('xrpc/com.atproto.repo.listRecords', pds)
    url.search = new URLSearchParams({ repo: did, collection: SESSION_COLLECTION, limit: '100' }).toString()
    res = await doFetch(url.href)
  } catch (e) {
    throw new SocialError(AuthErrorCode.SOCIAL_GRAPH_UNAVAILABLE, `the sessions of ${did} cannot be read now: ${(e as Error).message}`, { cause: e })
  }
  if (res.status === 429 || res.status >= 500) throw new SocialError(AuthErrorCode.SOCIAL_GRAPH_UNAVAILABLE, `the PDS of ${did} answered ${res.status}`)
  const body: unknown = res.ok ? await res.json().catch(() => null) : null
  const out: PublishedSession[] = []
  for (const r of isRecord(body) && Array.isArray(body.records) ? body.records : []) {
    if (!isRecord(r) || typeof r.uri !== 'string' || !r.uri.startsWith(`at://${did}/${SESSION_COLLECTION}/`) || !isSessionRecord(r.value)) continue
    const v = r.value
    if (Date.parse(v.expiresAt) <= now || (options.game !== undefined && v.game !== options.game)) continue
    out.push({ did, uri: r.uri, game: v.game, relay: v.relay, room: v.room, joinable: v.joinable, createdAt: v.createdAt, expiresAt: v.expiresAt })
  }
  return out
}

/** What `trackSession` needs of a transport (a `PeerJsTransport` is one). */
export interface SessionTransport {
  readonly room: string | null
  on(event: 'status', listener: (status: string) => void): () => void
}

/**
 * Keeps the player's session record in step with a transport: published when it joins a room, replaced when it
 * switches rooms, deleted when it leaves. Returns the function that stops tracking (and deletes the record).
 */
export function trackSession(transport: SessionTransport, publisher: SessionPublisher, options: { joinable?: boolean; onError?: (e: SocialError) => void } = {}): () => Promise<void> {
  const report = (e: unknown) => options.onError?.(e instanceof SocialError ? e : new SocialError(AuthErrorCode.SESSION_RECORD_FAILED, String(e)))
  // Calls run one after the other, so a delete never overtakes the write it follows.
  let chain = Promise.resolve()
  const then = (f: () => Promise<void>) => (chain = chain.then(f).catch(report))
  const off = transport.on('status', (s) => {
    const room = transport.room
    if (s === 'joined' && room && publisher.room !== room) then(() => publisher.publish(room, { joinable: options.joinable }))
    else if (s === 'left' || s === 'idle') then(() => publisher.end())
  })
  if (transport.room && (transport as { status?: string }).status === 'joined') then(() => publisher.publish(transport.room!, { joinable: options.joinable }))
  return async () => {
    off()
    await then(() => publisher.end())
  }
}
