/**
 * The host registry's routes (README "Hand-off to hosts"):
 *   POST /v1/hosts            register `{ id?, region, capacity, load, endpoint? }` and hold the answer, a
 *                             `text/event-stream` (`registered`, then a `session` per hand-off); closing it unregisters
 *   POST /v1/hosts/heartbeat  the same body: the host's load now (204); due within `hostTtlMs`
 *   POST /v1/hosts/leave      the same body: unregister now (204), without waiting for the stream's close to be seen
 * A host authenticates with `Authorization: HostSecret <hostSecret>` (self-hosting; its `id` is required) or with
 * `Authorization: Bearer <service-auth JWT>` scoped to `lobbyLxm` from a DID in `hostDids` (its id is that DID).
 * Anything else is refused before the body is read: HOST_NOT_ALLOWED (or the JWT's AUTH_* code).
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HostAnnouncementBody } from '../../signaling/contract.js'
import { isRecord } from '../../signaling/jwt-parts.js'
import { verifyCaller } from '../caller-auth.js'
import type { RelayContext } from '../context.js'
import { ErrorCode, RelayError } from '../errors.js'
import { readJsonBody } from '../http-util.js'

const MAX_BODY_BYTES = 2 * 1024
const ID_RE = /^[A-Za-z0-9._:~%-]{1,256}$/
const REGION_RE = /^[A-Za-z0-9._~-]{0,64}$/
const MAX_CAPACITY = 100_000

export const HOST_PATHS = new Set(['/v1/hosts', '/v1/hosts/heartbeat', '/v1/hosts/leave'])

const invalid = (message: string) => new RelayError(ErrorCode.HOST_REQUEST_INVALID, message)

/** Who the host is: the DID of a verified token from `hostDids`, or null for the host secret. */
async function hostCaller(ctx: RelayContext, req: IncomingMessage): Promise<{ did: string | null }> {
  const headers = req.headersDistinct.authorization ?? []
  if (headers.length !== 1) throw new RelayError(ErrorCode.HOST_NOT_ALLOWED, 'a host registers with the host secret or a service-auth token of a DID in hostDids')
  const header = headers[0].trim()
  const secret = /^HostSecret (\S+)$/.exec(header)
  if (secret) {
    const expected = ctx.opts.hostSecret
    const given = Buffer.from(secret[1])
    if (expected === undefined || given.length !== Buffer.byteLength(expected) || !timingSafeEqual(given, Buffer.from(expected))) {
      throw new RelayError(ErrorCode.HOST_NOT_ALLOWED, 'wrong host secret')
    }
    return { did: null }
  }
  const bearer = /^Bearer (\S+)$/i.exec(header)
  if (!bearer || bearer[1].length > ctx.opts.maxTokenBytes) throw new RelayError(ErrorCode.HOST_NOT_ALLOWED, 'a host registers with the host secret or a service-auth token of a DID in hostDids')
  const { did } = await verifyCaller(ctx, req, bearer[1], ctx.verifyLobbyToken, false)
  if (!ctx.opts.hostDids.includes(did)) throw new RelayError(ErrorCode.HOST_NOT_ALLOWED, `${did} is not in this relay's hostDids`)
  return { did }
}

function parseAnnouncement(b: Record<string, unknown>): HostAnnouncementBody {
  const known = new Set(['id', 'region', 'capacity', 'load', 'endpoint'])
  const unknown = Object.keys(b).filter((k) => !known.has(k))
  if (unknown.length) throw invalid(`unknown field ${unknown[0].slice(0, 40)}`)
  if (b.id !== undefined && (typeof b.id !== 'string' || !ID_RE.test(b.id))) throw invalid('id must be 1-256 characters of A-Z a-z 0-9 . _ : ~ % -')
  if (typeof b.region !== 'string' || !REGION_RE.test(b.region)) throw invalid('region must be 0-64 characters of A-Z a-z 0-9 . _ ~ -')
  if (!Number.isInteger(b.capacity) || (b.capacity as number) < 1 || (b.capacity as number) > MAX_CAPACITY) throw invalid(`capacity must be an integer from 1 to ${MAX_CAPACITY}`)
  if (!Number.isInteger(b.load) || (b.load as number) < 0 || (b.load as number) > (b.capacity as number)) throw invalid('load must be an integer from 0 to capacity')
  if (b.endpoint !== undefined && (typeof b.endpoint !== 'string' || b.endpoint.length > 256)) throw invalid('endpoint must be a string of at most 256 characters')
  return b as unknown as HostAnnouncementBody
}

/** The host's id: its DID (a body `id` must then be the same), or the body's `id` under the host secret. */
function hostId(did: string | null, body: HostAnnouncementBody): string {
  if (did !== null) {
    if (body.id !== undefined && body.id !== did) throw invalid(`id must be the token's DID (${did}) or left out`)
    return did
  }
  if (body.id === undefined) throw invalid('a host registering with the host secret gives its id')
  return body.id
}

export async function handleHosts(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, path: string, cors: Record<string, string>): Promise<void> {
  const { did } = await hostCaller(ctx, req)
  const body = parseAnnouncement(await readJsonBody(req, res, MAX_BODY_BYTES, ErrorCode.HOST_REQUEST_INVALID))
  const id = hostId(did, body)
  const hosts = ctx.lobby.hosts
  if (path === '/v1/hosts/leave') {
    await hosts.leave(id, did)
    res.writeHead(204, cors)
    return void res.end()
  }
  if (path === '/v1/hosts/heartbeat') {
    if (!(await hosts.heartbeat(id, did, body, Date.now()))) throw new RelayError(ErrorCode.HOST_UNKNOWN, `host ${id} has no registration stream open on this relay: register again`)
    res.writeHead(204, cors)
    return void res.end()
  }
  if (!(await hosts.admit(id, body, Date.now()))) throw new RelayError(ErrorCode.HOSTS_FULL, `the registry holds ${ctx.opts.maxHosts} live hosts`)
  res.writeHead(200, { ...cors, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' })
  res.flushHeaders()
  hosts.hold(id, did, res)
  ctx.log.info({ event: 'host_registered', host: id, did, region: body.region, capacity: body.capacity }, 'host registered')
}
