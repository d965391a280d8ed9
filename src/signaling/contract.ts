/**
 * The signaling contract: wire types of the relay's HTTP API and of its relay-only control messages, defined once
 * and imported by both sides (the relay in `src/relay/`, the client in `src/auth/` and `src/transport/peerjs/`).
 * Ticket claims and their verification are in `ticket.ts`, the JWT helpers both sides use in `jwt-parts.ts`.
 */

/** One peer of a room, as the relay vouches for it. */
export interface RosterEntry {
  /** Our peer id. */
  peerId: string
  /** The peer's verified ATProto DID, or null for an anonymous peer. */
  did: string | null
  /** The peer's handle, only when the relay verified it (DID document ↔ handle resolution). */
  handle?: string
  /** Unix milliseconds when the peer's socket opened. */
  joinedAt: number
  /** When the relay first admitted this peer id (Unix ms, the ticket's `admittedAt`): the room's order of arrival. */
  admittedAt: number
}

/** PeerJS client options: `new Peer(peerId, { ...peerjs, token: joinToken })`. */
export interface PeerJsServerOptions {
  /** The PeerJS server's host. */
  host: string
  /** Its port. */
  port: number
  /** Its path. */
  path: string
  /** Its key. */
  key: string
  /** Whether it is https/wss. */
  secure: boolean
}

/** A subset of RTCIceServer (kept here so Node code needs no DOM types). */
export interface IceServer {
  /** STUN/TURN URLs. */
  urls: string | string[]
  /** TURN user. */
  username?: string
  /** TURN password. */
  credential?: string
}

/** Body of a successful `POST /v1/rooms/:room/join`. */
export interface JoinResult {
  /** The room. */
  room: string
  /** Relay-assigned PeerJS id (random, unguessable). */
  peerId: string
  /** Single-use secret for the PeerJS socket (`token` option); expires after `joinTokenTtlSec`. */
  joinToken: string
  /** Seconds the join token stays valid. */
  joinTokenExpiresIn: number
  /** Relay-signed JWT `{ did, handle?, room, peerId, admittedAt, fingerprint?, friendsOf?, exp }`: send it to each peer as the first reliable message. */
  ticket: string
  /** When the relay first admitted this peer id (Unix ms; a resumed peer keeps its first admission's). */
  admittedAt: number
  /**
   * Private proof of this admission (never send it to peers): pass it as `resume.token` to keep `peerId` when
   * rejoining after the relay socket dropped.
   */
  resumeToken: string
  /** The relay's DID (`did:web:...`), whose document holds the key that signs tickets. */
  relayDid: string
  /** The admitted identity (null when anonymous). */
  did: string | null
  /** The peer's verified handle. */
  handle?: string
  /** The DTLS certificate fingerprint bound into the ticket (the one the join sent). */
  fingerprint?: string
  /** A friends-only room: it admits only friends of this DID (its creator). */
  friendsOf?: string
  /** Peers currently connected to the room. */
  roster: RosterEntry[]
  /** ICE servers to use. */
  iceServers: IceServer[]
  /** Where the PeerJS socket connects. */
  peerjs: PeerJsServerOptions
}

/** A peer of the room as a client needs it (a roster entry without the relay's bookkeeping). */
export type RosterPeer = Pick<RosterEntry, 'peerId' | 'did' | 'handle' | 'admittedAt'>

/**
 * What a client needs of a join answer: the subset of {@link JoinResult} the PeerJS transport reads (a custom
 * `RelayClient` may answer just this).
 */
export type JoinAnswer = Pick<JoinResult, 'peerId' | 'joinToken' | 'ticket' | 'admittedAt' | 'resumeToken' | 'peerjs'> &
  Partial<Pick<JoinResult, 'iceServers' | 'did' | 'handle' | 'fingerprint' | 'friendsOf'>> & { roster: RosterPeer[] }

/**
 * Optional body of `POST /v1/rooms/:room/join`. `resume` keeps a peer id (see {@link JoinResult.resumeToken});
 * `fingerprint` and `friendsOnly` are the social layer's (README "Friends, presence and invites"); the others open a
 * room created with options (README "Lobbies and matchmaking"): its `password`, an `invite` token from
 * {@link CreatedRoom.invite}, or the `session` ticket of a match ({@link Match.ticket}).
 */
export interface JoinRequestBody {
  /** Keep this peer id: its resume token ({@link JoinResult.resumeToken}). */
  resume?: { peerId: string; token: string }
  /** The DTLS certificate fingerprint (`sha-256 AB:CD:…`) this peer's connections will use, signed into the ticket. */
  fingerprint?: string
  /** Create the room friends only (or join it only if it is). */
  friendsOnly?: boolean
  /** The password of a room created with one. */
  password?: string
  /** An invite token of an invite-only room ({@link CreatedRoom.invite}). */
  invite?: string
  /** The session ticket of a match ({@link Match.ticket}), for the match's room. */
  session?: string
}

/** What a join into a room with options may need to show (the transport's `join(room, credentials)`). */
export type RoomCredentials = Pick<JoinRequestBody, 'password' | 'invite' | 'session'>

// ---- lobby: the room directory ----

/** A JSON value (room metadata is free-form JSON, capped in size by the relay). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** `public`: listed by `GET /v1/rooms`; `private`: joined by name (a link), never listed. */
export type RoomVisibility = 'public' | 'private'

/** What a join into the room needs: nothing, the room's password, or an invite (an invite token or a session ticket, or an invited DID). */
export type RoomAccessMode = 'open' | 'password' | 'invite'

