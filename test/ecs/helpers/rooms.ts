// For tests of one room of the replication core: a network's context with every room wired but no facade (nothing
// subscribed to the transport), so a test hands the room its input and reads what it did.
import { createWorld, type World } from 'bitecs'
import { createContext } from '../../../src/ecs/create-network.js'
import type { NetContext } from '../../../src/ecs/context.js'
import type { PeerState } from '../../../src/ecs/peers.js'
import { PROTOCOL_VERSION, buildFrame, decodeFrame, type Message } from '../../../src/protocol/reliable-codec.js'
import type { NetworkOptions } from '../../../src/ecs/index.js'
import type { MemoryNetwork } from '../../../src/transport/memory/index.js'
import { createTestSchema, type TestSchema } from '../../helpers/test-schema.js'

export interface RoomPeer {
  ctx: NetContext
  world: World
  s: TestSchema
}

/**
 * Peer `id` on `hub`, its clock `origin` ms ahead of the hub's (every peer its own, large origin); `admittedAt`
 * replaces the hub's admission time of this peer (its place in the room's order of arrival).
 */
export function roomPeer(hub: MemoryNetwork, id: string, origin: number, options: Partial<NetworkOptions> & { admittedAt?: number } = {}): RoomPeer {
  const s = createTestSchema(256)
  const world = createWorld()
  const { admittedAt, ...rest } = options
  const joined = hub.join(id)
  const transport = admittedAt === undefined ? joined : Object.create(joined, { self: { value: { ...joined.self, admittedAt } } })
  const ctx = createContext(world, { schema: s.schema, transport, maxEntities: 256, now: () => hub.clock() + origin, ...rest })
  return { ctx, world, s }
}

/** Makes `peerId`, admitted to the room at `admittedAt`, a ready peer of `ctx` (joined, and its hello accepted). */
export function readyPeer(ctx: NetContext, peerId: string, admittedAt: number): PeerState {
  ctx.peers.join({ id: peerId, did: null, admittedAt })
  const p = ctx.peers.get(peerId)!
  ctx.peers.onHello(p, { fingerprint: ctx.schema.fingerprint, protocolVersion: PROTOCOL_VERSION, connectedAt: admittedAt, authority: 0, sessionTicket: '' })
  return p
}

/** The messages queued to `p` since the last call (its outbox, decoded), and empties the outbox. */
export function takeOutbox(p: PeerState): Message[] {
  const out = p.stream.outbox.length ? decodeFrame(buildFrame(p.stream.outbox)) : []
  p.stream.outbox = []
  return out
}

export const kinds = (ms: Message[]): string[] => ms.map((m) => m.body!.$case)
