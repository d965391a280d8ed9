/**
 * The signaling contract: wire types of the relay's HTTP API and of its relay-only control messages, defined once
 * and imported by both sides (the relay in `src/relay/`, the client in `src/auth/` and `src/transport/peerjs/`).
 * Ticket claims and their verification are in `ticket.ts`, the JWT helpers both sides use in `jwt-parts.ts`.
 */

/** One peer of a room, as the relay vouches for it. */
export interface RosterEntry {
  peerId: string
  /** The peer's verified ATProto DID, or null for an anonymous peer. */
  did: string | null
  /** The peer's handle, only when the relay verified it (DID document <-> handle resolution). */
  handle?: string
  /** Unix milliseconds when the peer's socket opened. */
  joinedAt: number
  /** When the relay first admitted this peer id (Unix ms, the ticket's `admittedAt`): the room's order of arrival. */
  admittedAt: number
}

/** PeerJS client options: `new Peer(peerId, { ...peerjs, token: joinToken })`. */
export interface PeerJsServerOptions {
  host: string
  port: number
  path: string
  key: string
  secure: boolean
}

/** A subset of RTCIceServer (kept here so Node code needs no DOM types). */
export interface IceServer {
  urls: string | string[]
  username?: string
  credential?: string
}

/** Body of a successful `POST /v1/rooms/:room/join`. */
export interface JoinResult {
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
  handle?: string
  /** The DTLS certificate fingerprint bound into the ticket (the one the join sent). */
  fingerprint?: string
  /** A friends-only room: it admits only friends of this DID (its creator). */
  friendsOf?: string
  /** Peers currently connected to the room. */
  roster: RosterEntry[]
  iceServers: IceServer[]
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

export type ControlMessage =
  | { type: 'ROSTER'; payload: { room: string; peers: RosterEntry[] } }
  | { type: 'PEER-JOINED'; payload: RosterEntry }
  | { type: 'PEER-LEFT'; payload: { peerId: string } }

/** Default method name (`lxm`) a service-auth token must be scoped to. */
export const DEFAULT_LXM = 'dev.bitecs.multiuser.join'
/** Default fragment of the relay's service entry: tokens may use `aud = <relay DID>#bitecs_relay`. */
export const DEFAULT_SERVICE_ID = 'bitecs_relay'
