/**
 * HTTP routes of the relay:
 *   POST /v1/rooms/:room/join        admission (see join-handler.ts)
 *   GET|POST /v1/rooms, POST /v1/matchmaking   the lobby: room list and creation, matchmaking (lobby/routes.ts)
 *   GET  /.well-known/did.json       the relay's did:web document (ticket key, service entry)
 *   GET  /healthz                    liveness + counts (503 while draining)
 *   GET  /metrics                    Prometheus text
 *   GET  <peerjs path><key>/id       PeerJS id endpoint (ids are assigned by the join API; this one is never admitted)
 *   WS   <peerjs path>peerjs         PeerJS signaling socket (see peerjs-socket.ts)
 *   WS   /v1/social                  the social stream: presence, invites (see social/social-socket.ts)
 * Paths are under the public URL's path prefix, if any.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { RelayContext } from './context.js'
import { ErrorCode, RelayError } from './errors.js'
import { corsHeaders, pathOf, sendError, sendJson } from './http-util.js'
import { handleJoin, peerJsBasePath } from './join-handler.js'
import { handleLobby, LOBBY_PATHS } from './lobby/routes.js'
import { newPeerId } from './join-tokens.js'
import type { Duplex } from 'node:stream'

/** Takes a WebSocket upgrade (the PeerJS socket, the social socket); false if the path is none of theirs. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean

export function createHttpServer(limits: { headersTimeoutMs: number; maxHeaderBytes: number; corsOrigin: string }, ctx: () => RelayContext, upgrade: UpgradeHandler): Server {
  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: Math.max(30_000, limits.headersTimeoutMs),
    // Node checks these timeouts on an interval (default 30 s): check often enough for the configured value to hold.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  }, (req, res) => {
    route(ctx(), req, res).catch((err: unknown) => {
      ctx().log.error({ err: (err as Error)?.message, path: pathOf(req) }, 'request failed')
      if (!res.headersSent) sendError(res, new RelayError(ErrorCode.INTERNAL, 'internal error'))
      else res.destroy()
    })
  })
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy())
    if (!upgrade(req, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    }
  })
  // Requests Node refuses before any handler runs: answered with the JSON error shape of every other refusal.
  server.on('clientError', (err: Error & { code?: string }, socket) => {
    if (!socket.writable) return void socket.destroy() // already answered (Node reports the rest of an oversized request again)
    const refusal =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' // slowloris: headers (or the request) not complete within headersTimeoutMs / requestTimeout
        ? new RelayError(ErrorCode.REQUEST_TIMEOUT, `request headers not complete within ${limits.headersTimeoutMs} ms`)
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? new RelayError(ErrorCode.HEADERS_TOO_LARGE, `request headers larger than ${limits.maxHeaderBytes} bytes`)
          : new RelayError(ErrorCode.BAD_REQUEST, 'malformed HTTP request')
    const c = ctx()
    c.metrics.refusals.inc({ code: refusal.code, stage: 'http' })
    c.log.info({ event: 'http_refused', code: refusal.code }, refusal.message)
    const body = JSON.stringify(refusal.toJSON())
    const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...corsHeaders(limits.corsOrigin), connection: 'close' }
    socket.end(`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`)
  })
  return server
}

async function route(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://relay')
  const prefix = new URL(ctx.publicUrl).pathname.replace(/\/+$/, '')
  let path = url.pathname
  // did:web documents live at the host root whatever the public URL's path (also served under the prefix).
  if (path === '/.well-known/did.json' && (req.method === 'GET' || req.method === 'HEAD')) return sendDidDocument(ctx, req, res)
  if (prefix) {
    if (path !== prefix && !path.startsWith(prefix + '/')) return notFound(res)
    path = path.slice(prefix.length) || '/'
  }
  const method = req.method ?? 'GET'
  if (LOBBY_PATHS.has(path)) return handleLobby(ctx, req, res, path, url)
  const join = /^\/v1\/rooms\/([^/]+)\/join$/.exec(path)
  if (join) {
    if (method === 'OPTIONS') {
      res.writeHead(204, corsHeaders(ctx.opts.corsOrigin))
      return void res.end()
    }
    if (method !== 'POST') return sendError(res, new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'use POST'), { allow: 'POST, OPTIONS' })
    if (ctx.draining) {
      ctx.metrics.refusals.inc({ code: ErrorCode.RELAY_DRAINING, stage: 'join' })
      return sendError(res, new RelayError(ErrorCode.RELAY_DRAINING, 'this relay process is draining: retry (another process admits you)'), { ...corsHeaders(ctx.opts.corsOrigin), connection: 'close' })
    }
    ctx.joinsInFlight++
    try {
      return await handleJoin(ctx, req, res, join[1], url.searchParams)
    } finally {
      ctx.joinsInFlight--
    }
  }
  if (method !== 'GET' && method !== 'HEAD') return sendError(res, new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'method not allowed'))
  if (path === '/.well-known/did.json') return sendDidDocument(ctx, req, res)
  if (path === '/healthz') {
    // 503 while draining, so a load balancer's health check takes the process out at once.
    const counts = ctx.router.counts()
    const redis = ctx.redisStatus?.()
    return sendJson(res, ctx.draining ? 503 : 200, {
      ok: !ctx.draining, did: ctx.did, ...(ctx.draining ? { draining: true } : {}), ...(redis ? { redis } : {}),
      sockets: counts.peers, rooms: counts.rooms, slotsInUse: ctx.slots.inUse, pendingJoins: ctx.pending.size,
    })
  }
  if (path === '/metrics') {
    const text = await ctx.metrics.registry.metrics()
    res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType })
    return void res.end(text)
  }
  const peerjsIdPath = `${peerJsBasePath(ctx).slice(prefix.length)}${ctx.opts.peerjsKey}/id`
  if (path === peerjsIdPath) {
    res.writeHead(200, { 'content-type': 'text/html', 'access-control-allow-origin': '*' })
    return void res.end(newPeerId())
  }
  notFound(res)
}

/**
 * The DID document holds the key that signs tickets: a key change (restart with another key) must be seen at once,
 * so caches may keep it but must revalidate every time (`no-cache`); the ETag is the key, and a 304 costs nothing.
 */
function sendDidDocument(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): void {
  const etag = `"${ctx.key.did().slice('did:key:'.length)}"`
  const headers = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'etag', 'cache-control': 'no-cache', etag }
  if (req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) {
    res.writeHead(304, headers)
    return void res.end()
  }
  sendJson(res, 200, ctx.didDocument, headers)
}

function notFound(res: ServerResponse): void {
  sendError(res, new RelayError(ErrorCode.NOT_FOUND, 'not found'))
}
