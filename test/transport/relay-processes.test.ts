/**
 * Three real relay processes (the CLI) on one real Redis behind a round-robin balancer, with the PeerJS transport in
 * Node (node-datachannel): players whose sockets are on different processes mesh (their signals cross processes);
 * one process killed with SIGKILL: its clients resume on the others within 5 s with their peer ids, nobody sees
 * anyone leave, the P2P links stay up, and the room is whole for a newcomer; one process drained with SIGTERM: the
 * same; Redis restarted empty: the processes reconnect and rebuild the rooms from their live sockets.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest'
import { peerJsTransport, type PeerJsTransport } from '../../src/transport/peerjs/peerjs-transport.js'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import type { PeerIdentity } from '../../src/transport/transport.js'
import { loadNodePeer } from '../helpers/node-webrtc.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'
import { relayGroup, socketsOf, type RelayGroup, type RelayProcess } from '../helpers/relay-group.js'
import { asJoin, postJoin, RawPeer } from '../relay/helpers.js'

let redis: TestRedis
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

const open: PeerJsTransport[] = []
let group: RelayGroup | undefined
const logs: { id: () => string | undefined; log: unknown }[] = []
beforeEach(() => {
  logs.length = 0
  onTestFailed(() => {
    console.log('[transports]', JSON.stringify(logs.map((l) => ({ id: l.id(), log: l.log })), null, 1))
    for (const p of group?.processes ?? []) console.log(`[relay :${p.port}]`, p.stderr().slice(-3000))
  })
})
afterEach(async () => {
  for (const t of open.splice(0)) t.close()
  await group?.close()
  group = undefined
})

function transport(url: string) {
  const t = peerJsTransport({ relay: relayClient(url), Peer: loadNodePeer(), iceServers: [], reconnectDelay: 100, reconnectMaxDelay: 1000, connectTimeout: 3_000, heartbeatInterval: 500 })
  const log = { joined: [] as PeerIdentity[], left: [] as string[], status: [] as string[], got: [] as string[], errors: [] as string[] }
  t.on('error', (e) => log.errors.push(`${e.code}: ${e.message}`))
  t.on('peerJoined', (p) => log.joined.push(p))
  t.on('peerLeft', (id) => log.left.push(id))
  t.on('status', (s) => log.status.push(s))
  t.on('message', (from, channel, d) => log.got.push(`${from}:${channel}:${new TextDecoder().decode(d)}`))
  open.push(t)
  logs.push({ id: () => t.self?.id, log })
  return { t, log }
}
type Player = ReturnType<typeof transport>

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const text = (s: string) => new TextEncoder().encode(s)

/** `n` players in `room`, meshed. */
async function meshed(url: string, room: string, n: number): Promise<Player[]> {
  const players = Array.from({ length: n }, () => transport(url))
  for (const p of players) await p.t.join(room)
  await until(() => players.every((p) => p.t.peers.size === n - 1), 30_000, `mesh of ${n}`)
  return players
}

/** Every player hears every other on the reliable channel (the P2P links carry the game). */
async function allTalk(players: Player[], tag: string): Promise<void> {
  for (const p of players) p.t.send('*', 'reliable', text(`${tag}:${p.t.self!.id}`))
  await until(() => players.every((p) => players.every((q) => q === p || p.log.got.includes(`${q.t.self!.id}:reliable:${tag}:${q.t.self!.id}`))), 10_000, `messages ${tag}`)
}

/** A raw PeerJS socket in `room` on each process (joined and connected there directly): what the relay tells a room. */
async function observers(g: RelayGroup, room: string): Promise<{ p: RelayProcess; raw: RawPeer; peerId: string }[]> {
  return Promise.all(g.processes.map(async (p) => {
    const j = asJoin(await postJoin(`http://127.0.0.1:${p.port}/`, room))
    const raw = new RawPeer(`ws://127.0.0.1:${p.port}/peerjs?${new URLSearchParams({ key: j.peerjs.key, id: j.peerId, token: j.joinToken })}`)
    await raw.next((m) => m.type === 'OPEN')
    return { p, raw, peerId: j.peerId }
  }))
}

/** The process holding the most sockets, and how many each holds. */
async function busiest(g: RelayGroup): Promise<{ index: number; counts: number[] }> {
  const counts = await Promise.all(g.processes.map(socketsOf))
  return { index: counts.indexOf(Math.max(...counts)), counts }
}

