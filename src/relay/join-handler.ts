/**
 * `POST /v1/rooms/:room/join`: verifies the caller (service-auth JWT or anonymous), reserves capacity, and returns
 * a peer id, a single-use join token, a relay-signed ticket, the room's roster and the PeerJS options.
 *
 * Order of checks: request shape (room name, credential in URL, one Authorization header) -> relay slot (before any
 * network work) -> token verification (claims first, then the issuer key and the handle check; all of it within
 * `handshakeTimeoutMs`) -> the room's options if it is one of the lobby's (password, invite, session ticket; see
 * lobby/room-access.ts) -> the room's policy (friends only: the social graph, within the same deadline) -> room slot
 * (the lobby room's `maxPlayers`). The handshake budget (relay-wide and per client address) is taken only when
 * verification has to wait on the network, so a join whose issuer key is cached needs no place in it. Every refusal
 * releases what it took.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { decodeJwt, isRecord, looksLikeJwt } from '../signaling/jwt-parts.js'
import { RESUME_TYP, verifyRelayToken } from '../signaling/ticket.js'
import type { JoinRequestBody, JoinResult, PeerJsServerOptions } from '../signaling/contract.js'
import { bearerToken, verifyCaller } from './caller-auth.js'
import type { RelayContext } from './context.js'
import { ErrorCode, RelayError } from './errors.js'
import { corsHeaders, readJsonBody, sendError, sendJson, toRelayError } from './http-util.js'
import { newJoinToken, newPeerId } from './join-tokens.js'
import { admitToRoom, roomClaim, type RoomGrant } from './lobby/room-access.js'
import { withDeadline } from './deadline.js'
import { combine } from './slots.js'
import { signTicket } from './ticket-sign.js'
import { turnServerFor } from './turn-credentials.js'
import { normalizeFingerprint } from '../signaling/fingerprint.js'
import { admissionPolicy } from './social/room-policy.js'
import type { Slot } from './slots.js'

export const ROOM_RE = /^[A-Za-z0-9._~-]{1,64}$/
/** Query parameters that carry credentials by convention. */
const CREDENTIAL_PARAMS = ['token', 'access_token', 'jwt', 'auth', 'authorization', 'id_token']

export function peerJsOptions(ctx: RelayContext): PeerJsServerOptions {
  const u = new URL(ctx.publicUrl)
  const secure = u.protocol === 'https:'
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 443 : 80,
    path: peerJsBasePath(ctx),
    key: ctx.opts.peerjsKey,
    secure,
  }
}

/** The PeerJS `path` option: public URL path + `peerjsPath`, with leading and trailing slashes. */
export function peerJsBasePath(ctx: RelayContext): string {
  const base = new URL(ctx.publicUrl).pathname.replace(/\/+$/, '')
  const rel = ctx.opts.peerjsPath.replace(/^\/+|\/+$/g, '')
  return `${base}/${rel ? rel + '/' : ''}`
}

