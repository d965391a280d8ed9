/**
 * The social stream's WebSocket endpoint, `<public URL path>/v1/social`: at most `maxSocialSockets` sockets (each
 * authenticated by its first message, see social-socket.ts), idle ones closed like PeerJS sockets, and every
 * socket's friendships re-checked once per `socialGraphCacheTtlMs`.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { SOCIAL_PATH } from '../../signaling/social-contract.js'
import { looksLikeJwt } from '../../signaling/jwt-parts.js'
import { ErrorCode, RelayError } from '../errors.js'
import { pathOf } from '../http-util.js'
import { SlotPool } from '../slots.js'
import { SocialSocket, type SocialContext } from './social-socket.js'

export interface SocialServer {
  /** Handles an HTTP upgrade; false if the path is not the social socket's. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  sweepIdle(now: number): void
  ping(): void
  /** Re-checks every socket's friendships (see SocialSocket.revalidate). */
  revalidate(): void
  /** Open social sockets. */
  readonly size: number
  closeAll(): Promise<void>
}

export function createSocialServer(s: SocialContext): SocialServer {
  const { ctx } = s
  const wss = new WebSocketServer({ noServer: true, maxPayload: ctx.opts.maxPayloadBytes, perMessageDeflate: false, clientTracking: true })
  const slots = new SlotPool(ctx.opts.maxSocialSockets)
  const sockets = new Set<SocialSocket>()
  const path = `${new URL(ctx.publicUrl).pathname.replace(/\/+$/, '')}/${SOCIAL_PATH}`

  return {
    handleUpgrade(req, socket, head) {
      if (pathOf(req) !== path) return false
      const query = new URL(req.url ?? '/', 'http://relay').searchParams
      const address = ctx.clientAddress(req)
      wss.handleUpgrade(req, socket, head, (ws) => {
        const refuse = (err: RelayError) => {
          ctx.metrics.refusals.inc({ code: err.code, stage: 'social' })
          ws.send(JSON.stringify({ type: 'ERROR', code: err.code, message: err.message }))
          ws.close(1008, err.code)
        }
        if ([...query.values()].some(looksLikeJwt)) return refuse(new RelayError(ErrorCode.AUTH_TOKEN_IN_URL, 'credentials must never be put in the URL: send AUTH { token } as the first message'))
        const slot = slots.tryAcquire()
        if (!slot) return refuse(new RelayError(ErrorCode.SOCIAL_FULL, `the relay holds ${ctx.opts.maxSocialSockets} social sockets`))
        sockets.add(new SocialSocket(s, ws, address, slot, (gone) => sockets.delete(gone)))
      })
      return true
    },
    sweepIdle(now) {
      for (const sock of sockets) {
        if (now - sock.lastSeen >= ctx.opts.idleTimeoutMs) sock.refuse(new RelayError(ErrorCode.IDLE_TIMEOUT, `silent for ${now - sock.lastSeen} ms`))
      }
    },
    ping() {
      for (const sock of sockets) if (sock.ws.readyState === sock.ws.OPEN) sock.ws.ping()
    },
    revalidate() {
      for (const sock of sockets) void sock.revalidate()
    },
    get size() {
      return sockets.size
    },
    async closeAll() {
      for (const ws of wss.clients) ws.close(1001, 'relay shutting down')
      for (const sock of [...sockets]) sock.cleanup()
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate()
          resolve()
        }, 1000)
        t.unref()
        const check = () => (wss.clients.size === 0 ? (clearTimeout(t), resolve()) : setTimeout(check, 10).unref())
        check()
      })
      await new Promise<void>((resolve) => wss.close(() => resolve()))
    },
  }
}
