/**
 * The lobby of one relay process: the room directory, the match queue, the matchmaking streams held here, and the
 * lobby's per-address rate. `tick` (every `matchTickMs`, and right after each enqueue) forms matches, makes each
 * match's room and tells every member over its stream with its session ticket; it also drops rooms left empty for
 * `emptyRoomTtlMs`. The lobby is outside the gameplay path: sessions it started never depend on it again.
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { Keypair } from '@atproto/crypto'
import type { Logger } from 'pino'
import type { Match, MatchEvent, SessionMember } from '../../signaling/contract.js'
import { SESSION_TYP, type SessionTicketClaims } from '../../signaling/session-ticket.js'
import { ErrorCode } from '../errors.js'
import { addressKey } from '../handshake-budget.js'
import type { RelayMetrics } from '../metrics.js'
import { resolveQueueRules, type ResolvedRelayOptions } from '../options.js'
import type { SignalRouter } from '../signal-router.js'
import { signRelayToken } from '../ticket-sign.js'
import { AddressRateLimiter } from './address-rate.js'
import { HostHandoff } from './host-handoff.js'
import { LocalHostRegistry } from './host-registry.js'
import { LocalMatchQueue, sessionMembers, type MatchQueue, type MatchQueueRules, type QueueEntry, type QueueOutcome } from './match-queue.js'
import { LocalRoomDirectory, type RoomDirectory, type RoomRecord } from './room-directory.js'

/** The host's member id in the sessions handed to it. */
export const HOST_MEMBER = 'host'

/** 128-bit random id, hex. */
export const newLobbyId = () => randomBytes(16).toString('hex')

/** A matchmaking stream held by this process. */
export interface MatchStream {
  entry: QueueEntry
  /** Client address key (anonymous waits are counted per address). */
  address: string
  res: ServerResponse
  keepalive: NodeJS.Timeout
}

export interface LobbyDeps {
  opts: ResolvedRelayOptions
  did: string
  key: Keypair
  log: Logger
  metrics: RelayMetrics
  router: SignalRouter
  /** The shared directory and queue (with `redis`), unless the options plug others in. */
  rooms?: RoomDirectory
  queue?: MatchQueue
}

export interface Lobby {
  readonly rooms: RoomDirectory
  readonly queue: MatchQueue
  readonly rate: AddressRateLimiter
  /** The hosts registered here, sessions of host-mode queues are handed to (host-handoff.ts). */
  readonly hosts: HostHandoff
  /** Random id of this process: it rebuilds a room from a member's resume token only if it did not make that record. */
  readonly boot: string
  readonly streams: Map<string, MatchStream>
  /** The rules of a queue, or null when the relay has no such queue. */
  rulesOf(queue: string): MatchQueueRules | null
  /** The creator key of a caller: its DID, or a keyed hash of its address (never the address itself: it rides in tokens). */
  creatorOf(did: string | null, address: string): string
  /** Anonymous waits from one address now. */
  waitingFrom(address: string): number
  /** Holds a stream (queued) until its outcome or its close. */
  hold(stream: MatchStream): void
  /** Ends a stream with its last event; the wait is cancelled when still queued. */
  end(id: string, last: MatchEvent): void
  /** Reports the connected players of `room` to the directory (on every socket open and close). Never rejects. */
  occupancy(room: string): Promise<void>
  /** Runs a tick soon (after an enqueue), never two at once. */
  soon(): void
  tick(now: number): Promise<void>
  close(): void
}