export async function handleJoin(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, rawRoom: string, query: URLSearchParams): Promise<void> {
  const started = performance.now()
  const cors = corsHeaders(ctx.opts.corsOrigin)
  let room = rawRoom
  try {
    room = decodeURIComponent(rawRoom)
  } catch {
    /* keep raw: fails the pattern below */
  }
  const refuse = (err: RelayError, extra: Record<string, unknown> = {}) => {
    ctx.metrics.refusals.inc({ code: err.code, stage: 'join' })
    ctx.metrics.joinDuration.observe({ outcome: 'refused' }, (performance.now() - started) / 1000)
    ctx.log.info({ event: 'join_refused', code: err.code, room: ROOM_RE.test(room) ? room : undefined, reason: err.message, ...extra }, 'join refused')
    sendError(res, err, cors)
  }

  let body: JoinBody
  try {
    body = await readJoinBody(req, res)
  } catch (err) {
    return refuse(err instanceof RelayError ? err : new RelayError(ErrorCode.JOIN_BODY_INVALID, 'invalid body'))
  }

  if (!ROOM_RE.test(room)) return refuse(new RelayError(ErrorCode.ROOM_INVALID, 'room must be 1-64 characters of A-Z a-z 0-9 . _ ~ -'))
  for (const [name, value] of query) {
    if (CREDENTIAL_PARAMS.includes(name.toLowerCase()) || looksLikeJwt(value)) {
      return refuse(new RelayError(ErrorCode.AUTH_TOKEN_IN_URL, 'credentials must be sent in the Authorization header, never in the URL'))
    }
  }

  let jwt: string | null
  try {
    jwt = bearerToken(ctx, req)
  } catch (err) {
    return refuse(toRelayError(err))
  }

  const slot = ctx.slots.tryAcquire()
  if (!slot) return refuse(new RelayError(ErrorCode.RELAY_FULL, 'relay is full'))
  let did: string | null = null
  let handle: string | undefined
  if (jwt !== null) {
    try {
      ;({ did, handle } = await verifyCaller(ctx, req, jwt, ctx.verifyToken, true))
    } catch (err) {
      slot.release()
      const e = toRelayError(err)
      if (e.code === ErrorCode.INTERNAL) ctx.log.error({ err: (err as Error)?.message }, 'token verification crashed')
      return refuse(e)
    }
  }

  let resumed: Awaited<ReturnType<typeof resumable>>
  let peerId: string
  let grant: RoomGrant
  let entered: { friendsOf: string | undefined; roomSlot: Slot }
  try {
    // Resume first: replacing our own old socket frees its room slot (with `redis`, wherever that socket is).
    resumed = body.resume ? await resumable(ctx, body.resume, room, did) : null
    peerId = resumed?.peerId ?? newPeerId()
    grant = await admitToRoom(ctx, req, room, did, body, resumed?.lobby)
    entered = await enterRoom(ctx, room, peerId, did, body.friendsOnly, resumed?.friendsOf, grant.maxPlayers)
  } catch (err) {
    slot.release()
    return refuse(toRelayError(err), { did })
  }
  const { friendsOf } = entered
  const held = combine(slot, entered.roomSlot)
  try {
    const admittedAt = resumed?.admittedAt ?? ctx.admissions.next()
    const joinToken = newJoinToken()
    const iat = Math.floor(Date.now() / 1000)
    const fingerprint = body.fingerprint
    const claims = {
      iss: ctx.did, ...(did ? { did } : {}), ...(handle ? { handle } : {}), room, peerId, admittedAt,
      ...(fingerprint ? { fingerprint } : {}), ...(friendsOf ? { friendsOf } : {}), iat, exp: iat + ctx.opts.ticketTtlSec,
    }
    const ticket = await signTicket(ctx.key, claims)
    const resumeToken = await signTicket(ctx.key, claims, RESUME_TYP, grant.record ? { lobby: roomClaim(ctx, grant.record) } : {})
    await ctx.pending.add({ peerId, room, did, handle, admittedAt, ticket, slot: held }, joinToken)
    const result: JoinResult = {
      room,
      peerId,
      joinToken,
      joinTokenExpiresIn: ctx.opts.joinTokenTtlSec,
      ticket,
      admittedAt,
      resumeToken,
      relayDid: ctx.did,
      did,
      ...(handle ? { handle } : {}),
      ...(fingerprint ? { fingerprint } : {}),
      ...(friendsOf ? { friendsOf } : {}),
      roster: await ctx.router.roster(room),
      iceServers: ctx.opts.turnUrls.length > 0 && ctx.opts.turnSecret
        ? [...ctx.opts.iceServers, turnServerFor({ urls: ctx.opts.turnUrls, secret: ctx.opts.turnSecret, ttlSec: ctx.opts.turnTtlSec }, peerId, Date.now())]
        : ctx.opts.iceServers,
      peerjs: peerJsOptions(ctx),
    }
    ctx.metrics.admissions.inc({ auth: did ? 'atproto' : 'anonymous' })
    ctx.metrics.joinDuration.observe({ outcome: 'admitted' }, (performance.now() - started) / 1000)
    ctx.log.info({ event: 'join_admitted', room, peerId, did, handle, admittedAt, resumed: resumed !== null, ms: Math.round(performance.now() - started) }, 'join admitted')
    sendJson(res, 200, result, cors)
  } catch (err) {
    held.release()
    refuse(toRelayError(err))
  }
}

/** The join body as read: `fingerprint` in its canonical form, `friendsOnly` always set. */
type JoinBody = JoinRequestBody & { friendsOnly: boolean }

/**
 * The room's policy, then its slot: the joiner must pass the policy (friends only: a friend of the creator), and the
 * first one in sets it. The policy is read again once the slot is held: if the room changed meanwhile (it emptied and
 * someone else created it), the joiner is checked against the new one.
 */
