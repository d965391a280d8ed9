/** The public shape of a network: what `createNetwork` returns and what it tells its listeners. */
import type { World } from 'bitecs'
import type { ComponentStore } from '../protocol/component.js'
import type { EventDef, Schema } from '../protocol/schema.js'
import type { Emitter } from '../shared/emitter.js'
import type { NetStats } from './stats.js'

/** A connected peer as the network sees it. */
export interface NetPeer {
  readonly id: string
  /** Verified ATProto DID, or null for an anonymous peer. */
  readonly did: string | null
  /** Its ATProto handle, present only when the relay verified it (handle ↔ DID, both ways). */
  readonly handle?: string
  /** Smoothed round-trip time of the unreliable channel (ms), from ack timing; includes up to one tick of ack delay. */
  readonly rtt: number
  /**
   * Fraction of our unreliable packets sent in the last ~2 s that it never acknowledged: a packet counts as lost once
   * an ack of a packet sent 80 ms or more later proves it missing (or after max(1 s, 3 RTT) without any ack), so this tracks the link
   * within seconds.
   */
  readonly loss: number
  /**
   * When it was admitted to the room, on the clock every peer of the room agrees on (the relay's admission time in
   * its signed ticket; the memory hub's join order), never a page clock: the heir of a leaving peer's persistent
   * entities is the remaining peer admitted first.
   */
  readonly admittedAt: number
  /**
   * Bytes per second we allow ourselves to send it now, both channels: the congestion budget, which follows the
   * path's queueing delay and never exceeds `maxSendRate` (see README "Congestion control").
   */
  readonly sendBudget: number
  /** The capacity of the path to it (bytes per second), as last measured while its queue was filling; 0 = never full so far. */
  readonly capacity: number
  /** The queueing delay we measure on the path to it (ms): the recent minimum round trip above the base one. */
  readonly queueDelay: number
}

export interface Refused {
  readonly peerId: string
  /** 'SCHEMA_MISMATCH', 'PROTOCOL_VERSION' or 'TOO_MANY_INVALID'. */
  readonly code: string
  readonly detail: string
}

export interface NetworkEvents {
  peerJoined: (peer: NetPeer) => void
  peerLeft: (peerId: string, reason: string) => void
  /** A peer was refused (by us or by it): schema mismatch and the like. */
  refused: (info: Refused) => void
  /**
   * A remote entity left our view (its owner's relevance function no longer includes us): it was removed from the
   * world (`eid` is no longer valid); it comes back, with its full state, under a new eid when it is relevant again.
   */
  culled: (eid: number, id: { readonly origin: string; readonly n: number }, owner: string) => void
  /** A user handler or listener threw, or a value could not be sent (`VALUE_UNSENDABLE`); the network carried on. */
  error: (error: unknown) => void
}

export interface Network {
  readonly world: World
  readonly schema: Schema
  readonly tickRate: number
  /** Network ticks flushed so far. */
  readonly tick: number
  /** This peer's id (null until the transport knows it). */
  readonly selfId: string | null
  /** Replicates an entity this peer owns, with all of its schema components (state captured now). */
  spawn(eid: number, options?: { persistent?: boolean }): void
  /** Stops replicating an entity we own; it is removed on every other peer (the local entity stays). */
  despawn(eid: number): void
  /** Asks the current owner; resolves true when we own the entity, false if someone else got it. */
  requestOwnership(eid: number): Promise<boolean>
  isOwner(eid: number): boolean
  /** Owner peer id of a replicated entity (our own id for ours), or null if not replicated. */
  ownerOf(eid: number): string | null
  isReplicated(eid: number): boolean
  /** The network id of a replicated entity (null if not replicated or not yet assigned). */
  netIdOf(eid: number): { readonly origin: string; readonly n: number } | null
  /** Local eid of a network id, if known. */
  eidOf(id: { readonly origin: string; readonly n: number }): number | undefined
  /** Sends an event reliably (ordered, exactly once) to every peer, or to one with `to`. */
  send<T>(event: EventDef<T>, message: T, options?: { to?: string }): void
  on<T>(event: EventDef<T>, handler: (message: T, from: NetPeer) => void): () => void
  /** Applies everything that arrived (spawns, deltas, reliable components, ownership, events); a bitECS system. */
  receive(world?: World): World
  /** Detects changes and sends them (call once per network tick); a bitECS system. */
  flush(world?: World): World
  /** Recomputes interpolated stores for `now` (receive() does this too); call once per render frame. */
  interpolate(now?: number): void
  /**
   * The interpolated view of a component store (same shape): remote `interpolate: true` components read
   * `now - interpolationDelay`, everything else mirrors the store. The store itself always holds the newest
   * received values. Pass the store object or its component id.
   */
  interpolated<S extends ComponentStore>(store: S | number): S
  readonly peers: readonly NetPeer[]
  readonly stats: NetStats
  readonly events: Pick<Emitter<NetworkEvents>, 'on'>
  /** Detaches from the world and the transport (does not close the transport). */
  close(): void
}
