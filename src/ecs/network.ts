/** The public shape of a network: what `createNetwork` returns and what it tells its listeners. */
import type { World } from 'bitecs'
import type { ComponentStore } from '../protocol/component.js'
import type { SchemaDifference } from '../protocol/schema-diff.js'
import type { EventDef, InputDef, Schema } from '../protocol/schema.js'
import type { Emitter } from '../shared/emitter.js'
import type { NetStats } from './stats.js'
import type { InputHandler } from './inputs.js'
import type { PredictOptions, SimulateFn } from './prediction.js'

/** A connected peer as the network sees it. */
export interface NetPeer {
  /** Its peer id (the relay's, or the memory hub's). */
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

/** A peer that was refused, or that refused us (`refused` event). */
export interface Refused {
  /** The peer refused. */
  readonly peerId: string
  /** 'SCHEMA_MISMATCH', 'PROTOCOL_VERSION', 'TOO_MANY_INVALID', and in host mode 'AUTHORITY_MISMATCH' or 'NOT_IN_SESSION'. */
  readonly code: string
  /** For SCHEMA_MISMATCH: the first difference (or why it is unknown) and both fingerprints. */
  readonly detail: string
  /** SCHEMA_MISMATCH: the first difference between our schema and theirs, when both canonical schemas were at hand. */
  readonly difference?: SchemaDifference
}

/** A replicated entity's network id: the peer that spawned it and that peer's counter (never a local eid). */
export interface NetId {
  /** The peer that spawned the entity. */
  readonly origin: string
  /** That peer's counter. */
  readonly n: number
}

/** A remote entity that arrived in this world (`entitySpawned`) or left it (`entityDespawned`). */
export interface EntityEvent {
  /** Its local eid (during `entityDespawned` the entity is still in the world, with its components). */
  readonly eid: number
  /** Its net id. */
  readonly id: NetId
  /** Its owner's peer id. */
  readonly owner: string
}

/** Why a remote entity left this world. */
export type DespawnReason =
  /** Its owner despawned it (`net.despawn`, or removed the entity). */
  | 'despawned'
  /** Its owner left and it was not persistent. */
  | 'ownerLeft'
  /** Our own peer id changed (we rejoined as a new player): the others' entities come back from their owners. */
  | 'rejoined'
  /**
   * It left our view: its owner's relevance function no longer includes us. It comes back, with its full state and
   * a new eid, when it is relevant again.
   */
  | 'culled'

/** An entity changed hands (`ownershipChanged`). */
export interface OwnershipChange {
  /** Its local eid. */
  readonly eid: number
  /** Its net id. */
  readonly id: NetId
  /** Owner before (a peer id; ours when we lost it). */
  readonly previous: string
  /** Owner now (ours when we gained it). */
  readonly owner: string
  /** As this peer sees it: it became ours, stopped being ours, or passed between two other peers. */
  readonly change: 'gained' | 'lost' | 'transferred'
  /**
   * `request`: the owner granted an ownership request (`net.requestOwnership`); `heir`: the owner left and the entity,
   * persistent, passed to the heir; `claim`: a new owner's claim was adopted after waiting `limits.maxStallMs` for the
   * change that led to it (its messages were lost with a peer that left).
   */
  readonly reason: 'request' | 'heir' | 'claim'
}

/** The host changed (`hostChanged`): the old one left and `host` took over (host migration). */
export interface HostChange {
  /** The host that left. */
  readonly previous: string
  /** The new host: our own id when this peer took over. */
  readonly host: string
}

/** The first difference between a client's prediction and the host's state (`divergence`, `determinismCheck`). */
export interface Divergence {
  /** The predicted entity (the client's eid). */
  readonly eid: number
  /** The input after which the host's state and the prediction differ. */
  readonly seq: number
  /** The first field that differs: `<component>.<field>`, e.g. `game.Transform.x`. */
  readonly field: string
  /** What the client predicted after input `seq`. */
  readonly predicted: number
  /** What the host had after it. */
  readonly host: number
}

/** A replicated entity as this peer sees it (`net.inspect()`). */
export interface InspectedEntity {
  /** Its local eid. */
  readonly eid: number
  /** Null until our peer id is known (ours, spawned before joining). */
  readonly id: NetId | null
  /** Its owner's peer id (ours for ours). */
  readonly owner: string
  /** Whether it passes to an heir when its owner leaves. */
  readonly persistent: boolean
  /** Ownership generation: 0 at spawn, +1 per transfer or inheritance. */
  readonly epoch: number
  /** Interpolation samples buffered for it (the most over its interpolated components; 0 for ours). */
  readonly buffered: number
}

/** What developer tools (the network inspector) read of a network beyond `peers` and `stats`. */
export interface NetInspection {
  /** Every replicated entity, ours first. */
  readonly entities: readonly InspectedEntity[]
}

/** What a network tells `net.events.on(...)` listeners. */
export interface NetworkEvents {
  /** A peer passed the hello (same protocol and schema): it replicates with us from now on. */
  peerJoined: (peer: NetPeer) => void
  /** A peer left (its entities despawned or passed to the heir). */
  peerLeft: (peerId: string, reason: string) => void
  /** A peer was refused (by us or by it): schema mismatch and the like. */
  refused: (info: Refused) => void
  /** A remote entity arrived (spawned by its owner, or sent to us when we joined), with its components applied. */
  entitySpawned: (entity: EntityEvent) => void
  /** A remote entity is leaving this world: called just before it is removed. */
  entityDespawned: (entity: EntityEvent & { readonly reason: DespawnReason }) => void
  /** An entity changed owner: gained, lost or transferred, and why. */
  ownershipChanged: (change: OwnershipChange) => void
  /**
   * Host mode with `hostMigration`: the host left and a successor took over (every entity of the old host is now
   * its); on the successor itself, time to start the host's simulation (`onInput` handlers, the game's tick).
   */
  hostChanged: (change: HostChange) => void
  /** Host mode, a client with `determinismCheck`: the host's state after an input differs from the prediction (the first time). */
  divergence: (divergence: Divergence) => void
  /** A user handler or listener threw, or a value could not be sent (`VALUE_UNSENDABLE`); the network carried on. */
  error: (error: unknown) => void
}

/** A network attached to one bitECS world: replication, events, peers and stats. Made by {@link createNetwork}. */
export interface Network {
  /** The world it replicates. */
  readonly world: World
  /** The schema it was made with. */
  readonly schema: Schema
  /** Network ticks per second (how often `flush()` is expected). */
  readonly tickRate: number
  /** Network ticks flushed so far. */
  readonly tick: number
  /** This peer's id (null until the transport knows it). */
  readonly selfId: string | null
  /** Host mode: the host's peer id (our own on the host; null on a client until its host's hello arrived). Null under owner authority. */
  readonly hostId: string | null
  /**
   * Replicates an entity this peer owns, with all of its schema components (state captured now). In host mode only
   * the host spawns (a client throws `NOT_HOST`; so do its `despawn` and `requestOwnership`).
   */
  spawn(eid: number, options?: { persistent?: boolean }): void
  /** Stops replicating an entity we own; it is removed on every other peer (the local entity stays). */
  despawn(eid: number): void
  /** Asks the current owner; resolves true when we own the entity, false if someone else got it. */
  requestOwnership(eid: number): Promise<boolean>
  /** Whether this peer owns the entity. */
  isOwner(eid: number): boolean
  /** Owner peer id of a replicated entity (our own id for ours), or null if not replicated. */
  ownerOf(eid: number): string | null
  /** Whether the entity is replicated (ours spawned, or a remote one). */
  isReplicated(eid: number): boolean
  /** The network id of a replicated entity (null if not replicated or not yet assigned). */
  netIdOf(eid: number): NetId | null
  /** Local eid of a network id, if known. */
  eidOf(id: NetId): number | undefined
  /**
   * Sends an event reliably (ordered, exactly once) to every peer, or to one with `to`; with `self: true` our own
   * handlers get it too, in the next `receive()` (decoded from the bytes sent, as the others get it).
   */
  send<T>(event: EventDef<T>, message: T, options?: { to?: string; self?: boolean }): void
  /** Calls `handler` for every `event` that arrives (from another peer, or ours sent with `self: true`); returns the unsubscribe function. */
  on<T>(event: EventDef<T>, handler: (message: T, from: NetPeer) => void): () => void
  /**
   * Host mode: this tick's input (a message marked `(multiuser.input)`). A client numbers it, simulates it at once on
   * the entities it predicts with it, and sends it to the host on the unreliable channel with the
   * `inputRedundancy - 1` inputs before it; the host hands its own input to its handlers at once. Returns its sequence
   * number. Call once per tick.
   */
  sendInput<T>(input: InputDef<T>, value: T): number
  /**
   * The host: calls `handler` for every input of `input`'s kind from a client, each exactly once and in the order the
   * client sent them, during `receive()` (and for the host's own `sendInput`, at once). Run the same simulation the
   * clients predict with. Returns the unsubscribe function.
   */
  onInput<T>(input: InputDef<T>, handler: InputHandler<T>): () => void
  /**
   * A client: predicts the host's entity `eid` from this client's inputs of `input`'s kind: `simulate` runs at once
   * for each `sendInput`, and again on the host's state for the inputs it has not applied yet at every update;
   * corrections are smoothed in the interpolated view (`correctionHalfLife`). Stops when the entity leaves.
   */
  predict<T>(eid: number, input: InputDef<T>, simulate: SimulateFn<T>, options?: PredictOptions): void
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
  /** The peers past the hello, with RTT and loss. */
  readonly peers: readonly NetPeer[]
  /** Counters: bytes and packets per channel, drops, entities, per-component bytes. */
  readonly stats: NetStats
  /** Every replicated entity with its owner and interpolation buffer depth, for developer tools. */
  inspect(): NetInspection
  /** Listeners of the {@link NetworkEvents}. */
  readonly events: Pick<Emitter<NetworkEvents>, 'on'>
  /** Detaches from the world and the transport (does not close the transport). */
  close(): void
}
