import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { createNetwork, type Network, type NetworkOptions } from '../../../src/ecs/index.js'
import { createMemoryNetwork, type LinkOptions, type MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory/index.js'
import { createTestSchema, type TestSchema } from '../../helpers/test-schema.js'

export interface TestPeer {
  id: string
  world: World
  net: Network
  s: TestSchema
  transport: MemoryTransport
}

export interface Harness {
  hub: MemoryNetwork
  peers: TestPeer[]
  /** One network tick for every peer: receive, flush, then advance virtual time by one tick (33.3 ms). */
  step(ticks?: number): void
  addPeer(id: string, options?: Partial<NetworkOptions> & { fingerprint?: string; canonical?: string; capacity?: number }): TestPeer
  /** Creates an entity with Transform (and Velocity) on `peer` and spawns it. */
  spawnMover(peer: TestPeer, options?: { persistent?: boolean; velocity?: boolean; x?: number }): number
}

export const TICK_MS = 1000 / 30

export function createHarness(
  n: number,
  options: { seed?: number; link?: LinkOptions; capacity?: number; net?: Partial<NetworkOptions> } = {},
): Harness {
  const hub = createMemoryNetwork({ seed: options.seed ?? 1, link: options.link })
  const peers: TestPeer[] = []
  const addPeer: Harness['addPeer'] = (id, o = {}) => {
    const capacity = o.capacity ?? options.capacity ?? 1024
    const s = createTestSchema(capacity, o.fingerprint, o.canonical)
    const world = createWorld()
    const transport = hub.join(id)
    const net = createNetwork(world, {
      schema: s.schema,
      transport,
      maxEntities: capacity,
      ...options.net,
      ...o,
    })
    const peer = { id, world, net, s, transport }
    peers.push(peer)
    return peer
  }
  for (let i = 0; i < n; i++) addPeer(`p${i}`)
  const step = (ticks = 1): void => {
    for (let t = 0; t < ticks; t++) {
      for (const p of peers) p.net.receive()
      for (const p of peers) p.net.flush()
      hub.advance(TICK_MS)
    }
  }
  const spawnMover: Harness['spawnMover'] = (peer, o = {}) => {
    const eid = addEntity(peer.world)
    addComponent(peer.world, eid, peer.s.Transform)
    peer.s.Transform.x[eid] = o.x ?? 0
    if (o.velocity) addComponent(peer.world, eid, peer.s.Velocity)
    peer.net.spawn(eid, { persistent: o.persistent })
    return eid
  }
  return { hub, peers, step, addPeer, spawnMover }
}

/** The replica of `owner`'s entity `eid` on `peer` (its local eid), or undefined. */
export function replicaOf(owner: TestPeer, eid: number, peer: TestPeer): number | undefined {
  if (owner === peer) return eid
  const id = owner.net.netIdOf(eid)
  return id ? peer.net.eidOf(id) : undefined
}
