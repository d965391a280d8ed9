/**
 * One social socket (`<relay>/v1/social`, the contract in src/signaling/social-contract.ts): authenticated by its first
 * message (`AUTH`, a service-auth token for the social `lxm`), then the player's presence (`SET`), the friends it
 * watches (`WATCH`) and its invites (`INVITE`).
 *
 * Privacy: a watched account's presence is sent only while the graph says the two are friends (mutual follows, no
 * block either way), checked when the watch starts, on every change of that presence, and again every
 * `socialGraphCacheTtlMs` for the accounts online (so a new block hides a player within one TTL). Otherwise the
 * answer is `online: false`, exactly what an offline friend looks like.
 *
 * Limits: the token bucket, invalid-message strikes, the write queue and idle timeout of PeerJS sockets; at most
 * `maxWatchedPerSocket` accounts watched, and as many new ones per `signalWindowMs`; invites rate-limited per
 * account (`maxInvitesPerMinute`), counted before any graph lookup.
 */
import { WebSocket, type RawData } from 'ws'
import { areFriends, isDid, type SocialGraph } from '../../signaling/social-graph.js'
import type { FriendPresence, Invite, SocialServerMessage } from '../../signaling/social-contract.js'
import { isRecord } from '../../signaling/jwt-parts.js'
import type { RelayContext } from '../context.js'
import { withDeadline } from '../deadline.js'
import { ErrorCode, RelayError } from '../errors.js'
import { handshakeGate } from '../handshake-budget.js'
import { toRelayError } from '../http-util.js'
import type { TokenVerifier } from '../jwt-verify.js'
import { TargetWindow, TokenBucket } from '../rate-limit.js'
import { SendQueue } from '../send-queue.js'
import type { Slot } from '../slots.js'
import type { InviteRouter } from './invite-router.js'
import type { PresenceState, PresenceStore } from './presence-store.js'
import type { PresenceTracker, SocketPresence } from './presence-tracker.js'

const ROOM_RE = /^[A-Za-z0-9._~-]{1,64}$/

/** What every social socket of a relay shares. */
export interface SocialContext {
  ctx: RelayContext
  verifyToken: TokenVerifier
  graph: SocialGraph
  store: PresenceStore
  invites: InviteRouter
  tracker: PresenceTracker
  /** Takes one invite from `did`'s per-minute allowance; false when it is spent. */
  takeInvite(did: string): boolean
}

interface Watch {
  /** The graph's last verdict (null: not known yet, or it could not be read). */
  friend: boolean | null
  stop: () => void
  /** What was last sent for it (online, room, joinable, handle). */
  shown?: string
  /** A refresh is running / another one was asked for meanwhile. */
  busy?: boolean
  again?: boolean
}

export class SocialSocket {
  /** The verified player, once READY. */
  did: string | null = null
  /** `AUTH` not seen yet / being verified / READY. */
  private stage: 'auth' | 'verifying' | 'ready' = 'auth'
  lastSeen = Date.now()
  closed = false
  private handle: string | undefined
  private readonly presence: SocketPresence = { visible: true, joinable: false }
  private readonly watched = new Map<string, Watch>()
  private readonly queue: SendQueue
  private readonly bucket: TokenBucket
  private readonly fresh: TargetWindow
  private invalid = 0
  private authTimer: NodeJS.Timeout | undefined
  private stopInvites: (() => void) | undefined