export function createLobby(deps: LobbyDeps): Lobby {
  const { opts, log, metrics } = deps
  const rooms = opts.roomDirectory ?? deps.rooms ?? new LocalRoomDirectory()
  const queue = opts.matchQueue ?? deps.queue ?? new LocalMatchQueue(newLobbyId)
  const rate = new AddressRateLimiter({ burst: opts.lobbyRateBurst, perSec: opts.lobbyRatePerSec, maxAddresses: opts.lobbyRateMaxAddresses })
  const secret = randomBytes(32)
  const streams = new Map<string, MatchStream>()
  const hosts = new HostHandoff(opts.hostRegistry ?? new LocalHostRegistry({ ttlMs: opts.hostTtlMs, maxHosts: opts.maxHosts }), opts)
  const perAddress = new Map<string, number>()
  let running: Promise<void> | null = null
  let again = false
  let closed = false

  const send = (res: ServerResponse, e: MatchEvent) => res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)

  const release = (s: MatchStream) => {
    streams.delete(s.entry.id)
    clearInterval(s.keepalive)
    if (s.entry.did === null) {
      const n = (perAddress.get(s.address) ?? 1) - 1
      if (n <= 0) perAddress.delete(s.address)
      else perAddress.set(s.address, n)
    }
  }

  const lobby: Lobby = {
    rooms,
    queue,
    rate,
    hosts,
    boot: newLobbyId(),
    streams,
    rulesOf(name) {
      const rules = opts.matchQueues[name] ?? opts.matchQueues['*']
      return rules ? resolveQueueRules(rules) : null
    },
    creatorOf(did, address) {
      return did ?? `anon:${createHmac('sha256', secret).update(addressKey(address)).digest('base64url').slice(0, 22)}`
    },
    waitingFrom(address) {
      return perAddress.get(addressKey(address)) ?? 0
    },
    hold(stream) {
      streams.set(stream.entry.id, stream)
      if (stream.entry.did === null) perAddress.set(stream.address, (perAddress.get(stream.address) ?? 0) + 1)
      stream.res.on('close', () => {
        if (streams.get(stream.entry.id) !== stream) return
        release(stream)
        void queue.cancel(stream.entry.id)
        log.info({ event: 'match_left', queue: stream.entry.queue, ticket: stream.entry.id }, 'matchmaking stream closed')
      })
    },
    end(id, last) {
      const s = streams.get(id)
      if (!s) return
      release(s)
      void queue.cancel(id)
      send(s.res, last)
      s.res.end()
    },
    async occupancy(room) {
      try {
        const players = (await deps.router.roster(room)).length
        await rooms.occupancy(room, players, Date.now())
      } catch (err) {
        log.error({ err: (err as Error)?.message, room }, 'room occupancy not recorded')
      }
    },
    soon() {
      if (closed) return
      if (running) {
        again = true
        return
      }
      running = (async () => {
        do {
          again = false
          await lobby.tick(Date.now()).catch((err: unknown) => log.error({ err: (err as Error)?.message }, 'matchmaking tick failed'))
        } while (again && !closed)
      })().finally(() => (running = null))
    },
    async tick(now) {
      for (const name of await rooms.sweep(now, opts.emptyRoomTtlMs)) log.info({ event: 'room_dropped', room: name }, 'empty room dropped')
      for (const outcome of await queue.tick(now)) await deliver(outcome, now)
    },
    close() {
      closed = true
      hosts.close()
      for (const s of [...streams.values()]) {
        release(s)
        s.res.end()
      }
    },
  }

  async function deliver(o: QueueOutcome, now: number): Promise<void> {
    if (o.kind === 'expired') {
      metrics.matchOutcomes.inc({ outcome: 'timeout' })
      const ms = lobby.rulesOf(o.entry.queue)?.timeoutMs
      return lobby.end(o.entry.id, { event: 'timeout', data: { error: ErrorCode.MATCH_TIMEOUT, message: `no match within ${ms} ms` } })
    }
    const wantsHost = lobby.rulesOf(o.queue)?.host === true
    const region = String(o.members[0].attributes.region ?? '')
    const host = wantsHost ? await hosts.pick(region, o.members.length, now) : null
    if (wantsHost && !host) {
      metrics.matchOutcomes.inc({ outcome: 'no_host' })
      for (const m of o.members) lobby.end(m.id, { event: 'cancelled', data: { error: ErrorCode.MATCH_NO_HOST, message: `no host of region "${region}" has ${o.members.length} free seats; queue again later` } })
      return
    }
    const record: RoomRecord = {
      id: newLobbyId(),
      name: o.room,
      visibility: 'private',
      maxPlayers: o.members.length + (host ? 1 : 0),
      metadata: { queue: o.queue },
      creator: `match:${o.queue}`,
      inviteOnly: true,
      invited: [],
      session: o.session,
      createdAt: now,
    }
    // With a shared queue, each process whose players are in the match makes its room: the first one creates it.
    const created = await rooms.create(record, { maxRooms: opts.maxRooms, maxPerCreator: null }, now)
    if (created !== 'created' && !(created === 'exists' && (await rooms.get(o.room))?.session === o.session)) {
      metrics.matchOutcomes.inc({ outcome: 'lobby_full' })
      for (const m of o.members) lobby.end(m.id, { event: 'cancelled', data: { error: ErrorCode.LOBBY_FULL, message: `no room for the match: the directory holds ${opts.maxRooms} rooms` } })
      return
    }
    metrics.matchOutcomes.inc({ outcome: 'matched' })
    const players = sessionMembers(o.members)
    // The host is a member of its session too (member `host`): its ticket is its credential for the room.
    const members: SessionMember[] = host ? [...players, { id: HOST_MEMBER, did: host.did }] : players
    const iat = Math.floor(now / 1000)
    const ticket = (member: string, did: string | null) => {
      const claims: SessionTicketClaims = { iss: deps.did, session: o.session, queue: o.queue, room: o.room, member, ...(did ? { did } : {}), members, ...(host ? { host: host.id } : {}), iat, exp: iat + opts.ticketTtlSec }
      return signRelayToken(deps.key, claims, SESSION_TYP)
    }
    log.info({ event: 'matched', queue: o.queue, session: o.session, room: o.room, members: players.length, host: host?.id }, 'match made')
    if (host) hosts.hand(host.id, { session: o.session, queue: o.queue, room: o.room, ticket: await ticket(HOST_MEMBER, host.did), members: players })
    await Promise.all(o.members.map(async (m) => {
      const match: Match = { session: o.session, queue: o.queue, room: o.room, ticket: await ticket(m.id, m.did), member: m.id, members, ...(host ? { host: host.id } : {}) }
      lobby.end(m.id, { event: 'matched', data: match })
    }))
  }

  return lobby
}
