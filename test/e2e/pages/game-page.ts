// Test page: the replication core over the PeerJS transport, with the README's generated game schema.
// Playwright drives it through window.__g.
import { addComponent, addEntity, createWorld, query } from 'bitecs'
import { createNetwork, type Network } from '../../../src/ecs/index.js'
import { peerJsTransport, type PeerJsTransport } from '../../../src/transport/peerjs/peerjs-transport.js'
import { relayClient } from '../../../src/transport/peerjs/relay-client.js'
import { Chat, createGameSchema, type GameSchema } from '../../../generated/game/schema.js'

let net: Network
let transport: PeerJsTransport
let g: GameSchema
const world = createWorld()
const chats: { text: string; from: string }[] = []
const left: string[] = []
const mine: number[] = []

const api = {
  async start(relayUrl: string, room: string) {
    g = createGameSchema(1024)
    transport = peerJsTransport({ relay: relayClient(relayUrl), iceServers: [], peerTimeout: 2_000, heartbeatInterval: 250, reconnectDelay: 100 })
    net = createNetwork(world, { schema: g.schema, transport, maxEntities: 1024 })
    net.on(Chat, (msg, from) => chats.push({ text: msg.text, from: from.id }))
    net.events.on('peerLeft', (id) => left.push(id))
    await transport.join(room)
    setInterval(() => {
      net.receive()
      net.flush()
    }, 1000 / 30)
    return transport.self!.id
  },
  spawn(x: number, z: number): number {
    const eid = addEntity(world)
    addComponent(world, eid, g.Transform)
    g.Transform.x[eid] = x
    g.Transform.z[eid] = z
    net.spawn(eid)
    mine.push(eid)
    return eid
  },
  /** Moves every entity this page owns by (dx, dz): direct typed-array writes, as a game does. */
  move(dx: number, dz: number) {
    for (const eid of mine) {
      g.Transform.x[eid] += dx
      g.Transform.z[eid] += dz
    }
  },
  chat(text: string) {
    net.send(Chat, { text })
  },
  /** Every replicated entity: owner and position, sorted, comparable across pages. */
  state() {
    const out: { owner: string | null; n: number; origin: string; x: number; z: number }[] = []
    for (const eid of query(world, [g.Transform])) {
      const id = net.netIdOf(eid)
      if (!id) continue
      out.push({ owner: net.ownerOf(eid), origin: id.origin, n: id.n, x: Math.round(g.Transform.x[eid] * 1000) / 1000, z: Math.round(g.Transform.z[eid] * 1000) / 1000 })
    }
    return out.sort((a, b) => (a.origin + a.n).localeCompare(b.origin + b.n))
  },
  chats: () => chats,
  left: () => left,
  peers: () => net.peers.map((p) => ({ id: p.id, rtt: p.rtt })),
  status: () => transport.status,
}
;(window as unknown as { __g: typeof api }).__g = api