  constructor(private readonly s: SocialContext, readonly ws: WebSocket, private readonly address: string, private readonly slot: Slot, private readonly onGone: (s: SocialSocket) => void) {
    const o = s.ctx.opts
    this.bucket = new TokenBucket(o.rateLimitBurst, o.rateLimitPerSec)
    this.fresh = new TargetWindow({ windowMs: o.signalWindowMs, maxPerTarget: Number.MAX_SAFE_INTEGER, maxTargets: o.maxWatchedPerSocket })
    this.queue = new SendQueue(ws, { maxQueued: o.maxQueuedPerTarget, maxStrikes: o.maxTargetStrikes, writeTimeoutMs: o.writeTimeoutMs }, {
      onWriteTimeout: () => this.kill(ErrorCode.WRITE_TIMEOUT),
      onSlowConsumer: () => this.kill(ErrorCode.SLOW_CONSUMER),
    })
    this.authTimer = setTimeout(() => this.refuse(new RelayError(ErrorCode.AUTH_TIMEOUT, `no valid AUTH within ${o.handshakeTimeoutMs} ms`)), o.handshakeTimeoutMs)
    this.authTimer.unref()
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary))
    ws.on('pong', () => (this.lastSeen = Date.now()))
    ws.on('error', () => ws.terminate())
    ws.on('close', () => this.cleanup())
  }

  private send(msg: SocialServerMessage): void {
    if (!this.closed) this.queue.send(JSON.stringify(msg))
  }

  private error(code: ErrorCode, message: string, id?: string): void {
    this.s.ctx.metrics.refusals.inc({ code, stage: 'social' })
    this.send({ type: 'ERROR', code, message, ...(id !== undefined ? { id } : {}) })
  }

  cleanup(): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.authTimer)
    this.queue.stop()
    for (const w of this.watched.values()) w.stop()
    this.watched.clear()
    this.stopInvites?.()
    if (this.did) this.s.tracker.removeSocket(this.did, this.presence)
    this.slot.release()
    this.onGone(this)
  }

  /** Sends ERROR with the code, then closes (1008). */
  refuse(err: RelayError): void {
    if (this.closed) return
    this.s.ctx.metrics.refusals.inc({ code: err.code, stage: 'social' })
    this.s.ctx.log.info({ event: 'social_refused', code: err.code, reason: err.message, did: this.did }, 'social socket refused')
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: 'ERROR', code: err.code, message: err.message }))
      this.ws.close(1008, err.code)
    } else this.ws.terminate()
    this.cleanup()
  }

  private kill(code: ErrorCode): void {
    this.s.ctx.metrics.refusals.inc({ code, stage: 'social' })
    this.cleanup()
    this.ws.terminate()
  }

  private strike(reason: string): void {
    this.s.ctx.metrics.signalsDropped.inc({ reason })
    if (++this.invalid === this.s.ctx.opts.maxInvalidMessages) this.refuse(new RelayError(ErrorCode.TOO_MANY_INVALID_MESSAGES, `${this.invalid} invalid messages`))
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return
    this.lastSeen = Date.now()
    if (!this.bucket.take()) return void this.s.ctx.metrics.signalsDropped.inc({ reason: 'rate_limited' })
    let msg: unknown
    try {
      msg = isBinary ? null : JSON.parse(data.toString())
    } catch {
      msg = null
    }
    if (!isRecord(msg) || typeof msg.type !== 'string') return this.strike('malformed')
    if (this.stage === 'verifying') return this.strike('before_ready')
    if (this.stage === 'auth') {
      if (msg.type !== 'AUTH' || typeof msg.token !== 'string') return this.refuse(new RelayError(ErrorCode.AUTH_MISSING, 'the first message must be AUTH { token }'))
      if (msg.token.length > this.s.ctx.opts.maxTokenBytes) return this.refuse(new RelayError(ErrorCode.AUTH_MALFORMED, `token longer than ${this.s.ctx.opts.maxTokenBytes} bytes`))
      return void this.authenticate(msg.token)
    }
    const me = this.did!
    switch (msg.type) {
      case 'SET':
        if ((msg.visible !== undefined && typeof msg.visible !== 'boolean') || (msg.joinable !== undefined && typeof msg.joinable !== 'boolean')) return this.strike('malformed')
        if (typeof msg.visible === 'boolean') this.presence.visible = msg.visible
        if (typeof msg.joinable === 'boolean') this.presence.joinable = msg.joinable
        return this.s.tracker.changed(me)
      case 'WATCH':
        if (!Array.isArray(msg.dids) || !msg.dids.every(isDid)) return this.strike('malformed')
        return this.watch(msg.dids as string[])
      case 'INVITE':
        if (typeof msg.id !== 'string' || msg.id.length === 0 || msg.id.length > 64 || !isDid(msg.to) || typeof msg.room !== 'string' || !ROOM_RE.test(msg.room)) return this.strike('malformed')
        return void this.invite(msg.id, msg.to, msg.room)
      default:
        return this.strike(msg.type === 'AUTH' ? 'duplicate_auth' : 'unknown_type')
    }
  }

  private async authenticate(token: string): Promise<void> {
    const { ctx, verifyToken, tracker } = this.s
    this.stage = 'verifying'
    const gate = handshakeGate(ctx.handshakes, this.address, (scope) => ctx.metrics.handshakesLimited.inc({ scope }))
    let did: string
    try {
      const verification = (async () => {
        const v = await verifyToken(token, gate.enter)
        return { did: v.did, handle: await ctx.handles.verify(v.did, v.claimedHandle, gate.enter) }
      })()
      const ms = ctx.opts.handshakeTimeoutMs
      ;({ did, handle: this.handle } = await withDeadline(verification, ms, () => new RelayError(ErrorCode.AUTH_TIMEOUT, `verification took longer than ${ms} ms`)))
    } catch (err) {
      return this.refuse(toRelayError(err))
    } finally {
      gate.release()
    }
    if (this.closed) return
    clearTimeout(this.authTimer)
    if (tracker.socketCount(did) >= ctx.opts.maxSocialSocketsPerDid) {
      return this.refuse(new RelayError(ErrorCode.SOCIAL_FULL, `this account has ${ctx.opts.maxSocialSocketsPerDid} social sockets open`))
    }
    this.did = did
    this.stage = 'ready'
    if (this.handle) this.presence.handle = this.handle
    tracker.addSocket(did, this.presence)
    this.stopInvites = this.s.invites.listen(did, (invite) => this.send({ type: 'INVITE', ...invite }))
    this.send({ type: 'READY', did, ...(this.handle ? { handle: this.handle } : {}), limits: { maxWatched: ctx.opts.maxWatchedPerSocket, invitesPerMinute: ctx.opts.maxInvitesPerMinute } })
    ctx.log.info({ event: 'social_ready', did }, 'social socket ready')
  }

  private watch(list: string[]): void {
    const max = this.s.ctx.opts.maxWatchedPerSocket
    const dids = [...new Set(list)]
    if (dids.length > max) return this.error(ErrorCode.SOCIAL_TOO_MANY_WATCHED, `at most ${max} accounts may be watched (got ${dids.length}); the watch list is unchanged`)
    const added = dids.filter((d) => !this.watched.has(d))
    if (added.some((d) => this.fresh.check(d) === 'too-many-targets')) {
      return this.error(ErrorCode.SOCIAL_TOO_MANY_WATCHED, `more than ${max} new accounts watched within ${this.s.ctx.opts.signalWindowMs} ms; the watch list is unchanged`)
    }
    const keep = new Set(dids)
    for (const [d, w] of this.watched) {
      if (keep.has(d)) continue
      w.stop()
      this.watched.delete(d)
    }
    for (const d of added) this.watched.set(d, { friend: null, stop: this.s.store.watch(d, () => void this.refresh([d])) })
    if (added.length) void this.refresh(added)
  }

  /** Re-checks the friends among the watched accounts that are online (or not checked yet): called every graph TTL. */
  async revalidate(): Promise<void> {
    const due: string[] = []
    for (const [d, w] of this.watched) if (w.friend === null || (await this.s.store.get(d)) !== null) due.push(d)
    if (due.length) await this.refresh(due)
  }

  /** Checks whether `dids` are friends, then sends each one's presence as that verdict allows. */
  private async refresh(dids: string[]): Promise<void> {
    const todo = dids.filter((d) => {
      const w = this.watched.get(d)
      if (!w) return false
      if (w.busy) w.again = true
      return !w.busy
    })
    if (todo.length === 0 || this.closed || !this.did) return
    for (const d of todo) this.watched.get(d)!.busy = true
    let rels: Map<string, { following: boolean; followedBy: boolean; blocking: boolean; blockedBy: boolean }> | null = null
    try {
      rels = await this.s.graph.relationships(this.did, todo)
    } catch (err) {
      this.error(ErrorCode.SOCIAL_GRAPH_UNAVAILABLE, `the friendships of ${todo.length} watched accounts could not be checked now (${(err as Error).message}); they read offline until the next check`)
    }
    const again: string[] = []
    for (const d of todo) {
      const w = this.watched.get(d)
      if (!w) continue
      if (rels) w.friend = areFriends(rels.get(d))
      this.show(d, w, w.friend ? await this.s.store.get(d) : null)
      w.busy = false
      if (w.again) again.push(d)
      w.again = false
    }
    if (again.length) await this.refresh(again)
  }

  private show(did: string, w: Watch, p: PresenceState | null): void {
    const view: FriendPresence = p
      ? { did, ...(p.handle ? { handle: p.handle } : {}), online: true, room: p.room, joinable: p.joinable, since: p.since }
      : { did, online: false, room: null, joinable: false, since: Date.now() }
    const shown = JSON.stringify([view.online, view.room, view.joinable, view.handle])
    if (w.shown === shown) return
    w.shown = shown
    this.send({ type: 'PRESENCE', ...view })
  }

  private async invite(id: string, to: string, room: string): Promise<void> {
    const { ctx, graph, store, invites } = this.s
    const me = this.did!
    const outcome = (o: string) => ctx.metrics.invites.inc({ outcome: o })
    if (!this.s.takeInvite(me)) {
      outcome('rate_limited')
      return this.error(ErrorCode.SOCIAL_RATE_LIMITED, `at most ${ctx.opts.maxInvitesPerMinute} invites per minute`, id)
    }
    let friends: boolean
    try {
      friends = areFriends((await graph.relationships(me, [to])).get(to))
    } catch (err) {
      outcome('graph_unavailable')
      return this.error(ErrorCode.SOCIAL_GRAPH_UNAVAILABLE, `could not check the friendship now: ${(err as Error).message}`, id)
    }
    if (!friends) {
      outcome('not_friends')
      return this.error(ErrorCode.SOCIAL_NOT_FRIENDS, 'you can invite only friends: accounts you follow that follow you back, with no block either way', id)
    }
    const invite: Invite = { id, from: me, ...(this.handle ? { handle: this.handle } : {}), room, at: Date.now() }
    if ((await store.get(to)) === null || (await invites.send(to, invite)) === 0) {
      outcome('offline')
      return this.error(ErrorCode.SOCIAL_FRIEND_OFFLINE, 'that friend is not online on this relay', id)
    }
    outcome('delivered')
    this.send({ type: 'INVITED', id })
  }
}