async function enterRoom(ctx: RelayContext, room: string, peerId: string, did: string | null, friendsOnly: boolean, restored: string | undefined, maxPlayers: number): Promise<{ friendsOf: string | undefined; roomSlot: Slot }> {
  const ms = ctx.opts.handshakeTimeoutMs
  for (let attempt = 0; attempt < 3; attempt++) {
    const query = { room, did, friendsOnly, restored, exists: (await ctx.roomSlots.inUse(room)) > 0 }
    const friendsOf = await withDeadline(admissionPolicy(ctx.roomPolicies, ctx.graph, query), ms, () => new RelayError(ErrorCode.AUTH_TIMEOUT, `the room's policy took longer than ${ms} ms to check`))
    const roomSlot = await ctx.roomSlots.tryAcquire(room, peerId, maxPlayers)
    if (!roomSlot) throw new RelayError(ErrorCode.ROOM_FULL, `room is full (${maxPlayers} peers)`)
    if (roomSlot.first) {
      if (friendsOf) await ctx.roomPolicies.set(room, friendsOf)
      return { friendsOf, roomSlot }
    }
    if ((await ctx.roomPolicies.friendsOf(room)) === friendsOf && (query.exists || !friendsOnly)) return { friendsOf, roomSlot }
    roomSlot.release()
  }
  throw new RelayError(ErrorCode.RELAY_BUSY, `room ${room} kept changing while joining, retry`)
}

const MAX_BODY_BYTES = 16 * 1024

/** Reads the optional JSON body `{ resume?, fingerprint?, friendsOnly?, password?, invite?, session? }` (at most 16 KiB). */
async function readJoinBody(req: IncomingMessage, res: ServerResponse): Promise<JoinBody> {
  const parsed = await readJsonBody(req, res, MAX_BODY_BYTES, ErrorCode.JOIN_BODY_INVALID)
  const body: JoinBody = { friendsOnly: false }
  const r = parsed.resume
  if (r !== undefined) {
    if (!isRecord(r) || typeof r.peerId !== 'string' || typeof r.token !== 'string' || r.token.length > 8192) {
      throw new RelayError(ErrorCode.JOIN_BODY_INVALID, 'resume must be { peerId, token }')
    }
    body.resume = { peerId: r.peerId, token: r.token }
  }
  for (const k of ['password', 'invite', 'session'] as const) {
    const v = parsed[k]
    if (v === undefined) continue
    if (typeof v !== 'string' || v.length === 0 || v.length > 8192) throw new RelayError(ErrorCode.JOIN_BODY_INVALID, `${k} must be a non-empty string`)
    body[k] = v
  }
  if (parsed.fingerprint !== undefined) {
    const fingerprint = normalizeFingerprint(parsed.fingerprint)
    if (!fingerprint) throw new RelayError(ErrorCode.JOIN_BODY_INVALID, 'fingerprint must be a DTLS certificate fingerprint: "sha-256 AB:CD:…"')
    body.fingerprint = fingerprint
  }
  if (parsed.friendsOnly !== undefined && typeof parsed.friendsOnly !== 'boolean') throw new RelayError(ErrorCode.JOIN_BODY_INVALID, 'friendsOnly must be a boolean')
  body.friendsOnly = parsed.friendsOnly === true
  return body
}

/**
 * The previous peer id and admission time if the resume request proves them: our own resume token (private to the
 * peer it was issued to, unlike the ticket every room peer holds), signed by the relay's key or a retired one
 * (`previousKeys`: a restart after a key rotation), same room, same identity as this join (the same DID, or
 * anonymous again). Any admission or socket still holding that id is replaced. Else null: a fresh id.
 */
async function resumable(ctx: RelayContext, resume: { peerId: string; token: string }, room: string, did: string | null): Promise<{ peerId: string; admittedAt: number; friendsOf?: string; lobby: unknown } | null> {
  let claims
  for (const key of [ctx.key.did(), ...ctx.previousKeys]) {
    try {
      claims = await verifyRelayToken(resume.token, key, { room, peerId: resume.peerId }, RESUME_TYP)
      break
    } catch {
      /* next key */
    }
  }
  if (!claims || claims.iss !== ctx.did || (claims.did ?? null) !== did || !/^[0-9a-f]{32}$/.test(claims.peerId)) return null
  await ctx.pending.drop(claims.peerId)
  await ctx.evict(claims.peerId, room)
  // The room's record, when the room was one of the lobby's directory (see lobby/room-access.ts).
  const lobby = decodeJwt(resume.token).payload.lobby
  return { peerId: claims.peerId, admittedAt: claims.admittedAt, ...(claims.friendsOf ? { friendsOf: claims.friendsOf } : {}), lobby }
}
