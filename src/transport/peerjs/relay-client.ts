import type { PeerIdentity } from '../transport.js'

/** A peer of the room as the relay lists it. `did` is null for anonymous peers. */
export interface RosterEntry {
  peerId: string
  did: string | null
  handle?: string
}

/** The relay's answer to `POST /v1/rooms/:room/join`. */
export interface JoinAnswer {
  peerId: string
  joinToken: string
  /** Relay-signed proof of (did, room, peerId); the first message we send each peer. */
  ticket: string
  roster: RosterEntry[]
  iceServers?: RTCIceServer[]
  /** PeerJS client options: `new Peer(peerId, { ...peerjs, token: joinToken })`. */
  peerjs: { host: string; port: number; path: string; key: string; secure: boolean }
  did?: string | null
  handle?: string
}

/** A roster change pushed by the relay on the PeerJS socket. */
export type RosterUpdate = { kind: 'joined'; entry: RosterEntry } | { kind: 'left'; peerId: string }

/** What the PeerJS transport needs from the signaling relay; `relayClient()` is the implementation for our relay. */
export interface RelayClient {
  /** Joins `room`; with `resume`, asks to keep the same peer id after a relay socket drop. */
  join(room: string, resume?: { peerId: string; ticket: string }): Promise<JoinAnswer>
  /** Verifies a peer's ticket (relay signature, room, peer id) and returns who it is. Throws if invalid. */
  verifyTicket(ticket: string, expect: { room: string; peerId: string }): Promise<PeerIdentity>
  /** Recognises the relay's roster messages on the PeerJS socket (null for anything else). */
  parseControl(message: { type?: string; payload?: unknown }): RosterUpdate | null
}
