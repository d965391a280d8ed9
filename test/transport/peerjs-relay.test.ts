// The PeerJS transport in Node (node-datachannel) against our real relay on loopback: mesh from the roster,
// tickets verified into identities, rooms isolated, tampered tickets refused, relay restart survived,
// room switching, fragmentation of large reliable messages.
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest'
import { pino } from 'pino'
import { createRelay, generateRelayKeyHex, type Relay } from '../../src/relay/index.js'
import { peerJsTransport, type PeerJsTransport } from '../../src/transport/peerjs/peerjs-transport.js'
import { relayClient, type RelayClient } from '../../src/transport/peerjs/relay-client.js'
import type { PeerIdentity } from '../../src/transport/transport.js'
import { loadNodePeer } from '../helpers/node-webrtc.js'

const key = await generateRelayKeyHex()
const quiet = pino({ level: 'silent' })
const open: PeerJsTransport[] = []
const logs: { id: () => string | undefined; log: unknown }[] = []
beforeEach(() => {
  logs.length = 0
  onTestFailed(() => console.log('[transports]', JSON.stringify(logs.map((l) => ({ id: l.id(), log: l.log })), null, 1)))
})
const relays: Relay[] = []

async function startRelay(port = 0): Promise<Relay> {
  const relay = createRelay({ port, auth: 'off', signingKey: key, logger: quiet, iceServers: [] })
  await relay.listen()
  relays.push(relay)
  return relay
}

function transport(relay: Relay | string, overrides: Partial<RelayClient> = {}, opts: { peerTimeout?: number } = {}) {
  const url = typeof relay === 'string' ? relay : relay.url
  // A short connect timeout: Node's WebRTC (libjuice) now and then fails ICE on a loaded machine, and the
  // transport re-dials failed links; tests wait for the healed mesh.
  const t = peerJsTransport({ relay: { ...relayClient(url), ...overrides }, Peer: loadNodePeer(), iceServers: [], reconnectDelay: 100, connectTimeout: 3_000, heartbeatInterval: 500, ...opts })
  const log = { joined: [] as PeerIdentity[], left: [] as string[], unreachable: [] as string[], status: [] as string[], got: [] as string[] }
  t.on('peerJoined', (p) => log.joined.push(p))
  t.on('peerLeft', (id) => log.left.push(id))
  t.on('peerUnreachable', (id, reason) => log.unreachable.push(`${id}: ${reason}`))
  t.on('status', (s) => log.status.push(s))
  t.on('message', (from, channel, d) => log.got.push(`${from}:${channel}:${new TextDecoder().decode(d)}`))
  open.push(t)
  logs.push({ id: () => t.self?.id, log })
  return { t, log }
}

