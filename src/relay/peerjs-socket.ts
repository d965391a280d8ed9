/**
 * The PeerJS server side of the wire: WebSocket `<path>peerjs?key=&id=&token=`, messages OPEN, ERROR, HEARTBEAT,
 * OFFER, ANSWER, CANDIDATE, LEAVE, EXPIRE, plus relay-only control messages (ROSTER, PEER-JOINED, PEER-LEFT).
 *
 * A socket is registered only if (id, token) is a live, unused admission from the join API. Clients may send only
 * HEARTBEAT and the four signal types; anything else (including control types, which only the relay may emit)
 * counts as invalid, and `maxInvalidMessages` invalid messages close the socket. Only malformed or forged messages
 * are invalid: an honest client over a limit (an ICE burst) loses messages, never its socket, so its retry recovers.
 *
 * Per socket, in order: token bucket over every message (over -> dropped and counted, not invalid), then for signals
 * the distinct-targets cap (over -> closed, TOO_MANY_TARGETS) and the per-target burst (over -> dropped). Writes to
 * the socket go through its SendQueue (queue cap and strikes -> SLOW_CONSUMER, no write progress -> WRITE_TIMEOUT).
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, WebSocket, type RawData } from 'ws'
import { looksLikeJwt, isRecord } from '../signaling/jwt-parts.js'
import { ControlMessageType, type RosterEntry } from '../signaling/contract.js'
import type { RelayContext } from './context.js'
import { ErrorCode, RelayError } from './errors.js'
import { pathOf } from './http-util.js'
import { peerJsBasePath } from './join-handler.js'
import type { PendingJoin } from './join-tokens.js'
import { TargetWindow, TokenBucket } from './rate-limit.js'
import { SendQueue } from './send-queue.js'
import { toRosterEntry, type OutboundMessage, type PeerEndpoint, type RouteOutcome } from './signal-router.js'

/** WebSocket close code of a drain (1012, "service restart"): resume on another process. Reason: RELAY_DRAINING. */
export const DRAIN_CLOSE_CODE = 1012