/** Body of `POST /v1/rooms`. Every field is optional. */
export interface CreateRoomRequest {
  /** 1-64 characters of `[A-Za-z0-9._~-]`; default: a random name. */
  name?: string
  /** Default `public`. */
  visibility?: RoomVisibility
  /** Players at once (connected + admitted), 1 to the relay's `maxPeersPerRoom` (its default). */
  maxPlayers?: number
  /** Free-form JSON object shown in the room list (at most the relay's `maxRoomMetadataBytes` as JSON). */
  metadata?: { [key: string]: JsonValue }
  /** A join must give this password (1-128 characters). Not with `inviteOnly`. */
  password?: string
  /** A join needs the room's invite token ({@link CreatedRoom.invite}) or an invited DID. */
  inviteOnly?: boolean
  /** DIDs admitted to an invite-only room without a token (at most 64). */
  invited?: string[]
}

/** A room as the directory lists it. */
export interface RoomInfo {
  /** The room's name (what a join names). */
  name: string
  /** Players connected now. */
  players: number
  /** Players at once, at most. */
  maxPlayers: number
  /** What a join needs. */
  access: RoomAccessMode
  /** The creator's metadata. */
  metadata: { [key: string]: JsonValue }
  /** Unix ms when the room was created (or rebuilt after a relay restart). */
  createdAt: number
}

/** Answer of `POST /v1/rooms`. */
export interface CreatedRoom extends RoomInfo {
  /** Listed or not. */
  visibility: RoomVisibility
  /** Invite-only rooms: a relay-signed invite token for this room; share it (a join's `invite`). */
  invite?: string
}

/** Answer of `GET /v1/rooms`: public rooms, oldest first, one page. */
export interface RoomList {
  /** This page's rooms. */
  rooms: RoomInfo[]
  /** Pass as `cursor` for the next page; null on the last one. */
  next: string | null
}

/** Query of `GET /v1/rooms` (all optional). */
export interface ListRoomsQuery {
  /** Rooms per page (1-100, default 20). */
  limit?: number
  /** `next` of the previous page. */
  cursor?: string
  /** Only rooms with a free place. */
  available?: boolean
  /** Only rooms of this access mode. */
  access?: RoomAccessMode
  /** Only rooms whose top-level metadata values equal these (compared as strings): `?meta.mode=ctf`. */
  metadata?: Record<string, string | number | boolean>
}

// ---- lobby: matchmaking ----

/** Body of `POST /v1/matchmaking`. */
export interface MatchRequest {
  /** Queue name (1-64 characters of `[A-Za-z0-9._~-]`); its rules are the relay's `matchQueues[queue]` (or `*`). */
  queue: string
  /** At most 16 attributes: numbers (e.g. `skill`) and strings of at most 64 characters (e.g. `region`). */
  attributes?: Record<string, string | number>
  /** Queue as a party: every member sends the same `id` (16-64 characters of `[A-Za-z0-9_-]`) and `size`; they are matched together. */
  party?: { id: string; size: number }
}

/** One member of a matchmade session. */
export interface SessionMember {
  /** The member's matchmaking ticket id (random): names the member in the session ticket. */
  id: string
  /** The member's verified DID, or null when anonymous. */
  did: string | null
  /** The party the member queued with, if any. */
  party?: string
}

/** The `matched` event of a matchmaking stream. */
export interface Match {
  /** Session id (random). */
  session: string
  /** The queue the match came from. */
  queue: string
  /** The room made for the session: join it with `{ session: ticket }` (it is invite-only to the members). */
  room: string
  /** The relay-signed session ticket of this member (`bitecs-session+jwt`, see `verifySessionTicket`). */
  ticket: string
  /** This member's id in `members`. */
  member: string
  /** Every member of the session, this one included. */
  members: SessionMember[]
}

/**
 * The events of a matchmaking stream (`text/event-stream`, the answer of `POST /v1/matchmaking`): `queued` once,
 * then exactly one of `matched`, `timeout` or `cancelled`, and the stream ends. A `: keep-alive` comment comes every
 * `matchKeepaliveMs`. Closing the stream cancels the wait.
 */
export type MatchEvent =
  | { event: 'queued'; data: { ticket: string; queue: string } }
  | { event: 'matched'; data: Match }
  | { event: 'timeout'; data: RelayErrorBody }
  | { event: 'cancelled'; data: RelayErrorBody }

/** Body of every relay error response. */
export interface RelayErrorBody {
  error: string
  message: string
}

/**
 * Relay-only control messages, sent on the PeerJS socket. The stock peerjs client ignores them; read them with
 * `peer.socket.on('message', ...)`. Clients can never send these types (the relay drops and counts them).
 */
export const ControlMessageType = {
  /** Full roster of the room, sent right after OPEN. */
  ROSTER: 'ROSTER',
  PEER_JOINED: 'PEER-JOINED',
  PEER_LEFT: 'PEER-LEFT',
} as const
export type ControlMessageType = (typeof ControlMessageType)[keyof typeof ControlMessageType]

/** A control message the relay sends on the socket (besides PeerJS's own). */
export type ControlMessage =
  | { type: 'ROSTER'; payload: { room: string; peers: RosterEntry[] } }
  | { type: 'PEER-JOINED'; payload: RosterEntry }
  | { type: 'PEER-LEFT'; payload: { peerId: string } }

/** Default method name (`lxm`) a service-auth token must be scoped to. */
export const DEFAULT_LXM = 'dev.bitecs.multiuser.join'
/** Default method name (`lxm`) of the tokens of lobby calls (`POST /v1/rooms`, `POST /v1/matchmaking`). */
export const DEFAULT_LOBBY_LXM = 'dev.bitecs.multiuser.lobby'
/** Default fragment of the relay's service entry: tokens may use `aud = <relay DID>#bitecs_relay`. */
export const DEFAULT_SERVICE_ID = 'bitecs_relay'
