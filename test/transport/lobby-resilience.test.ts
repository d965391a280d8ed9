/**
 * The lobby is outside the gameplay path. Two Node players (node-datachannel WebRTC, the stock peerjs client) meet
 * through the lobby of a relay run by the CLI in its own process, which is then killed (SIGKILL: no shutdown, nothing
 * flushed): the session plays on peer to peer. Restarted on its data directory, the relay rebuilds its room list from
 * the sockets that resume (each member's resume token carries its room's record): the room is listed again with its
 * players, metadata and options, and its options still hold for newcomers.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { peerJsTransport, type PeerJsTransport } from '../../src/transport/peerjs/peerjs-transport.js'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import { joinRoom } from '../../src/auth/join.js'
import { anonymous } from '../../src/auth/token-source.js'
import { loadNodePeer } from '../helpers/node-webrtc.js'

const bin = fileURLToPath(new URL('../../bin/bitecs-multiuser.js', import.meta.url))
const children: ChildProcess[] = []
const open: PeerJsTransport[] = []
const dirs: string[] = []
afterEach(() => {
  for (const t of open.splice(0)) t.close()
  for (const c of children.splice(0)) c.kill('SIGKILL')
})
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

/** The CLI relay in a process of its own; resolves with its URL. */
async function startCliRelay(dataDir: string, port = 0): Promise<{ url: string; port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [bin, 'relay', '--port', String(port), '--auth', 'off', '--ice-servers', '[]', '--log-level', 'silent', '--data-dir', dataDir, '--match-queues', '{"duel":{"size":2}}'], { stdio: ['ignore', 'ignore', 'pipe'] })
  children.push(child)
  let err = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /relay: (http:\/\/\S+) \(did:web:/.exec(err)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`relay exited ${code}: ${err}`)))
  })
  return { url, port: Number(new URL(url).port), child }
}

async function kill(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await gone
}

function player(url: string) {
  const t = peerJsTransport({ relay: relayClient(url), Peer: loadNodePeer(), iceServers: [], reconnectDelay: 100, reconnectMaxDelay: 400, connectTimeout: 3_000, heartbeatInterval: 500 })
  const got: string[] = []
  const left: string[] = []
  t.on('message', (_from, _ch, d) => got.push(new TextDecoder().decode(d)))
  t.on('peerLeft', (id) => left.push(id))
  open.push(t)
  return { t, got, left }
}

async function until(cond: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const text = (s: string) => new TextEncoder().encode(s)

describe('the lobby is outside the gameplay path', { timeout: 90_000 }, () => {
  it('a matched session plays on when the relay is killed, and its room keeps its options when the relay comes back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lobby-resilience-'))
    dirs.push(dataDir)
    const first = await startCliRelay(dataDir)
    const lobby = relayClient(first.url)
    const [ma, mb] = await Promise.all([lobby.matchmake({ queue: 'duel' }), lobby.matchmake({ queue: 'duel' })])
    const a = player(first.url)
    const b = player(first.url)
    await a.t.join(ma.room, { session: ma.ticket })
    await b.t.join(mb.room, { session: mb.ticket })
    await until(() => a.t.peers.size === 1 && b.t.peers.size === 1, 20_000, 'the pair linked')
    const ids = [a.t.self!.id, b.t.self!.id]

    await kill(first.child)
    await until(() => a.t.status === 'reconnecting' && b.t.status === 'reconnecting', 10_000, 'both see the relay gone')
    for (let i = 0; i < 5; i++) {
      a.t.send('*', 'reliable', text(`a${i}`))
      b.t.send('*', 'reliable', text(`b${i}`))
    }
    await until(() => a.got.length === 5 && b.got.length === 5, 10_000, 'messages both ways with the relay dead')
    expect(b.got).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'])

    const second = await startCliRelay(dataDir, first.port)
    await until(() => a.t.status === 'joined' && b.t.status === 'joined', 20_000, 'both resumed')
    expect([a.t.self!.id, b.t.self!.id]).toEqual(ids)
    expect([a.left, b.left]).toEqual([[], []])
    // The session's room came back from the members' resume tokens: still invite-only to the session.
    await expect(joinRoom(second.url, ma.room, anonymous())).rejects.toMatchObject({ code: 'ROOM_INVITE_REQUIRED' })
  })

  it('a public room with options is listed again after a relay restart, with its players as they resume', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lobby-rebuild-'))
    dirs.push(dataDir)
    const first = await startCliRelay(dataDir)
    const created = await relayClient(first.url).createRoom({ name: 'plaza', maxPlayers: 6, password: 'pw', metadata: { mode: 'ctf' } })
    const a = player(first.url)
    const b = player(first.url)
    await a.t.join('plaza', { password: 'pw' })
    await b.t.join('plaza', { password: 'pw' })
    await until(() => a.t.peers.size === 1 && b.t.peers.size === 1, 20_000, 'the pair linked')
    await until(async () => (await relayClient(first.url).listRooms()).rooms[0]?.players === 2)

    await kill(first.child)
    const second = await startCliRelay(dataDir, first.port)
    const client = relayClient(second.url)
    await until(async () => (await client.listRooms()).rooms[0]?.players === 2, 20_000, 'the room rebuilt with both players')
    const [room] = (await client.listRooms()).rooms
    expect(room).toMatchObject({ name: 'plaza', players: 2, maxPlayers: 6, access: 'password', metadata: { mode: 'ctf' }, createdAt: created.createdAt })
    await expect(joinRoom(second.url, 'plaza', anonymous())).rejects.toMatchObject({ code: 'ROOM_PASSWORD_REQUIRED' })
    expect((await joinRoom(second.url, 'plaza', anonymous(), { credentials: { password: 'pw' } })).room).toBe('plaza')
  })
})
