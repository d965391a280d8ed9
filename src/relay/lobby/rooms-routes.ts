/** `GET /v1/rooms` (the public room list) and `POST /v1/rooms` (create a room with options). */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { CreatedRoom, CreateRoomRequest, JsonValue, RoomAccessMode, RoomList } from '../../signaling/contract.js'
import { isRecord } from '../../signaling/jwt-parts.js'
import { bearerToken, verifyCaller } from '../caller-auth.js'
import type { RelayContext } from '../context.js'
import { ErrorCode, RelayError } from '../errors.js'
import { readJsonBody, sendJson } from '../http-util.js'
import { ROOM_RE } from '../join-handler.js'
import { newLobbyId } from './lobby.js'
import { hashPassword, signInvite } from './room-access.js'
import { roomInfo, type RoomFilter, type RoomRecord } from './room-directory.js'

const MAX_CREATE_BODY_BYTES = 16 * 1024
const MAX_INVITED = 32
const MAX_PAGE = 100
const MAX_METADATA_FILTERS = 8
const DID_RE = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]{1,240}$/
const ACCESS: RoomAccessMode[] = ['open', 'password', 'invite']

const invalid = (message: string) => new RelayError(ErrorCode.ROOM_OPTIONS_INVALID, message)

export async function handleListRooms(ctx: RelayContext, url: URL, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const q = url.searchParams
  const limit = q.has('limit') ? Number(q.get('limit')) : 20
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalid(`limit must be an integer from 1 to ${MAX_PAGE}`)
  const cursor = q.get('cursor') ?? undefined
  if (cursor !== undefined && !/^[0-9a-z]{1,12}$/.test(cursor)) throw invalid('cursor must be the `next` of a previous page')
  const filter: RoomFilter = {}
  const available = q.get('available')
  if (available !== null) filter.available = /^(1|true)$/.test(available)
  const access = q.get('access')
  if (access !== null) {
    if (!ACCESS.includes(access as RoomAccessMode)) throw invalid(`access must be one of ${ACCESS.join(', ')}`)
    filter.access = access as RoomAccessMode
  }
  const meta = [...q].filter(([k]) => k.startsWith('meta.'))
  if (meta.length > MAX_METADATA_FILTERS) throw invalid(`at most ${MAX_METADATA_FILTERS} metadata filters`)
  if (meta.length) filter.metadata = Object.fromEntries(meta.map(([k, v]) => [k.slice('meta.'.length), v]))
  const page = await ctx.lobby.rooms.list(filter, limit, cursor)
  const body: RoomList = { rooms: page.rooms.map(roomInfo), next: page.next }
  sendJson(res, 200, body, cors)
}

export async function handleCreateRoom(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const request = parseCreate(ctx, await readJsonBody(req, res, MAX_CREATE_BODY_BYTES, ErrorCode.ROOM_OPTIONS_INVALID))
  const jwt = bearerToken(ctx, req)
  const did = jwt === null ? null : (await verifyCaller(ctx, req, jwt, ctx.verifyLobbyToken, false)).did
  const name = request.name ?? `r-${randomBytes(8).toString('hex')}`
  // A room in use without having been created (joined by name) is somebody's already.
  if ((await ctx.roomSlots.inUse(name)) > 0) throw new RelayError(ErrorCode.ROOM_EXISTS, `room ${name} exists`)
  const now = Date.now()
  const record: RoomRecord = {
    id: newLobbyId(),
    name,
    visibility: request.visibility ?? 'public',
    maxPlayers: request.maxPlayers ?? ctx.opts.maxPeersPerRoom,
    metadata: request.metadata ?? {},
    creator: ctx.lobby.creatorOf(did, ctx.clientAddress(req)),
    ...(request.password !== undefined ? { password: hashPassword(request.password) } : {}),
    inviteOnly: request.inviteOnly ?? false,
    invited: request.invited ?? [],
    createdAt: now,
  }
  const created = await ctx.lobby.rooms.create(record, { maxRooms: ctx.opts.maxRooms, maxPerCreator: ctx.opts.maxRoomsPerCreator }, now)
  if (created === 'exists') throw new RelayError(ErrorCode.ROOM_EXISTS, `room ${name} exists`)
  if (created === 'full') throw new RelayError(ErrorCode.LOBBY_FULL, `the room directory holds ${ctx.opts.maxRooms} rooms`)
  if (created === 'creator-limit') throw new RelayError(ErrorCode.ROOM_LIMIT, `you hold ${ctx.opts.maxRoomsPerCreator} rooms already`)
  ctx.log.info({ event: 'room_created', room: name, did, visibility: record.visibility, maxPlayers: record.maxPlayers }, 'room created')
  const answer: CreatedRoom = {
    ...roomInfo({ ...record, players: 0 }),
    visibility: record.visibility,
    ...(record.inviteOnly ? { invite: await signInvite(ctx, record, now) } : {}),
  }
  sendJson(res, 201, answer, cors)
}

