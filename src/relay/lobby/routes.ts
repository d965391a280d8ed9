/**
 * The lobby's HTTP routes (README "Lobbies and matchmaking"):
 *   GET  /v1/rooms          public rooms with player counts and metadata (filter, paging); no token needed
 *   POST /v1/rooms          create a room with options (token scoped to `lobbyLxm`, or anonymous where allowed)
 *   POST /v1/matchmaking    queue, and wait on the answer (a `text/event-stream`) for the match
 *   POST /v1/hosts[/heartbeat]  a host registers and heartbeats (host-routes.ts)
 * Every request except a CORS preflight first takes a token of the caller address's lobby rate.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RelayContext } from '../context.js'
import { ErrorCode, RelayError } from '../errors.js'
import { corsHeaders, sendError, toRelayError } from '../http-util.js'
import { HOST_PATHS, handleHosts } from './host-routes.js'
import { handleMatchmaking } from './matchmaking-routes.js'
import { handleCreateRoom, handleListRooms } from './rooms-routes.js'

export const LOBBY_PATHS = new Set(['/v1/rooms', '/v1/matchmaking', ...HOST_PATHS])

export async function handleLobby(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
  const cors = corsHeaders(ctx.opts.corsOrigin)
  const method = req.method ?? 'GET'
  if (method === 'OPTIONS') {
    res.writeHead(204, cors)
    return void res.end()
  }
  const refuse = (err: RelayError, headers: Record<string, string> = {}) => {
    ctx.metrics.refusals.inc({ code: err.code, stage: 'lobby' })
    ctx.log.info({ event: 'lobby_refused', code: err.code, path, reason: err.message }, 'lobby request refused')
    sendError(res, err, { ...cors, ...headers })
  }
  const allowed = path === '/v1/rooms' ? ['GET', 'HEAD', 'POST'] : ['POST']
  if (!allowed.includes(method)) return refuse(new RelayError(ErrorCode.METHOD_NOT_ALLOWED, `use ${allowed.join(' or ')}`), { allow: `${allowed.join(', ')}, OPTIONS` })
  if (!ctx.lobby.rate.take(ctx.clientAddress(req))) {
    return refuse(new RelayError(ErrorCode.RATE_LIMITED, 'too many lobby requests from your address, retry shortly'), { 'retry-after': String(Math.ceil(1 / ctx.opts.lobbyRatePerSec)) })
  }
  try {
    if (HOST_PATHS.has(path)) await handleHosts(ctx, req, res, path, cors)
    else if (path === '/v1/matchmaking') await handleMatchmaking(ctx, req, res, cors)
    else if (method === 'POST') await handleCreateRoom(ctx, req, res, cors)
    else await handleListRooms(ctx, url, res, cors)
  } catch (err) {
    const e = toRelayError(err)
    if (e.code === ErrorCode.INTERNAL) ctx.log.error({ err: (err as Error)?.message, path }, 'lobby request failed')
    if (res.headersSent) return void res.end()
    refuse(e)
  }
}
