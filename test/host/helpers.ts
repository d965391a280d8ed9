// A host and its clients on the memory hub, each with its own world, stores (createGameSchema) and clock origin.
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { createGameSchema, type GameSchema } from '../../generated/game/schema.js'
import { createNetwork, type Network, type NetworkOptions } from '../../src/ecs/index.js'
import { createMemoryNetwork, type LinkOptions, type MemoryNetwork, type MemoryTransport } from '../../src/transport/memory/index.js'

export interface GamePeer {
  id: string
  world: World
  net: Network
  g: GameSchema
  transport: MemoryTransport
}

export const TICK_MS = 1000 / 30

export interface HostHarness {
  hub: MemoryNetwork
  host: GamePeer
  clients: GamePeer[]
  /** One tick of every peer (receive, then `beforeFlush`, then flush), then virtual time moves one tick. */
  step(ticks?: number, beforeFlush?: () => void): void
  /** The host's entity for a client: a Transform it spawns. */
  spawnFor(client: GamePeer, x?: number): number
  /** The client's eid of a host entity (once it arrived). */
  replica(client: GamePeer, hostEid: number): number | undefined
}

export function createHostHarness(
  clients: number,
  options: { seed?: number; link?: LinkOptions; host?: Partial<NetworkOptions>; client?: (i: number) => Partial<NetworkOptions> & { did?: string } } = {},
): HostHarness {
  const hub = createMemoryNetwork({ seed: options.seed ?? 7, link: options.link })
  const make = (id: string, { did, ...o }: Partial<NetworkOptions> & { did?: string }): GamePeer => {
    const g = createGameSchema(256)
    const world = createWorld()
    const transport = hub.join(id, { did: did ?? null })
    const net = createNetwork(world, { schema: g.schema, transport, maxEntities: 256, authority: 'host', ...o })
    return { id, world, net, g, transport }
  }
  const host = make('host', { host: true, ...options.host })
  const list = Array.from({ length: clients }, (_, i) => make(`c${i}`, options.client?.(i) ?? {}))
  const all = [host, ...list]
  return {
    hub,
    host,
    clients: list,
    step(ticks = 1, beforeFlush) {
      for (let t = 0; t < ticks; t++) {
        for (const p of all) p.net.receive()
        beforeFlush?.()
        for (const p of all) p.net.flush()
        hub.advance(TICK_MS)
      }
    },
    spawnFor(_client, x = 0) {
      const eid = addEntity(host.world)
      addComponent(host.world, eid, host.g.Transform)
      host.g.Transform.x[eid] = x
      host.net.spawn(eid)
      return eid
    },
    replica(client, hostEid) {
      const id = host.net.netIdOf(hostEid)
      return id ? client.net.eidOf(id) : undefined
    },
  }
}
