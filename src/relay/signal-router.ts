/**
 * Signal routing between PeerJS sockets. `SignalRouter` is the seam for scale-out; `LocalSignalRouter` is the
 * in-process default. A signal is delivered only to a peer of the sender's room; the relay, not the client, sets `src`.
 *
 * What stays outside the router, in the process that holds the socket: admission, per-sender limits (token bucket,
 * per-target burst, distinct targets) checked before `route`, and the per-target write queue behind
 * `PeerEndpoint.deliver` (queue cap, strikes, write timeout). The cross-process router (redis/redis-rooms.ts, with
 * the `redis` option: Redis pub/sub, one channel per process) therefore only carries `{ room, dst, msg }` to the
 * process holding `dst` and calls that endpoint's `deliver` there; every limit keeps working unchanged. See README
 * "Scaling out".
 */
import type { RosterEntry } from '../signaling/contract.js'

/** A message as the relay writes it to a socket. */
export interface OutboundMessage {
  /** The message type (`OFFER`, `ANSWER`, `CANDIDATE`, ...). */
  type: string
  /** The sender (set by the relay). */
  src?: string
  /** The target peer. */
  dst?: string
  /** The message body. */
  payload?: unknown
}

/** What became of one write to a peer's socket. */
export type DeliveryResult = 'delivered' | 'queue-full' | 'closed'

/** A connected socket, as the router sees it. */
export interface PeerEndpoint extends RosterEntry {
  /** Its room. */
  room: string
  /** Queues a message on this peer's socket (bounded; see send-queue.ts). Never throws. */
  deliver(msg: OutboundMessage): DeliveryResult
}

/** What became of a signal. */
export type RouteOutcome = 'delivered' | 'unknown-target' | 'cross-room' | 'self' | 'queue-full' | 'send-failed'

/** Routes signals between sockets within a room (the relay's seam; default {@link LocalSignalRouter}). */
export interface SignalRouter {
  /** A socket opened. */
  attach(peer: PeerEndpoint): void
  /**
   * Detaches `peer` (only if it is still the endpoint attached under its id). `handover`: its socket is moving to
   * another process (a drain), so a shared roster keeps its entry for the resume.
   */
  detach(peer: PeerEndpoint, handover?: boolean): void
  /** Routes a client signal from `from` to `msg.dst`. */
  route(from: PeerEndpoint, msg: OutboundMessage & { dst: string }): RouteOutcome | Promise<RouteOutcome>
  /** Sends a relay control message to every peer of `room` except `exceptPeerId`; returns how many got it. */
  broadcast(room: string, msg: OutboundMessage, exceptPeerId?: string): number | Promise<number>
  /** Peers currently attached in `room`. */
  roster(room: string): RosterEntry[] | Promise<RosterEntry[]>
  /** Number of sockets and non-empty rooms (this process). */
  counts(): { peers: number; rooms: number }
  /** Whether a peer id is attached (this process). */
  has(peerId: string): boolean
}

/** The in-process signal router. */
export class LocalSignalRouter implements SignalRouter {
  private readonly peers = new Map<string, PeerEndpoint>()
  private readonly rooms = new Map<string, Map<string, PeerEndpoint>>()

  /** A socket opened. */
  attach(peer: PeerEndpoint): void {
    this.peers.set(peer.peerId, peer)
    let room = this.rooms.get(peer.room)
    if (!room) this.rooms.set(peer.room, (room = new Map()))
    room.set(peer.peerId, peer)
  }

  /** A socket closed. */
  detach(peer: PeerEndpoint): void {
    if (this.peers.get(peer.peerId) !== peer) return
    this.peers.delete(peer.peerId)
    const room = this.rooms.get(peer.room)
    room?.delete(peer.peerId)
    if (room && room.size === 0) this.rooms.delete(peer.room)
  }

  /** Delivers `msg` to its target, if in the sender's room. */
  route(from: PeerEndpoint, msg: OutboundMessage & { dst: string }): RouteOutcome {
    if (msg.dst === from.peerId) return 'self'
    const target = this.rooms.get(from.room)?.get(msg.dst)
    if (!target) return this.peers.has(msg.dst) ? 'cross-room' : 'unknown-target'
    const r = target.deliver({ type: msg.type, src: from.peerId, dst: msg.dst, payload: msg.payload })
    return r === 'closed' ? 'send-failed' : r
  }

  /** Sends `msg` to every socket of `room` (but one); returns how many got it. */
  broadcast(room: string, msg: OutboundMessage, exceptPeerId?: string): number {
    let n = 0
    for (const peer of this.rooms.get(room)?.values() ?? []) {
      if (peer.peerId !== exceptPeerId && peer.deliver(msg) === 'delivered') n++
    }
    return n
  }

  /** The peers of `room`. */
  roster(room: string): RosterEntry[] {
    return [...(this.rooms.get(room)?.values() ?? [])].map(toRosterEntry)
  }

  /** Sockets and rooms held. */
  counts(): { peers: number; rooms: number } {
    return { peers: this.peers.size, rooms: this.rooms.size }
  }

  /** Whether `peerId` has a socket here. */
  has(peerId: string): boolean {
    return this.peers.has(peerId)
  }

  /** The endpoint of `peerId` in `room`, if it has a socket here. */
  endpoint(room: string, peerId: string): PeerEndpoint | undefined {
    return this.rooms.get(room)?.get(peerId)
  }

  /** Every endpoint attached here. */
  endpoints(): IterableIterator<PeerEndpoint> {
    return this.peers.values()
  }
}

/** The roster fields of an endpoint (what other peers are told). */
export function toRosterEntry(p: RosterEntry): RosterEntry {
  const e: RosterEntry = { peerId: p.peerId, did: p.did, joinedAt: p.joinedAt, admittedAt: p.admittedAt }
  if (p.handle) e.handle = p.handle
  return e
}
