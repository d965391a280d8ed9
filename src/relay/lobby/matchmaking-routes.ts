/**
 * `POST /v1/matchmaking`: queues the caller and answers with a server-sent event stream (`text/event-stream`) that
 * stays open until the outcome: `queued` at once, then `matched` (room, session ticket, members), `timeout` or
 * `cancelled`, then the stream ends. The stream is the wait: closing it cancels it, so a player who went away is
 * never matched. (A POST, not `EventSource`: the token travels in the Authorization header.)
 *
 * Refusals come as plain JSON errors before the stream starts: MATCH_REQUEST_INVALID, MATCH_QUEUE_UNKNOWN,
 * MATCH_QUEUE_FULL (`maxWaiting`, `maxQueuedPlayers`, `maxMatchQueues`), MATCH_LIMIT (`maxQueuedPerAddress`),
 * MATCH_PARTY_MISMATCH, and the auth codes. A DID queueing again ends its earlier wait (`cancelled`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { MatchEvent, MatchRequest } from '../../signaling/contract.js'
import { isRecord } from '../../signaling/jwt-parts.js'
import { bearerToken, verifyCaller } from '../caller-auth.js'
import type { RelayContext } from '../context.js'
import { ErrorCode, RelayError } from '../errors.js'
import { addressKey } from '../handshake-budget.js'
import { readJsonBody } from '../http-util.js'
import { newLobbyId } from './lobby.js'
import type { QueueEntry } from './match-queue.js'

const MAX_BODY_BYTES = 4 * 1024
const MAX_ATTRIBUTES = 16
const QUEUE_RE = /^[A-Za-z0-9._~-]{1,64}$/
const PARTY_RE = /^[A-Za-z0-9_-]{16,64}$/
const ATTRIBUTE_RE = /^[A-Za-z0-9_.-]{1,32}$/

const invalid = (message: string) => new RelayError(ErrorCode.MATCH_REQUEST_INVALID, message)

export async function handleMatchmaking(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const request = parseMatchRequest(await readJsonBody(req, res, MAX_BODY_BYTES, ErrorCode.MATCH_REQUEST_INVALID))
  const jwt = bearerToken(ctx, req)
  const did = jwt === null ? null : (await verifyCaller(ctx, req, jwt, ctx.verifyLobbyToken, false)).did
  const { lobby, opts } = ctx
  const rules = lobby.rulesOf(request.queue)
  if (!rules) throw new RelayError(ErrorCode.MATCH_QUEUE_UNKNOWN, `no queue ${request.queue} on this relay`)
  if (request.party && (request.party.size < 1 || request.party.size > rules.size)) throw invalid(`party.size must be from 1 to the queue's size (${rules.size})`)
  const address = addressKey(ctx.clientAddress(req))
  if (did !== null) {
    for (const s of [...lobby.streams.values()]) {
      if (s.entry.did !== did) continue
      lobby.end(s.entry.id, { event: 'cancelled', data: { error: ErrorCode.MATCH_CANCELLED, message: 'the same DID queued again' } })
      // Out of a shared queue before the new entry is in: a tick never matches the two.
      await lobby.queue.cancel(s.entry.id)
    }
  } else if (lobby.waitingFrom(address) >= opts.maxQueuedPerAddress) {
    throw new RelayError(ErrorCode.MATCH_LIMIT, `${opts.maxQueuedPerAddress} players from your address are waiting already`)
  }
  if (lobby.queue.waiting() >= opts.maxQueuedPlayers) throw new RelayError(ErrorCode.MATCH_QUEUE_FULL, `${opts.maxQueuedPlayers} players are waiting, retry later`)
  if (lobby.queue.waiting(request.queue) === 0 && lobby.queue.queueCount() >= opts.maxMatchQueues) {
    throw new RelayError(ErrorCode.MATCH_QUEUE_FULL, `${opts.maxMatchQueues} queues have players waiting, retry later`)
  }
  const entry: QueueEntry = {
    id: newLobbyId(),
    queue: request.queue,
    did,
    attributes: request.attributes ?? {},
    ...(request.party ? { party: request.party } : {}),
    enqueuedAt: Date.now(),
  }
  const queued = await lobby.queue.enqueue(entry, rules)
  if (queued === 'queue-full') throw new RelayError(ErrorCode.MATCH_QUEUE_FULL, `queue ${request.queue} has ${rules.maxWaiting} players waiting, retry later`)
  if (queued === 'party-mismatch') {
    throw new RelayError(ErrorCode.MATCH_PARTY_MISMATCH, `party ${request.party!.id} is full, or its members queued with another size or other ${rules.sameAttributes.join(', ') || 'attributes'}`)
  }
  res.writeHead(200, { ...cors, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' })
  res.flushHeaders()
  const queuedEvent: MatchEvent = { event: 'queued', data: { ticket: entry.id, queue: entry.queue } }
  res.write(`event: ${queuedEvent.event}\ndata: ${JSON.stringify(queuedEvent.data)}\n\n`)
  const keepalive = setInterval(() => res.write(': keep-alive\n\n'), opts.matchKeepaliveMs)
  keepalive.unref()
  lobby.hold({ entry, address, res, keepalive })
  ctx.log.info({ event: 'match_queued', queue: entry.queue, ticket: entry.id, did, party: request.party?.id }, 'queued for a match')
  lobby.soon()
}

function parseMatchRequest(b: Record<string, unknown>): MatchRequest {
  const known = new Set(['queue', 'attributes', 'party'])
  const unknown = Object.keys(b).filter((k) => !known.has(k))
  if (unknown.length) throw invalid(`unknown field ${unknown[0]}`)
  if (typeof b.queue !== 'string' || !QUEUE_RE.test(b.queue)) throw invalid('queue must be 1-64 characters of A-Z a-z 0-9 . _ ~ -')
  const r: MatchRequest = { queue: b.queue }
  if (b.attributes !== undefined) {
    if (!isRecord(b.attributes)) throw invalid('attributes must be an object')
    const entries = Object.entries(b.attributes)
    if (entries.length > MAX_ATTRIBUTES) throw invalid(`at most ${MAX_ATTRIBUTES} attributes`)
    for (const [k, v] of entries) {
      if (!ATTRIBUTE_RE.test(k)) throw invalid(`attribute name ${k.slice(0, 40)} is not 1-32 characters of A-Z a-z 0-9 _ . -`)
      if (!(typeof v === 'number' && Number.isFinite(v)) && !(typeof v === 'string' && v.length <= 64)) throw invalid(`attribute ${k} must be a finite number or a string of at most 64 characters`)
    }
    r.attributes = b.attributes as Record<string, string | number>
  }
  if (b.party !== undefined) {
    const p = b.party
    if (!isRecord(p) || typeof p.id !== 'string' || !PARTY_RE.test(p.id) || !Number.isInteger(p.size)) throw invalid('party must be { id: 16-64 characters of A-Z a-z 0-9 _ -, size }')
    r.party = { id: p.id, size: p.size as number }
  }
  return r
}
