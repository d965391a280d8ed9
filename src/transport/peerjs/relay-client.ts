import { joinRoom } from '../../auth/join.js'
import { createRoom, listRooms, matchmake, type MatchmakeOptions } from '../../auth/lobby.js'
import { verifyTicket, type DidDocumentLike } from '../../signaling/ticket.js'
import { anonymous, type TokenSource } from '../../auth/token-source.js'
import {
  ControlMessageType, DEFAULT_LOBBY_LXM, type CreatedRoom, type CreateRoomRequest, type JoinAnswer, type ListRoomsQuery, type Match,
  type MatchRequest, type RoomCredentials, type RosterPeer, type RoomList,
} from '../../signaling/contract.js'
import type { PeerIdentity } from '../transport.js'

/** A roster change pushed by the relay on the PeerJS socket. */
export type RosterUpdate =
  | { kind: 'roster'; entries: RosterPeer[] }
  | { kind: 'joined'; entry: RosterPeer }
  | { kind: 'left'; peerId: string }

/** How the transport asks to join (see `JoinRoomOptions`). */
export interface RelayJoinOptions {
  /** Keep the same peer id after a relay socket drop. */
  resume?: { peerId: string; token: string }
  /** The DTLS certificate fingerprint to bind into the ticket. */
  fingerprint?: string
  /** Create the room friends only. */
  friendsOnly?: boolean
  /** What a room of the lobby needs: its password, an invite token or a session ticket. */
  credentials?: RoomCredentials
}

/** What the PeerJS transport needs from the signaling relay; `relayClient()` is the implementation for our relay. */
export interface RelayClient {
  /**
   * Joins `room` (with `resume`: keeping the same peer id after a relay socket drop; with `credentials`: a room of the
   * lobby that needs them, its password, an invite or a session ticket).
   */
  join(room: string, options?: RelayJoinOptions): Promise<JoinAnswer>
  /** Verifies a peer's ticket (relay signature, room, peer id) and returns who it is. Throws if invalid. */
  verifyTicket(ticket: string, expect: { room: string; peerId: string }): Promise<PeerIdentity>
  /** Recognises the relay's roster messages on the PeerJS socket (null for anything else). */
  parseControl(message: { type?: string; payload?: unknown }): RosterUpdate | null
}

/** The lobby calls of our relay (README "Lobbies and matchmaking"); `relayClient()` has them. Throw `LobbyError`. */
export interface LobbyClient {
  /** `GET /v1/rooms`: one page of public rooms with their player counts and metadata (`next` pages on). */
  listRooms(query?: ListRoomsQuery): Promise<RoomList>
  /** `POST /v1/rooms`: creates a room with options; join it by name (with its password, or its `invite`). */
  createRoom(options?: CreateRoomRequest): Promise<CreatedRoom>
  /**
   * `POST /v1/matchmaking`: waits in `request.queue` until matched (then join `match.room` with
   * `{ session: match.ticket }`), timed out (`MATCH_TIMEOUT`), cancelled (`options.signal`: `MATCH_CANCELLED`) or
   * cut off (`MATCH_INTERRUPTED`: queue again).
   */
  matchmake(request: MatchRequest, options?: MatchmakeOptions): Promise<Match>
}

/** Options of {@link relayClient}. */
export interface RelayClientOptions {
  /** Called on every join and rejoin, and for lobby calls with the lobby's `lxm` (default: anonymous). */
  token?: TokenSource
  /** The relay's lobby method (its `--lobby-lxm`; default `dev.bitecs.multiuser.lobby`). */
  lobbyLxm?: string
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch
}

/** Forced re-fetches of the relay's DID document are at least this far apart (ms); the first one is immediate. */
const DOC_REFRESH_INTERVAL = 2_000

/**
 * The client of our signaling relay: lobby calls (room list, room creation, matchmaking; see {@link LobbyClient}),
 * joins through `POST /v1/rooms/:room/join` (token in the Authorization header
 * only) and verifies peers' tickets against the relay's `/.well-known/did.json`, fetched once (revalidated with the
 * relay) and re-fetched past every HTTP cache when a ticket does not verify (the relay restarted with another key):
 * at once the first time, then at most once per 2 s (a verification that needs it waits for it).
 */
export function relayClient(relayUrl: string, options: RelayClientOptions = {}): RelayClient & LobbyClient {
  const token = options.token ?? anonymous()
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init))
  const didUrl = new URL('.well-known/did.json', relayUrl.endsWith('/') ? relayUrl : relayUrl + '/').href
  let doc: Promise<DidDocumentLike> | null = null
  let refreshedAt = -Infinity
  let refreshing: Promise<DidDocumentLike> | null = null
  const fetchDoc = (cache: RequestCache): Promise<DidDocumentLike> => {
    const d = doFetch(didUrl, { redirect: 'error', credentials: 'omit', cache }).then(async (res) => {
      if (!res.ok) throw new Error(`relay DID document at ${didUrl}: HTTP ${res.status}`)
      return (await res.json()) as DidDocumentLike
    })
    d.catch(() => doc === d && (doc = null))
    return (doc = d)
  }
  // 'no-cache': a browser may keep the document but asks the relay each time (a 304 while the key is the same).
  const loadDoc = (): Promise<DidDocumentLike> => doc ?? fetchDoc('no-cache')
  /** A fresh copy past every cache ('no-store'); concurrent callers share one fetch. */
  const refreshDoc = (): Promise<DidDocumentLike> => {
    refreshing ??= (async () => {
      const wait = refreshedAt + DOC_REFRESH_INTERVAL - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      refreshedAt = Date.now()
      return fetchDoc('no-store')
    })().finally(() => (refreshing = null))
    return refreshing
  }
  const lobby = { fetch: doFetch, token, lxm: options.lobbyLxm ?? DEFAULT_LOBBY_LXM }
  return {
    join: (room, joinOptions = {}) => joinRoom(relayUrl, room, token, { fetch: doFetch, ...joinOptions }),
    listRooms: (query = {}) => listRooms(relayUrl, query, lobby),
    createRoom: (request = {}) => createRoom(relayUrl, request, lobby),
    matchmake: (request, opts) => matchmake(relayUrl, request, lobby, opts),
    async verifyTicket(ticket, expect) {
      const check = async (d: DidDocumentLike) => {
        const claims = await verifyTicket(ticket, d, expect)
        return { id: claims.peerId, did: claims.did ?? null, ...(claims.handle ? { handle: claims.handle } : {}), admittedAt: claims.admittedAt, ...(claims.fingerprint ? { fingerprint: claims.fingerprint } : {}) }
      }
      const used = loadDoc()
      try {
        return await check(await used)
      } catch (e) {
        // Only a signature failure can be cured by a fresh key.
        if ((e as { code?: string }).code !== 'TICKET_BAD_SIGNATURE' && (e as { code?: string }).code !== 'TICKET_ISSUER_MISMATCH') throw e
        return check(await (doc !== used && doc !== null ? doc : refreshDoc()))
      }
    },
    parseControl(m) {
      const p = m.payload as Record<string, unknown> | undefined
      if (m.type === ControlMessageType.ROSTER && p && Array.isArray(p.peers)) return { kind: 'roster', entries: p.peers as RosterPeer[] }
      if (m.type === ControlMessageType.PEER_JOINED && p && typeof p.peerId === 'string') return { kind: 'joined', entry: p as unknown as RosterPeer }
      if (m.type === ControlMessageType.PEER_LEFT && p && typeof p.peerId === 'string') return { kind: 'left', peerId: p.peerId }
      return null
    },
  }
}
