/**
 * The seam between replication (src/ecs) and the network. Deliberately small, like a Trystero strategy:
 * the in-memory transport (tests, link simulation) and the PeerJS transport (browsers) are siblings behind it.
 */

/** `reliable`: ordered, exactly once (SCTP reliable/ordered). `unreliable`: unordered, no retransmits, may drop or duplicate. */
export type Channel = 'reliable' | 'unreliable'

/** Who a remote peer is, as verified by the transport (relay ticket). `did` is null for anonymous peers. */
export interface PeerIdentity {
  /** Its peer id. */
  readonly id: string
  /** Its verified DID, or null for a guest. */
  readonly did: string | null
  /** Its verified handle, when the relay checked it. */
  readonly handle?: string
  /**
   * When this peer was admitted to the room, on a clock every peer of the room agrees on (the relay's, from the
   * signed ticket; the memory hub's join order): smaller arrived first, ties by the smaller id. Never a page clock.
   */
  readonly admittedAt: number
  /**
   * The DTLS certificate fingerprint the relay bound into the peer's ticket, when it joined with one: the link was
   * checked to run over exactly that certificate (PeerJS transport).
   */
  readonly fingerprint?: string
}

/** What a transport tells its listeners. */
export interface TransportEvents {
  /** A peer is connected and verified; both channels are usable. */
  peerJoined: (peer: PeerIdentity) => void
  /** A peer is gone (closed, timed out, refused). */
  peerLeft: (peerId: string, reason: string) => void
  /** Bytes from a peer. `data` is only valid during the call unless copied. */
  message: (from: string, channel: Channel, data: Uint8Array) => void
}

/** How a network reaches the other peers: two channels (reliable ordered, unreliable) per peer. */
export interface Transport {
  /**
   * This peer's own clock in ms, where the transport simulates one (the memory hub gives every peer its own origin,
   * as pages loaded at different times have); `createNetwork`'s default `now`. Absent: `performance.now()`.
   */
  readonly clock?: () => number
  /** This peer's identity once connected (null before). */
  readonly self: PeerIdentity | null
  /** Peers currently connected. */
  readonly peers: ReadonlyMap<string, PeerIdentity>
  /** Sends to one peer, or to every connected peer with `'*'`. Unknown peers are ignored. */
  send(to: string, channel: Channel, data: Uint8Array): void
  /** Listens to a {@link TransportEvents} event; returns the unsubscribe function. */
  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void
  /**
   * Drops the connection to one peer (e.g. after too many invalid packets, a schema mismatch, or another client in
   * host mode); the PeerJS transport does not re-dial it while it stays in the room.
   */
  disconnect(peerId: string, reason: string): void
  /** Leaves everything; no event fires after this returns. */
  close(): void
}

export const BROADCAST = '*'
