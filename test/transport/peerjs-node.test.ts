// The PeerJS transport in Node (node-datachannel), signalled by the stock `peer` server through a stand-in
// relay client: link mechanics only (channels, handshake, heartbeat, framing). The relay-backed tests are
// in peerjs-relay.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PeerServer } from 'peer'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { peerJsTransport, type PeerJsTransport } from '../../src/transport/peerjs/peerjs-transport.js'
import type { RelayClient, RosterEntry } from '../../src/transport/peerjs/relay-client.js'
import type { Channel, PeerIdentity } from '../../src/transport/transport.js'
import { loadNodePeer } from '../helpers/node-webrtc.js'

let server: Server
let port = 0
const rooms = new Map<string, RosterEntry[]>()
let counter = 0

function standInRelay(did: string | null): RelayClient {
  return {
    async join(room) {
      const peerId = `p${++counter}x${Math.random().toString(36).slice(2, 8)}`
      const roster = rooms.get(room) ?? []
      rooms.set(room, [...roster, { peerId, did }])
      return {
        peerId, joinToken: 'tok', ticket: JSON.stringify({ room, peerId, did }), roster: [...roster],
        peerjs: { host: '127.0.0.1', port, path: '/', key: 'peerjs', secure: false }, did,
      }
    },
    async verifyTicket(ticket, expect) {
      const t = JSON.parse(ticket) as { room: string; peerId: string; did: string | null }
      if (t.room !== expect.room || t.peerId !== expect.peerId) throw new Error('ticket mismatch')
      return { id: t.peerId, did: t.did }
    },
    parseControl: () => null,
  }
}

function collect(t: PeerJsTransport) {
  const joined: PeerIdentity[] = []
  const left: string[] = []
  const got: { from: string; channel: Channel; data: number[] }[] = []
  t.on('peerJoined', (p) => joined.push(p))
  t.on('peerLeft', (id) => left.push(id))
  t.on('message', (from, channel, data) => got.push({ from, channel, data: [...data] }))
  return { joined, left, got }
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    const app = PeerServer({ port: 0, host: '127.0.0.1', path: '/' }, (s) => {
      server = s as Server
      port = (s.address() as AddressInfo).port
      resolve()
    })
    void app
  })
})
afterAll(() => server?.close())

describe('peerJsTransport in Node', () => {
  it('links two peers with a reliable and a truly unreliable channel, binary both ways', async () => {
    const Peer = loadNodePeer()
    const a = peerJsTransport({ relay: standInRelay('did:example:a'), Peer })
    const b = peerJsTransport({ relay: standInRelay('did:example:b'), Peer })
    const ca = collect(a)
    const cb = collect(b)
    await a.join('r1')
    await b.join('r1')
    await until(() => ca.joined.length === 1 && cb.joined.length === 1)
    expect(ca.joined[0]).toMatchObject({ id: b.self!.id, did: 'did:example:b' })
    expect(cb.joined[0]).toMatchObject({ id: a.self!.id, did: 'did:example:a' })

    const info = a.linkInfo(b.self!.id)!
    expect(info.unreliable).toMatchObject({ ordered: false, maxRetransmits: 0, negotiated: true, id: 2 })
    expect(b.linkInfo(a.self!.id)!.unreliable).toMatchObject({ ordered: false, maxRetransmits: 0, negotiated: true })

    a.send(b.self!.id, 'reliable', new Uint8Array([1, 2, 3]))
    const big = new Uint8Array(200_000).map((_, i) => i & 0xff)
    a.send('*', 'reliable', big)
    await until(() => cb.got.filter((m) => m.channel === 'reliable').length === 2)
    expect(cb.got[0]).toEqual({ from: a.self!.id, channel: 'reliable', data: [1, 2, 3] })
    expect(cb.got[1].data.length).toBe(200_000)
    expect(cb.got[1].data[199_999]).toBe(199_999 & 0xff)

    // Unreliable may drop: send a few, expect at least one.
    for (let i = 0; i < 5; i++) b.send(a.self!.id, 'unreliable', new Uint8Array([9, i]))
    await until(() => ca.got.some((m) => m.channel === 'unreliable'))
    expect(ca.got.find((m) => m.channel === 'unreliable')!.data[0]).toBe(9)

    b.close()
    await until(() => ca.left.length === 1, 8_000)
    expect(ca.left[0]).toBe(b.self?.id ?? ca.joined[0].id)
    a.close()
  })
})
