/**
 * The per-network context: what the rooms of one network share (its settings, world, schema, transport, layout,
 * registry, counters and emitter) and the rooms themselves, each reaching the others through it, as
 * `relay/context.ts` does for the relay. One per `createNetwork`, never global; built before the rooms, which
 * createNetwork then sets once each.
 *
 * Rooms: `peers` (peer state, join/leave, hello/refusal, strikes), `stream` (the reliable stream), `entities`
 * (despawn/components both ways), `spawns` (what each peer has of ours, paced announcements, theirs), `relevance`
 * (interest management), `priorities` (what goes first within a send budget), `ownership`, `deltas` (applying delta
 * packets), `interpolation`, `events`, `refs` (entity references), and for host mode `authority` (who owns what,
 * admission), `inputs` and `prediction`. Messages from peers reach them through `dispatch.ts`.
 */
import type { World } from 'bitecs'
import type { ComponentStore } from '../protocol/component.js'
import type { Schema } from '../protocol/schema.js'
import { Emitter } from '../shared/emitter.js'
import type { Transport } from '../transport/transport.js'
import type { NetworkLimits } from './create-network.js'
import type { DeltaReceiver } from './delta-receive.js'
import type { EntityRefs } from './entity-refs.js'
import type { EntitySync } from './entity-sync.js'
import type { Events } from './events.js'
import type { Interpolation } from './interpolation.js'
import { createLayout, type Layout } from './layout.js'
import type { NetworkEvents } from './network.js'
import type { Ownership } from './ownership.js'
import type { HostAuthority } from './authority.js'
import type { Inputs } from './inputs.js'
import type { Prediction } from './prediction.js'
import type { Peers } from './peers.js'
import type { Priorities } from './priority.js'
import type { Relevance } from './relevance.js'
import type { Spawns } from './spawns.js'
import { EntityRegistry } from './registry.js'
import type { ReliableStream } from './reliable-stream.js'
import { StatsCounters, type DropCounters } from './stats.js'
import { createPresenceReader, type PresenceReader } from './world-access.js'

/** createNetwork's options, resolved. */
export interface NetSettings {
  /** Network ticks (flushes) per second. */
  readonly tickRate: number
  /** Largest local eid + 1 that can be replicated. */
  readonly capacity: number
  readonly limits: NetworkLimits
  readonly clock: () => number
  /** When this peer joined the session (heir election). */
  /** The expected interval between a peer's flushes until it is measured (1000 / tickRate). */
  readonly tickMs: number
  readonly interpolationDelay: number
  readonly snapDistance: number
  /** Bytes per second we send one peer at most (both channels). */
  readonly maxSendRate: number
  /** Flushes between two questions of `relevance` about the same entity. */
  readonly relevanceInterval: number
}

export class NetContext {
  readonly layout: Layout
  readonly presence: PresenceReader
  readonly registry: EntityRegistry
  readonly stats: StatsCounters
  readonly emitter: Emitter<NetworkEvents>
  peers!: Peers
  stream!: ReliableStream
  entities!: EntitySync
  spawns!: Spawns
  relevance!: Relevance
  priorities!: Priorities
  ownership!: Ownership
  deltas!: DeltaReceiver
  interpolation!: Interpolation
  events!: Events
  refs!: EntityRefs
  authority!: HostAuthority
  inputs!: Inputs
  prediction!: Prediction

  constructor(
    readonly world: World,
    readonly schema: Schema,
    readonly transport: Transport,
    stores: ReadonlyMap<number, ComponentStore>,
    readonly settings: NetSettings,
  ) {
    this.layout = createLayout(schema, stores)
    this.stats = new StatsCounters(this.layout.components.map((c) => ({ name: c.def.name, deltaIndex: c.deltaIndex })))
    this.presence = createPresenceReader(world, this.layout.components.map((c) => c.store))
    this.registry = new EntityRegistry(settings.capacity)
    this.emitter = new Emitter<NetworkEvents>(() => this.stats.handlerErrors++)
  }

  /** This peer's id (null until the transport knows it). */
  selfId(): string | null {
    return this.transport.self?.id ?? null
  }
}

/** Thrown inside message handling: counted under `reason` and struck against the sender, never out of receive(). */
export class Invalid extends Error {
  constructor(
    readonly reason: keyof DropCounters,
    message: string,
  ) {
    super(message)
  }
}

/** A handler's answer: done (undefined), or STALL: the message depends on an ownership change not yet seen. */
export const STALL = 'stall' as const
export type Outcome = void | typeof STALL