async function until(cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const text = (s: string) => new TextEncoder().encode(s)

afterEach(async () => {
  for (const t of open.splice(0)) t.close()
  for (const r of relays.splice(0)) await r.close()
})

describe('peerJsTransport with the relay', { timeout: 60_000 }, () => {
  it('meshes every peer of a room, verified by tickets, and keeps rooms apart', async () => {
    const relay = await startRelay()
    const [a, b, c] = [transport(relay), transport(relay), transport(relay)]
    const other = transport(relay)
    await a.t.join('lobby')
    await b.t.join('lobby')
    await c.t.join('lobby')
    await other.t.join('elsewhere')
    await until(() => a.log.joined.length === 2 && b.log.joined.length === 2 && c.log.joined.length === 2, 20_000, 'mesh of 3')
    expect(new Set(a.log.joined.map((p) => p.id))).toEqual(new Set([b.t.self!.id, c.t.self!.id]))
    expect(a.log.joined.every((p) => p.did === null)).toBe(true)
    // The unreliable channel really is: read back on both ends of a link.
    for (const [x, y] of [[a, b], [b, a]]) {
      expect(x.t.linkInfo(y.t.self!.id)!.unreliable).toMatchObject({ ordered: false, maxRetransmits: 0, negotiated: true, id: 2, readyState: 'open' })
    }
    c.t.send('*', 'reliable', text('hi'))
    await until(() => a.log.got.length === 1 && b.log.got.length === 1)
    expect(a.log.got).toEqual([`${c.t.self!.id}:reliable:hi`])
    // A message larger than one SCTP message is fragmented and reassembled.
    const big = new Uint8Array(200_000).map((_, i) => i & 0xff)
    const bigs: Uint8Array[] = []
    b.t.on('message', (_from, channel, d) => channel === 'reliable' && d.length === big.length && bigs.push(d.slice()))
    a.t.send(b.t.self!.id, 'reliable', big)
    await until(() => bigs.length === 1)
    expect(bigs[0]).toEqual(big)
    // Unreliable, binary: some of a few datagrams arrive.
    for (let i = 0; i < 5; i++) b.t.send(a.t.self!.id, 'unreliable', text(`u${i}`))
    await until(() => a.log.got.some((m) => m.startsWith(`${b.t.self!.id}:unreliable:u`)))
    expect(other.log.joined).toEqual([])
    expect(other.log.got).toEqual([])
  })

  it('refuses a peer whose ticket was tampered with', async () => {
    const relay = await startRelay()
    const honest = transport(relay)
    const forger = transport(relay, {
      async join(room, resume) {
        const answer = await relayClient(relay.url).join(room, resume)
        const [h, p, s] = answer.ticket.split('.')
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
        claims.did = 'did:plc:someoneelse'
        return { ...answer, ticket: [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.') }
      },
    })
    await honest.t.join('r')
    await forger.t.join('r')
    await until(() => honest.log.unreachable.length === 1 || forger.log.unreachable.length === 1, 10_000, 'refusal')
    expect(honest.log.joined).toEqual([])
    expect(honest.t.peers.size).toBe(0)
  })

  it('survives a relay restart: links stay up, peers rejoin, a newcomer meets everyone', async () => {
    const relay = await startRelay()
    const port = relay.address.port
    const a = transport(relay)
    const b = transport(relay)
    await a.t.join('g')
    await b.t.join('g')
    await until(() => a.log.joined.length === 1 && b.log.joined.length === 1)
    const ids = [a.t.self!.id, b.t.self!.id]
    await relay.close()
    relays.splice(relays.indexOf(relay), 1)
    await until(() => a.log.status.includes('reconnecting') && b.log.status.includes('reconnecting'), 10_000, 'reconnecting')
    // The game goes on peer to peer while the relay is down.
    a.t.send('*', 'reliable', text('still here'))
    await until(() => b.log.got.length === 1)
    const restarted = await startRelay(port)
    await until(() => a.log.status.at(-1) === 'joined' && b.log.status.at(-1) === 'joined', 15_000, 'rejoined')
    // Resumed with the private resume token: same ids, so nobody sees a peer twice or leaving.
    expect([a.t.self!.id, b.t.self!.id]).toEqual(ids)
    expect(a.log.left).toEqual([])
    expect(b.log.left).toEqual([])
    const c = transport(restarted)
    await c.t.join('g')
    await until(() => c.log.joined.length === 2, 20_000, 'newcomer meets both')
    expect(a.log.joined.map((p) => p.id)).toEqual([ids[1], c.t.self!.id])
  })

  it('switches rooms without being recreated, and reports leaves', async () => {
    const relay = await startRelay()
    const a = transport(relay)
    const b = transport(relay)
    const c = transport(relay)
    await a.t.join('one')
    await b.t.join('one')
    await c.t.join('two')
    // Both ends up (a link that failed its handshake is re-dialled; switching before b saw a would give b no leave).
    const aOld = a.t.self!.id
    await until(() => a.t.peers.has(b.t.self!.id) && b.t.peers.has(aOld), 20_000, 'a and b linked')
    await a.t.join('two')
    await until(() => b.log.left.includes(aOld) && a.t.peers.has(c.t.self!.id), 20_000, 'room switch')
    expect([...a.t.peers.keys()]).toEqual([c.t.self!.id])
    expect(a.t.room).toBe('two')
    const leftBefore = a.log.left.length
    const cId = c.t.self!.id
    c.t.close()
    await until(() => a.log.left.length === leftBefore + 1, 8_000, 'leave seen')
    expect(a.log.left.at(-1)).toBe(cId)
  })
})
