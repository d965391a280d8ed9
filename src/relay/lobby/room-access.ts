/**
 * A join honouring the options of a room of the directory (called by the join handler once the caller is verified):
 * its password, its invite-only rule (an invite token, an invited DID, or a matchmade session's ticket) and its
 * `maxPlayers`. A room not in the directory (ad-hoc) has no options.
 *
 * Rebuilt from live sockets: every member's resume token carries the room's record (`lobby` claim, with the id of the
 * process that made it), so after a restart, or on another instance of the same key, the first member who resumes
 * puts the room back in the directory, options and all, and the players come back with their sockets. A record made
 * by this very process is never put back (that room was dropped, empty). A member resuming into its own room (same
 * record id) needs no password or invite again. If the directory is full, the join is refused (`LOBBY_FULL`): a room
 * whose options cannot be restored is never opened without them.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { JoinRequestBody } from '../../signaling/contract.js'
import { isRecord } from '../../signaling/jwt-parts.js'
import { verifySessionTicket } from '../../signaling/session-ticket.js'
import { checkExpiry, verifyRelaySigned } from '../../signaling/ticket.js'
import type { RelayContext } from '../context.js'
import { ErrorCode, RelayError } from '../errors.js'
import { signRelayToken } from '../ticket-sign.js'
import type { RoomEntry, RoomRecord } from './room-directory.js'

/** JOSE `typ` of an invite token: `{ iss, room, roomId, iat, exp }`. */
export const INVITE_TYP = 'bitecs-invite+jwt'

/** What a join into `room` may use: its player cap, and the record to put in the new resume token. */
export interface RoomGrant {
  maxPlayers: number
  record: RoomRecord | null
}

/** The `lobby` claim of resume tokens: the room's record and the process that made it. */
export type RoomClaim = RoomRecord & { boot: string }

export function roomClaim(ctx: RelayContext, record: RoomRecord): RoomClaim {
  return { ...record, boot: ctx.lobby.boot }
}

export function hashPassword(password: string): { salt: string; hash: string } {
  const salt = randomBytes(16).toString('base64url')
  return { salt, hash: digest(salt, password) }
}

const digest = (salt: string, password: string) => createHash('sha256').update(salt).update('\0').update(password, 'utf8').digest('base64url')

function passwordMatches(stored: { salt: string; hash: string }, given: string): boolean {
  return timingSafeEqual(Buffer.from(digest(stored.salt, given)), Buffer.from(stored.hash))
}

export function signInvite(ctx: RelayContext, record: RoomRecord, now: number): Promise<string> {
  const iat = Math.floor(now / 1000)
  return signRelayToken(ctx.key, { iss: ctx.did, room: record.name, roomId: record.id, iat, exp: iat + ctx.opts.inviteTtlSec }, INVITE_TYP)
}

/** The first relay key (current, then retired ones) under which `check` succeeds; false if none. */
async function underRelayKeys(ctx: RelayContext, check: (key: string) => Promise<boolean>): Promise<boolean> {
  for (const key of [ctx.key.did(), ...ctx.previousKeys]) {
    try {
      if (await check(key)) return true
    } catch {
      /* next key */
    }
  }
  return false
}

function inviteValid(ctx: RelayContext, token: string, room: RoomEntry): Promise<boolean> {
  return underRelayKeys(ctx, async (key) => {
    const { payload: p } = await verifyRelaySigned(token, key, INVITE_TYP)
    if (typeof p.exp !== 'number') return false
    checkExpiry(p.exp, { clockSkewSec: ctx.opts.clockSkewSec })
    return p.iss === ctx.did && p.room === room.name && p.roomId === room.id
  })
}

function sessionValid(ctx: RelayContext, token: string, room: RoomEntry, did: string | null): Promise<boolean> {
  return underRelayKeys(ctx, async (key) => {
    const claims = await verifySessionTicket(token, key, { session: room.session, room: room.name, clockSkewSec: ctx.opts.clockSkewSec })
    return claims.iss === ctx.did && (claims.did ?? null) === did
  })
}

/** Reads a `lobby` claim back into a record (relay-signed, so only its shape is checked). */
function recordOf(claim: unknown, room: string): RoomClaim | null {
  if (!isRecord(claim) || claim.name !== room || typeof claim.id !== 'string' || typeof claim.boot !== 'string') return null
  const c = claim as unknown as RoomClaim
  const ok = (c.visibility === 'public' || c.visibility === 'private') && Number.isInteger(c.maxPlayers) && isRecord(c.metadata) &&
    typeof c.creator === 'string' && typeof c.inviteOnly === 'boolean' && Array.isArray(c.invited) && typeof c.createdAt === 'number'
  return ok ? c : null
}

/**
 * Checks a join into `room` against its options; throws the refusal (`ROOM_PASSWORD_REQUIRED`, `ROOM_PASSWORD_WRONG`,
 * `RATE_LIMITED` for password attempts over the lobby rate, `ROOM_INVITE_REQUIRED`, `LOBBY_FULL`).
 */
export async function admitToRoom(
  ctx: RelayContext,
  req: IncomingMessage,
  room: string,
  did: string | null,
  body: JoinRequestBody,
  resumedClaim: unknown,
): Promise<RoomGrant> {
  const { rooms } = ctx.lobby
  const claim = resumedClaim === undefined ? null : recordOf(resumedClaim, room)
  let entry = await rooms.get(room)
  if (!entry && claim && claim.boot !== ctx.lobby.boot) {
    const { boot: _boot, ...record } = claim
    const created = await rooms.create(record, { maxRooms: ctx.opts.maxRooms, maxPerCreator: null }, Date.now())
    if (created === 'full') throw new RelayError(ErrorCode.LOBBY_FULL, `room ${room} cannot be restored: the directory holds ${ctx.opts.maxRooms} rooms`)
    entry = await rooms.get(room)
    if (created === 'created') ctx.log.info({ event: 'room_restored', room }, 'room rebuilt from a member\'s resume token')
  }
  if (!entry) return { maxPlayers: ctx.opts.maxPeersPerRoom, record: null }
  const grant = { maxPlayers: entry.maxPlayers, record: recordFrom(entry) }
  if (claim && claim.id === entry.id) return grant
  if (entry.password) {
    if (body.password === undefined) throw new RelayError(ErrorCode.ROOM_PASSWORD_REQUIRED, 'this room has a password')
    if (!ctx.lobby.rate.take(ctx.clientAddress(req))) throw new RelayError(ErrorCode.RATE_LIMITED, 'too many lobby requests from your address, retry shortly')
    if (!passwordMatches(entry.password, body.password)) throw new RelayError(ErrorCode.ROOM_PASSWORD_WRONG, 'wrong password for this room')
    return grant
  }
  if (!entry.inviteOnly) return grant
  const invited = did !== null && (entry.creator === did || entry.invited.includes(did))
  if (invited || (body.invite !== undefined && (await inviteValid(ctx, body.invite, entry))) ||
    (body.session !== undefined && entry.session !== undefined && (await sessionValid(ctx, body.session, entry, did)))) return grant
  throw new RelayError(ErrorCode.ROOM_INVITE_REQUIRED, entry.session ? 'this room is a matchmade session\'s: join it with your session ticket' : 'this room is invite-only')
}

function recordFrom(entry: RoomEntry): RoomRecord {
  const { players: _players, ...record } = entry
  return record
}