const SIGNAL_TYPES = new Set(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE'])
/** Types only the relay may send. */
const RELAY_ONLY_TYPES = new Set(['OPEN', 'ERROR', 'ID-TAKEN', 'INVALID-KEY', 'EXPIRE', ...Object.values(ControlMessageType)])

export interface PeerJsServer {
  /** Handles an HTTP upgrade; returns false if the path is not the PeerJS socket path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /** Closes sockets silent for longer than `idleTimeoutMs`; called every 1/20 of it, so one fires at most 5 % late. */
  sweepIdle(now: number): void
  /** Pings every open socket (its pong counts as activity); called every `pingIntervalMs`. */
  ping(): void
  /** Open, registered sockets. */
  readonly size: number
  /** Closes the socket registered under `peerId` (resume on a new socket); true if there was one. */
  evict(peerId: string): boolean
  /** Drain: closes every socket with code 1012 so its client resumes elsewhere; resolves when they are gone (or after `timeoutMs`). */
  handover(timeoutMs: number): Promise<void>
  closeAll(): Promise<void>
}

class PeerSocket {
  invalid = 0
  lastSeen = Date.now()
  closed = false
  readonly endpoint: PeerEndpoint
  private readonly queue: SendQueue
  private readonly bucket: TokenBucket
  private readonly targets: TargetWindow

  constructor(private readonly ctx: RelayContext, readonly ws: WebSocket, join: PendingJoin, private readonly onGone: (s: PeerSocket) => void) {
    const o = ctx.opts
    this.bucket = new TokenBucket(o.rateLimitBurst, o.rateLimitPerSec)
    this.targets = new TargetWindow({ windowMs: o.signalWindowMs, maxPerTarget: o.maxSignalsPerTargetPerWindow, maxTargets: o.maxDistinctTargetsPerWindow })
    this.queue = new SendQueue(ws, { maxQueued: o.maxQueuedPerTarget, maxStrikes: o.maxTargetStrikes, writeTimeoutMs: o.writeTimeoutMs }, {
      onWriteTimeout: () => this.kill(new RelayError(ErrorCode.WRITE_TIMEOUT, `no write progress for ${o.writeTimeoutMs} ms`)),
      onSlowConsumer: () => this.kill(new RelayError(ErrorCode.SLOW_CONSUMER, `${o.maxTargetStrikes} messages dropped on a full queue`)),
    })
    this.endpoint = {
      peerId: join.peerId,
      room: join.room,
      did: join.did,
      ...(join.handle ? { handle: join.handle } : {}),
      joinedAt: Date.now(),
      admittedAt: join.admittedAt,
      deliver: (msg: OutboundMessage) => (this.closed ? 'closed' : this.queue.send(JSON.stringify(msg))),
    }
    this.cleanup = (handover = false) => {
      if (this.closed) return
      this.closed = true
      this.queue.stop()
      ctx.router.detach(this.endpoint, handover)
      if (join.did) ctx.presence.peerClosed(join.did, join.peerId)
      onGone(this)
      if (handover) return void ctx.log.info({ event: 'socket_handed_over', room: join.room, peerId: join.peerId, did: join.did }, 'peer handed over')
      void ctx.lobby.occupancy(join.room)
      join.slot.release()
      void ctx.router.broadcast(join.room, { type: ControlMessageType.PEER_LEFT, payload: { peerId: join.peerId } })
      ctx.log.info({ event: 'socket_closed', room: join.room, peerId: join.peerId, did: join.did }, 'peer left')
    }
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary))
    ws.on('pong', () => (this.lastSeen = Date.now()))
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        ctx.metrics.refusals.inc({ code: ErrorCode.FRAME_TOO_LARGE, stage: 'socket' })
        ctx.log.info({ event: 'socket_refused', code: ErrorCode.FRAME_TOO_LARGE, peerId: join.peerId }, 'socket refused')
      }
      ws.terminate()
    })
    ws.on('close', () => this.cleanup())
  }

  /**
   * Detaches, releases and announces the departure now (not when the close handshake ends). Idempotent. `handover`
   * (a drain): the peer resumes on another process, so its room keeps its place and nobody is told it left.
   */
  readonly cleanup: (handover?: boolean) => void

  /** Closes this socket for a drain: code 1012 (service restart), reason RELAY_DRAINING; the client resumes elsewhere. */
  handover(): void {
    this.cleanup(true)
    this.ctx.metrics.refusals.inc({ code: ErrorCode.RELAY_DRAINING, stage: 'socket' })
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(DRAIN_CLOSE_CODE, ErrorCode.RELAY_DRAINING)
    else this.ws.terminate()
  }

  /** Closes this socket because its identity resumed on another one; cleanup is synchronous. */
  evict(): void {
    this.cleanup()
    refuseSocket(this.ctx, this.ws, new RelayError(ErrorCode.PEER_RESUMED_ELSEWHERE, 'this peer id resumed on a new socket'), { peerId: this.endpoint.peerId })
  }

  /** Frees the slots and announces the departure now, then sends ERROR and closes (no wait for the close handshake). */
  refuse(err: RelayError): void {
    this.cleanup()
    refuseSocket(this.ctx, this.ws, err, { peerId: this.endpoint.peerId })
  }

  /** Ends a socket that does not read: no close handshake is possible, so the TCP connection is destroyed. */
  private kill(err: RelayError): void {
    this.ctx.metrics.refusals.inc({ code: err.code, stage: 'socket' })
    this.ctx.log.info({ event: 'socket_refused', code: err.code, reason: err.message, peerId: this.endpoint.peerId }, 'socket refused')
    this.cleanup()
    this.ws.terminate()
  }

  async open(): Promise<void> {
    const { ctx, endpoint } = this
    ctx.router.attach(endpoint)
    void ctx.lobby.occupancy(endpoint.room)
    if (endpoint.did) ctx.presence.peerOpened(endpoint.did, endpoint.peerId, endpoint.room)
    endpoint.deliver({ type: 'OPEN' })
    const roster = (await ctx.router.roster(endpoint.room)).filter((p) => p.peerId !== endpoint.peerId)
    endpoint.deliver({ type: ControlMessageType.ROSTER, payload: { room: endpoint.room, peers: roster } })
    const self: RosterEntry = toRosterEntry(endpoint)
    await ctx.router.broadcast(endpoint.room, { type: ControlMessageType.PEER_JOINED, payload: self }, endpoint.peerId)
    ctx.log.info({ event: 'socket_open', room: endpoint.room, peerId: endpoint.peerId, did: endpoint.did }, 'peer connected')
  }

  private strike(reason: string): void {
    this.ctx.metrics.signalsDropped.inc({ reason })
    if (++this.invalid === this.ctx.opts.maxInvalidMessages) {
      this.refuse(new RelayError(ErrorCode.TOO_MANY_INVALID_MESSAGES, `${this.invalid} invalid messages`))
    }
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return
    this.lastSeen = Date.now()
    if (!this.bucket.take()) return void this.ctx.metrics.signalsDropped.inc({ reason: 'rate_limited' })
    if (isBinary) return this.strike('binary')
    let msg: unknown
    try {
      msg = JSON.parse(data.toString())
    } catch {
      return this.strike('malformed')
    }
    if (!isRecord(msg) || typeof msg.type !== 'string') return this.strike('malformed')
    const type = msg.type
    if (type === 'HEARTBEAT') return
    if (RELAY_ONLY_TYPES.has(type)) return this.strike('forged_control')
    if (!SIGNAL_TYPES.has(type)) return this.strike('unknown_type')
    const dst = msg.dst
    if (typeof dst !== 'string' || dst.length === 0 || Buffer.byteLength(dst) > this.ctx.opts.maxPeerIdBytes) return this.strike('malformed')
    if (dst !== this.endpoint.peerId) {
      const verdict = this.targets.check(dst)
      if (verdict === 'too-many-targets') {
        this.ctx.metrics.signalsDropped.inc({ reason: 'too_many_targets' })
        return this.refuse(new RelayError(ErrorCode.TOO_MANY_TARGETS, `more than ${this.ctx.opts.maxDistinctTargetsPerWindow} targets in ${this.ctx.opts.signalWindowMs} ms`))
      }
      if (verdict === 'target-burst') return void this.ctx.metrics.signalsDropped.inc({ reason: 'target_burst' })
    }
    const done = (outcome: RouteOutcome) => this.routed(type, dst, outcome)
    const outcome = this.ctx.router.route(this.endpoint, { type, dst, payload: msg.payload })
    if (typeof outcome === 'string') done(outcome)
    else outcome.then(done, () => done('send-failed'))
  }

  private routed(type: string, dst: string, outcome: RouteOutcome): void {
    const m = this.ctx.metrics
    if (outcome === 'delivered') {
      m.signalsRouted.inc({ type })
      return
    }
    m.signalsDropped.inc({ reason: outcome === 'queue-full' ? 'target_queue_full' : outcome })
    // Same answer for "no such peer" and "peer in another room": nothing leaks across rooms.
    if (type === 'OFFER' && (outcome === 'unknown-target' || outcome === 'cross-room')) {
      this.endpoint.deliver({ type: 'EXPIRE', src: dst, dst: this.endpoint.peerId })
    }
  }
}