describe('three relay processes on one Redis', { timeout: 90_000 }, () => {
  it('SIGKILL of one process: its players resume on the others within 5 s with their ids; nobody sees anyone leave', async () => {
    group = await relayGroup(3, redis.url)
    const watch = await observers(group, 'g')
    const players = await meshed(group.url, 'g', 4)
    const { index, counts } = await busiest(group)
    // The balancer spread the sockets: signals crossed processes to make this mesh.
    expect(counts.filter((c) => c > 0).length).toBeGreaterThanOrEqual(2)
    const ids = players.map((p) => p.t.self!.id)
    const victim = group.processes[index]
    victim.child.kill('SIGKILL')
    await victim.exited
    const killedAt = Date.now()
    // Four players and the two surviving observers.
    await until(async () => players.every((p) => p.t.status === 'joined' && p.log.status.at(-1) === 'joined') && (await Promise.all(group!.processes.filter((p) => p.alive()).map(socketsOf))).reduce((a, b) => a + b, 0) === 6, 10_000, 'everyone back on the survivors')
    const resumedMs = Date.now() - killedAt
    console.log(`[relay-processes] players of the killed process back on the survivors after ${resumedMs} ms`)
    expect(resumedMs).toBeLessThan(5_000)
    expect(players.map((p) => p.t.self!.id)).toEqual(ids)
    for (const p of players) expect(p.log.left).toEqual([])
    for (const p of players) expect(p.log.errors.filter((e) => e.startsWith('PEER_ID_CHANGED'))).toEqual([])
    await allTalk(players, 'after-kill')
    // The room is whole on the survivors: a newcomer meets all four (its socket on any survivor).
    const newcomer = transport(group.url)
    await newcomer.t.join('g')
    await until(() => newcomer.t.peers.size === 4, 30_000, 'newcomer meets the four')
    expect(new Set([...newcomer.t.peers.keys()])).toEqual(new Set(ids))
    await new Promise((r) => setTimeout(r, 2_000)) // past the dead process's key lifetime: its sweep must not remove the resumed peers
    for (const p of players) expect(p.log.left).toEqual([])
    expect(newcomer.log.left).toEqual([])
    // The survivors' observers were told of no player leaving; only the observer whose socket was on the dead process.
    const deadObserver = watch.find((w) => w.p === victim)!.peerId
    for (const w of watch.filter((x) => x.p !== victim)) {
      expect(w.raw.ofType('PEER-LEFT').map((m) => m.payload?.peerId)).toEqual([deadObserver])
      w.raw.close()
    }
  })

  it('SIGTERM drains a process: its players move to the others with their ids, links stay up, it exits 0', async () => {
    group = await relayGroup(3, redis.url)
    const watch = await observers(group, 'd')
    const players = await meshed(group.url, 'd', 4)
    const { index } = await busiest(group)
    const ids = players.map((p) => p.t.self!.id)
    const drained = group.processes[index]
    drained.child.kill('SIGTERM')
    expect(await drained.exited).toBe(0)
    await until(async () => players.every((p) => p.log.status.at(-1) === 'joined') && (await Promise.all(group!.processes.filter((p) => p.alive()).map(socketsOf))).reduce((a, b) => a + b, 0) === 6, 10_000, 'everyone moved')
    expect(players.map((p) => p.t.self!.id)).toEqual(ids)
    for (const p of players) expect(p.log.left).toEqual([])
    for (const p of players) expect(p.t.peers.size).toBe(3)
    await allTalk(players, 'after-drain')
    const newcomer = transport(group.url)
    await newcomer.t.join('d')
    await until(() => newcomer.t.peers.size === 4, 30_000, 'newcomer meets the four')
    await new Promise((r) => setTimeout(r, 2_000)) // past the drained process's key lifetime
    // The observers that stayed heard only of the drained observer (a raw socket that never resumes) leaving.
    const gone = watch.find((w) => w.p === drained)!.peerId
    for (const w of watch.filter((x) => x.p !== drained)) {
      expect(w.raw.ofType('PEER-LEFT').map((m) => m.payload?.peerId)).toEqual([gone])
      w.raw.close()
    }
  })

  it('Redis restarted empty: the processes reconnect and rebuild the room from their live sockets', async () => {
    group = await relayGroup(3, redis.url)
    const players = await meshed(group.url, 'r', 3)
    const ids = players.map((p) => p.t.self!.id)
    await redis.restart()
    // Nobody's relay socket dropped; a newcomer (after the processes wrote their sockets back) meets everyone.
    const newcomer = transport(group.url)
    await until(async () => {
      const res = await fetch(`${group!.url}v1/rooms/r/join`, { method: 'POST' }).catch(() => null)
      return res?.status === 200 && ((await res.json()) as { roster: unknown[] }).roster.length === 3
    }, 15_000, 'roster rebuilt')
    await newcomer.t.join('r')
    await until(() => newcomer.t.peers.size === 3, 30_000, 'newcomer meets the three')
    expect(new Set([...newcomer.t.peers.keys()])).toEqual(new Set(ids))
    for (const p of players) expect(p.log.left).toEqual([])
    await allTalk([...players, newcomer], 'after-redis')
  })
})
