// A headless host as the CLI runs it (startHost: the PeerJS transport over node-datachannel, a real relay on
// loopback) and two Node clients: star topology, the host's entity for each client, inputs moving it, prediction.
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { Chat, createGameSchema, MoveInput, type GameSchema } from '../../generated/game/schema.js'
import { createNetwork, defineHostGame, type Network } from '../../src/index.js'
import { startHost, type StartedHost } from '../../src/host/cli.js'
import { createRelay, generateRelayKeyHex, type Relay } from '../../src/relay/index.js'
import { peerJsTransport, type PeerJsTransport } from '../../src/transport/peerjs/peerjs-transport.js'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import { loadNodePeer } from '../helpers/node-webrtc.js'

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const move = (g: GameSchema) => (_w: World, eid: number, input: MoveInput): void => {
  g.Transform.x[eid] += input.dx
}

/** The game: one entity per client, moved by its inputs; the client is told its entity's net id in a Chat. */
function arena() {
  const g = createGameSchema(256)
  const players = new Map<string, number>()
  const game = defineHostGame({
    schema: g.schema,
    setup(world: World, host: Network) {
      const step = move(g)
      host.events.on('peerJoined', (peer) => {
        const eid = addEntity(world)
        addComponent(world, eid, g.Transform)
        host.spawn(eid)
        players.set(peer.id, eid)
      })
      host.onInput(MoveInput, (input, from) => {
        const eid = players.get(from.id)
        if (eid !== undefined) step(world, eid, input)
      })
    },
    tick(_world: World, _dt: number, host: Network) {
      for (const [peer, eid] of players) {
        const id = host.netIdOf(eid)
        if (id) host.send(Chat, { text: JSON.stringify(id) }, { to: peer })
      }
    },
  })
  return { g, game, players }
}

async function client(relay: Relay) {
  const g = createGameSchema(256)
  const world = createWorld()
  const transport: PeerJsTransport = peerJsTransport({ relay: relayClient(relay.url), Peer: loadNodePeer(), iceServers: [], connectTimeout: 3000, heartbeatInterval: 500 })
  const net = createNetwork(world, { schema: g.schema, transport, authority: 'host', maxEntities: 256 })
  let me = -1
  net.on(Chat, (m) => {
    if (me < 0) me = net.eidOf(JSON.parse(m.text)) ?? -1
  })
  const timer = setInterval(() => {
    net.receive()
    net.flush()
  }, 1000 / 30)
  cleanup.push(() => {
    clearInterval(timer)
    net.close()
    transport.close()
  })
  await transport.join('arena-1')
  return { g, world, net, transport, me: () => me }
}

describe('headless host (CLI) through a real relay', { timeout: 60_000 }, () => {
  it('two Node clients reach the host only; their inputs move their entities on the host, predicted at once', async () => {
    const relay = createRelay({ port: 0, auth: 'off', logger: pino({ level: 'silent' }), iceServers: [], signingKey: await generateRelayKeyHex() })
    await relay.listen()
    cleanup.push(() => relay.close())
    const { g, game, players } = arena()
    const started: StartedHost = await startHost({ game, relay: relay.url, room: 'arena-1' })
    cleanup.push(() => started.stop())
    const a = await client(relay)
    const b = await client(relay)
    await until(() => a.me() >= 0 && b.me() >= 0, 30_000, 'both clients told their entity')
    expect(a.net.hostId).toBe(started.transport.self!.id)
    expect(started.host.net.peers.length).toBe(2)
    await until(() => a.net.peers.length === 1 && b.net.peers.length === 1, 10_000, 'clients keep the host only')
    const me = a.me()
    a.net.predict(me, MoveInput, move(a.g))
    for (let i = 0; i < 20; i++) {
      const before = a.g.Transform.x[me]
      a.net.sendInput(MoveInput, { dx: 0.5, dz: 0, jump: false })
      expect(a.g.Transform.x[me] - before).toBeCloseTo(0.5, 3) // at once
      await new Promise((r) => setTimeout(r, 1000 / 30))
    }
    const onHost = players.get(a.transport.self!.id)!
    await until(() => Math.abs(g.Transform.x[onHost] - 10) < 1e-3, 10_000, 'the host applied all 20 inputs')
    await until(() => a.net.stats.host.acknowledgedInput === 20, 10_000, 'the host acknowledged them')
    expect(a.g.Transform.x[me]).toBeCloseTo(10, 2)
    expect(a.net.stats.host.mispredictions).toBe(0)
    // The link between the clients was dropped, and is not re-dialled over and over (heartbeats every 500 ms).
    const drops = a.net.stats.host.starDropped + b.net.stats.host.starDropped
    await new Promise((r) => setTimeout(r, 1500))
    expect(a.net.stats.host.starDropped + b.net.stats.host.starDropped).toBe(drops)
    expect([...a.transport.peers.keys()]).toEqual([started.transport.self!.id])
  })
})