/** Sends a PeerJS ERROR with our code, then closes. Never registers anything. */
function refuseSocket(ctx: RelayContext, ws: WebSocket, err: RelayError, log: Record<string, unknown> = {}): void {
  ctx.metrics.refusals.inc({ code: err.code, stage: 'socket' })
  ctx.log.info({ event: 'socket_refused', code: err.code, reason: err.message, ...log }, 'socket refused')
  if (ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify({ type: 'ERROR', payload: { msg: err.message, code: err.code } }))
    ws.close(1008, err.code)
  } else ws.terminate()
}

export function createPeerJsServer(ctx: RelayContext): PeerJsServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: ctx.opts.maxPayloadBytes, perMessageDeflate: false, clientTracking: true })
  const sockets = new Set<PeerSocket>()

  const onConnection = (ws: WebSocket, query: URLSearchParams) => {
    const key = query.get('key') ?? ''
    const id = query.get('id') ?? ''
    const token = query.get('token') ?? ''
    if (key !== ctx.opts.peerjsKey) return refuseSocket(ctx, ws, new RelayError(ErrorCode.INVALID_KEY, 'Invalid key provided'))
    for (const value of query.values()) {
      if (looksLikeJwt(value)) return refuseSocket(ctx, ws, new RelayError(ErrorCode.AUTH_TOKEN_IN_URL, 'credentials must never be put in the URL; use the join API'))
    }
    if (!id || !token || Buffer.byteLength(id) > ctx.opts.maxPeerIdBytes || token.length > 256) {
      return refuseSocket(ctx, ws, new RelayError(ErrorCode.JOIN_TOKEN_INVALID, 'id and token from POST /v1/rooms/:room/join are required'))
    }
    void (async () => {
      const join = await ctx.pending.consume(id, token)
      if (!join) return refuseSocket(ctx, ws, new RelayError(ErrorCode.JOIN_TOKEN_INVALID, 'no live, unused admission for this id and token'))
      if (ws.readyState !== WebSocket.OPEN) return join.slot.release()
      const peer = new PeerSocket(ctx, ws, join, (s) => sockets.delete(s))
      sockets.add(peer)
      await peer.open()
    })().catch((err: unknown) => {
      ctx.log.error({ err: (err as Error)?.message, peerId: id }, 'socket open failed')
      ws.terminate()
    })
  }

  /** Waits until every socket closed; after `ms`, ends the rest. */
  const allClosed = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate()
        resolve()
      }, ms)
      t.unref()
      const check = () => (wss.clients.size === 0 ? (clearTimeout(t), resolve()) : setTimeout(check, 10).unref())
      check()
    })

  return {
    handleUpgrade(req, socket, head) {
      const socketPath = `${peerJsBasePath(ctx)}peerjs`
      if (pathOf(req) !== socketPath) return false
      const query = new URL(req.url ?? '/', 'http://relay').searchParams
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, query))
      return true
    },
    sweepIdle(now) {
      for (const s of sockets) {
        if (now - s.lastSeen >= ctx.opts.idleTimeoutMs) s.refuse(new RelayError(ErrorCode.IDLE_TIMEOUT, `silent for ${now - s.lastSeen} ms`))
      }
    },
    ping() {
      for (const s of sockets) if (s.ws.readyState === WebSocket.OPEN) s.ws.ping()
    },
    get size() {
      return sockets.size
    },
    evict(peerId) {
      for (const s of sockets) {
        if (s.endpoint.peerId === peerId) {
          s.evict()
          return true
        }
      }
      return false
    },
    async handover(timeoutMs) {
      for (const s of [...sockets]) s.handover()
      await allClosed(timeoutMs)
    },
    async closeAll() {
      for (const ws of wss.clients) ws.close(1001, 'relay shutting down')
      await allClosed(1000)
      await new Promise<void>((resolve) => wss.close(() => resolve()))
    },
  }
}