/** Validates the body of `POST /v1/rooms`; throws ROOM_OPTIONS_INVALID or ROOM_METADATA_TOO_LARGE. */
function parseCreate(ctx: RelayContext, b: Record<string, unknown>): CreateRoomRequest {
  const known = new Set(['name', 'visibility', 'maxPlayers', 'metadata', 'password', 'inviteOnly', 'invited'])
  const unknown = Object.keys(b).filter((k) => !known.has(k))
  if (unknown.length) throw invalid(`unknown option ${unknown[0]}`)
  const r: CreateRoomRequest = {}
  if (b.name !== undefined) {
    if (typeof b.name !== 'string' || !ROOM_RE.test(b.name)) throw invalid('name must be 1-64 characters of A-Z a-z 0-9 . _ ~ -')
    r.name = b.name
  }
  if (b.visibility !== undefined) {
    if (b.visibility !== 'public' && b.visibility !== 'private') throw invalid('visibility must be public or private')
    r.visibility = b.visibility
  }
  if (b.maxPlayers !== undefined) {
    const max = ctx.opts.maxPeersPerRoom
    if (!Number.isInteger(b.maxPlayers) || (b.maxPlayers as number) < 1 || (b.maxPlayers as number) > max) throw invalid(`maxPlayers must be an integer from 1 to ${max}`)
    r.maxPlayers = b.maxPlayers as number
  }
  if (b.metadata !== undefined) {
    if (!isRecord(b.metadata)) throw invalid('metadata must be a JSON object')
    const bytes = Buffer.byteLength(JSON.stringify(b.metadata))
    if (bytes > ctx.opts.maxRoomMetadataBytes) {
      throw new RelayError(ErrorCode.ROOM_METADATA_TOO_LARGE, `metadata is ${bytes} bytes as JSON, more than ${ctx.opts.maxRoomMetadataBytes}`)
    }
    r.metadata = b.metadata as { [key: string]: JsonValue }
  }
  if (b.password !== undefined) {
    if (typeof b.password !== 'string' || b.password.length < 1 || b.password.length > 128) throw invalid('password must be 1-128 characters')
    r.password = b.password
  }
  if (b.inviteOnly !== undefined) {
    if (typeof b.inviteOnly !== 'boolean') throw invalid('inviteOnly must be a boolean')
    r.inviteOnly = b.inviteOnly
  }
  if (b.invited !== undefined) {
    if (!Array.isArray(b.invited) || b.invited.length > MAX_INVITED || !b.invited.every((d) => typeof d === 'string' && DID_RE.test(d))) {
      throw invalid(`invited must be a list of at most ${MAX_INVITED} DIDs`)
    }
    if (!r.inviteOnly) throw invalid('invited needs inviteOnly')
    r.invited = [...new Set(b.invited as string[])]
  }
  if (r.password !== undefined && r.inviteOnly) throw invalid('a room has a password or is invite-only, not both')
  return r
}
