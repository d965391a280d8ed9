// A headless host as the CLI runs it (startHost: the PeerJS transport over node-datachannel, a real relay on
// loopback) and two Node clients: star topology, the host's entity for each client, inputs moving it, prediction.
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { pino } from 'pino'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Chat, createGameSchema, MoveInput, type GameSchema } from '../../generated/game/schema.js'
import { createNetwork, defineHostGame, type Network } from '../../src/index.js'
import { startHost, type StartedHost } from '../../src/host/start-host.js'
import { serveSessions } from '../../src/host/session-server.js'
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

async function client(relay: Relay, hostMigration = false, room = 'arena-1', credentials?: { session: string }) {
  const g = createGameSchema(256)
  const world = createWorld()
  const transport: PeerJsTransport = peerJsTransport({ relay: relayClient(relay.url), Peer: loadNodePeer(), iceServers: [], connectTimeout: 3000, heartbeatInterval: 500 })
  const net = createNetwork(world, { schema: g.schema, transport, authority: 'host', maxEntities: 256, hostMigration, ...(credentials ? { sessionTicket: credentials.session } : {}) })
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
  await transport.join(room, credentials)
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

  it('host migration: the host stops; the client admitted first takes over, nothing lost, the other one\'s inputs reach it', async () => {
    const relay = createRelay({ port: 0, auth: 'off', logger: pino({ level: 'silent' }), iceServers: [], signingKey: await generateRelayKeyHex() })
    await relay.listen()
    cleanup.push(() => relay.close())
    const { game } = arena()
    const started = await startHost({ game, relay: relay.url, room: 'arena-1', migration: true })
    let stopped = false
    cleanup.push(() => stopped || started.stop())
    const a = await client(relay, true)
    const b = await client(relay, true)
    await until(() => a.me() >= 0 && b.me() >= 0, 30_000, 'both clients told their entity')
    await until(() => a.transport.peers.size === 2 && b.transport.peers.size === 2, 10_000, 'the idle link between the clients')
    await new Promise((r) => setTimeout(r, 500)) // its hellos, a tick or two behind
    const hostId = started.transport.self!.id
    const [first, second] = a.transport.self!.admittedAt < b.transport.self!.admittedAt ? [a, b] : [b, a]
    const before = [a.net.stats.entities.remote, b.net.stats.entities.remote]
    expect(before).toEqual([2, 2])
    const applied: number[] = []
    first.net.events.on('hostChanged', () => first.net.onInput(MoveInput, (_i, from, seq) => from.id === second.transport.self!.id && applied.push(seq)))
    const t0 = Date.now()
    started.stop()
    stopped = true
    await until(() => first.net.hostId === first.transport.self!.id && second.net.hostId === first.transport.self!.id, 10_000, 'both agree on the successor')
    const pause = Date.now() - t0
    expect(first.net.stats.entities).toEqual({ owned: 2, remote: 0 })
    expect(second.net.stats.entities).toEqual({ owned: 0, remote: 2 })
    for (let i = 0; i < 10; i++) {
      second.net.sendInput(MoveInput, { dx: 1, dz: 0, jump: false })
      await new Promise((r) => setTimeout(r, 1000 / 30))
    }
    await until(() => applied.length >= 5, 10_000, 'the new host applies the inputs')
    expect(pause).toBeLessThan(2000)
    expect(second.net.peers.map((p) => p.id)).toEqual([first.transport.self!.id])
    expect(hostId).not.toBe(first.transport.self!.id)
  })

  it('bitecs-multiuser host as a process, killed (SIGKILL): a client takes over within 2 s, entity count unchanged', async () => {
    const relay = createRelay({ port: 0, auth: 'off', logger: pino({ level: 'silent' }), iceServers: [], signingKey: await generateRelayKeyHex() })
    await relay.listen()
    cleanup.push(() => relay.close())
    const bin = fileURLToPath(new URL('../../bin/bitecs-multiuser.js', import.meta.url))
    const game = fileURLToPath(new URL('./fixtures/arena-game.ts', import.meta.url))
    const proc = spawn(process.execPath, [bin, 'host', '--game', game, '--relay', relay.url, '--room', 'arena-1', '--migration'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    proc.stdout.on('data', (d) => (out += String(d)))
    proc.stderr.on('data', (d) => (out += String(d)))
    cleanup.push(() => proc.kill('SIGKILL'))
    await until(() => out.includes('hosting room arena-1'), 30_000, 'the host process to start')
    const a = await client(relay, true)
    const b = await client(relay, true)
    await until(() => a.me() >= 0 && b.me() >= 0, 30_000, 'both clients told their entity')
    await until(() => a.transport.peers.size === 2 && b.transport.peers.size === 2, 10_000, 'the idle link between the clients')
    await new Promise((r) => setTimeout(r, 500)) // its hellos, a tick or two behind
    expect(out).toMatch(/\+ /) // the CLI logs its clients
    const [first, second] = a.transport.self!.admittedAt < b.transport.self!.admittedAt ? [a, b] : [b, a]
    const t0 = Date.now()
    proc.kill('SIGKILL')
    const me = first.transport.self!.id
    await until(() => first.net.hostId === me && second.net.hostId === me, 10_000, 'both agree on the successor')
    const pause = Date.now() - t0
    expect(pause).toBeLessThan(2000)
    expect(first.net.stats.entities).toEqual({ owned: 2, remote: 0 })
    expect(second.net.stats.entities).toEqual({ owned: 0, remote: 2 })
  })

  it('matchmade sessions: a registered host is handed the match, hosts its room, admits its players only, and they play', async () => {
    const relay = createRelay({ port: 0, auth: 'off', logger: pino({ level: 'silent' }), iceServers: [], signingKey: await generateRelayKeyHex(), matchQueues: { duel: { size: 2, host: true } }, hostSecret: 'host-secret-of-the-test-relay', matchTickMs: 20 })
    await relay.listen()
    cleanup.push(() => relay.close())
    const { game, players } = arena()
    const server = await serveSessions({ game, relay: relay.url, secret: 'host-secret-of-the-test-relay', id: 'eu-1', region: 'eu', capacity: 8 })
    cleanup.push(() => server.stop())
    const lobby = relayClient(relay.url)
    const [ma, mb] = await Promise.all([0, 1].map(() => lobby.matchmake({ queue: 'duel', attributes: { region: 'eu' } })))
    expect(ma.host).toBe('eu-1')
    const a = await client(relay, false, ma.room, { session: ma.ticket })
    const b = await client(relay, false, mb.room, { session: mb.ticket })
    await until(() => a.me() >= 0 && b.me() >= 0, 30_000, 'both players told their entity by the session\'s host')
    const hosted = server.sessions.get(ma.session)!
    expect(a.net.hostId).toBe(hosted.transport.self!.id)
    expect(players.size).toBe(2)
    // The room seats the session only (the host's whitelist, tested in whitelist.test.ts, checks each player's ticket).
    const stranger = await client(relay, false, ma.room, { session: ma.ticket }).catch((e: unknown) => e)
    expect(stranger).toMatchObject({ code: 'ROOM_FULL' }) // the room seats the session: two players and the host
  })
})
