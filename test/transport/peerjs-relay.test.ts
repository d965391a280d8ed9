// The PeerJS transport in Node (node-datachannel) against our real relay on loopback: mesh from the roster,
// tickets verified into identities, rooms isolated, tampered tickets refused, relay restart survived,
// room switching, fragmentation of large reliable messages.
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest'
import { pino } from 'pino'
import { createRelay, generateRelayKeyHex, type Relay } from '../../src/relay/index.js'
import { peerJsTransport, type PeerJsTransport } from '../../src/transport/peerjs/peerjs-transport.js'
import { relayClient, type RelayClient } from '../../src/transport/peerjs/relay-client.js'
import type { JoinAnswer } from '../../src/signaling/contract.js'
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

async function startRelay(port = 0, keys: { signingKey?: string; previousKeys?: string[] } = { signingKey: key }): Promise<Relay> {
  const relay = createRelay({ port, auth: 'off', logger: quiet, iceServers: [], ...keys })
  await relay.listen()
  relays.push(relay)
  return relay
}

function transport(relay: Relay | string, overrides: Partial<RelayClient> = {}, opts: { peerTimeout?: number; reconnectMaxDelay?: number } = {}) {
  const url = typeof relay === 'string' ? relay : relay.url
  // A short connect timeout: Node's WebRTC (libjuice) now and then fails ICE on a loaded machine, and the
  // transport re-dials failed links; tests wait for the healed mesh.
  const t = peerJsTransport({ relay: { ...relayClient(url), ...overrides }, Peer: loadNodePeer(), iceServers: [], reconnectDelay: 100, connectTimeout: 3_000, heartbeatInterval: 500, ...opts })
  const log = { joined: [] as PeerIdentity[], left: [] as string[], unreachable: [] as string[], status: [] as string[], got: [] as string[], errors: [] as string[] }
  t.on('error', (e) => log.errors.push(`${e.code}: ${e.message}`))
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

  it('a relay that is down at start: join retries with the rejoin backoff, names the URL, and joins once it is up', async () => {
    const probe = await startRelay()
    const port = probe.address.port
    await probe.close()
    relays.splice(relays.indexOf(probe), 1)
    const a = transport(`http://127.0.0.1:${port}/`, {}, { reconnectMaxDelay: 400 })
    const joined = a.t.join('late')
    await until(() => a.log.errors.length >= 2, 10_000, 'two failed attempts')
    expect(a.log.errors[0]).toMatch(new RegExp(`^RELAY_UNREACHABLE: cannot reach the relay at http://127.0.0.1:${port}/v1/rooms/late/join`))
    expect(a.t.status).toBe('joining')
    const relay = await startRelay(port)
    await joined
    expect(a.t.status).toBe('joined')
    expect(a.log.status.filter((s) => s !== 'joining')).toEqual(['joined'])
    const b = transport(relay)
    await b.t.join('late')
    await until(() => a.log.joined.length === 1 && b.log.joined.length === 1, 20_000, 'a and b linked')
    // A refusal is not retried: the join rejects and the transport has left, saying why.
    const strict = createRelay({ auth: 'required', logger: quiet, iceServers: [] })
    await strict.listen()
    relays.push(strict)
    const c = transport(strict)
    await expect(c.t.join('late')).rejects.toMatchObject({ code: 'AUTH_MISSING' })
    expect(c.t.status).toBe('left')
  })

  it('refusals are classed the same on a rejoin: a relay back with auth required ends it (left, with the code); a relay down is retried', async () => {
    const relay = await startRelay()
    const port = relay.address.port
    const a = transport(relay, {}, { reconnectMaxDelay: 200 })
    await a.t.join('strict')
    const details: string[] = []
    a.t.on('status', (st, detail) => details.push(`${st}${detail ? ` ${detail}` : ''}`))
    await relay.close()
    relays.splice(relays.indexOf(relay), 1)
    // Down: transient, retried with backoff.
    await until(() => a.log.errors.filter((e) => e.startsWith('RELAY_UNREACHABLE')).length >= 2, 10_000, 'retries while down')
    expect(a.t.status).toBe('reconnecting')
    // Back, but now it wants a token we do not have: final.
    const strict = createRelay({ port, auth: 'required', logger: quiet, iceServers: [], signingKey: key })
    await strict.listen()
    relays.push(strict)
    await until(() => a.t.status === 'left', 10_000, 'left after the refusal')
    expect(details.at(-1)).toMatch(/^left AUTH_MISSING: /)
    const errors = a.log.errors.length
    await new Promise((r) => setTimeout(r, 1_000))
    expect(a.log.errors.length).toBe(errors) // no more attempts, no token minted again
  })

  it('admission order: every peer sees the same admittedAt for each peer (the relay\'s clock, in the ticket), kept through a restart', async () => {
    const relay = await startRelay()
    const port = relay.address.port
    const [a, b, c] = [transport(relay), transport(relay), transport(relay)]
    for (const x of [a, b, c]) await x.t.join('order')
    await until(() => [a, b, c].every((x) => x.t.peers.size === 2), 20_000, 'mesh of 3')
    const selfs = [a, b, c].map((x) => x.t.self!)
    expect(selfs[0].admittedAt).toBeLessThan(selfs[1].admittedAt)
    expect(selfs[1].admittedAt).toBeLessThan(selfs[2].admittedAt)
    for (const x of [a, b, c]) for (const p of x.t.peers.values()) expect(p.admittedAt).toBe(selfs.find((s) => s.id === p.id)!.admittedAt)
    expect([...c.t.roster.values()].map((r) => r.admittedAt).sort()).toEqual([selfs[0].admittedAt, selfs[1].admittedAt].sort())
    await relay.close()
    relays.splice(relays.indexOf(relay), 1)
    await startRelay(port)
    await until(() => [a, b, c].every((x) => x.log.status.at(-1) === 'joined'), 15_000, 'rejoined')
    expect([a, b, c].map((x) => x.t.self!)).toEqual(selfs)
  })

  it('the relay says a peer left while its link is alive (its relay socket dropped): the link is probed and kept', async () => {
    const relay = await startRelay()
    const answers: JoinAnswer[] = []
    const a = transport(relay)
    const b = transport(relay, { join: async (room, resume) => { const j = await relayClient(relay.url).join(room, resume); answers.push(j); return j } })
    await a.t.join('blip')
    await b.t.join('blip')
    await until(() => a.t.peers.size === 1 && b.t.peers.size === 1, 20_000, 'linked')
    // Someone holding b's resume token takes its id: the relay closes b's socket and tells a that b left.
    const last = answers.at(-1)!
    const res = await fetch(`${relay.url}v1/rooms/blip/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resume: { peerId: last.peerId, token: last.resumeToken } }) })
    expect(res.status).toBe(200)
    await until(() => b.log.status.includes('reconnecting'), 5_000, 'b lost its relay socket')
    await new Promise((r) => setTimeout(r, 1_500)) // more than the heartbeat interval (500 ms here)
    expect(a.log.left).toEqual([])
    expect(a.t.peers.has(b.t.self!.id)).toBe(true)
  })

  it('a relay restarted with a rotated key: ids kept (the old key honours resumes), the newcomer\'s ticket verified with the new key', async () => {
    const relay = await startRelay(0, { signingKey: key })
    const port = relay.address.port
    const a = transport(relay)
    const b = transport(relay)
    await a.t.join('rot')
    await b.t.join('rot')
    await until(() => a.t.peers.size === 1 && b.t.peers.size === 1, 20_000, 'linked')
    const ids = [a.t.self!.id, b.t.self!.id]
    const oldKey = relay.signingKeyInfo.did
    await relay.close()
    relays.splice(relays.indexOf(relay), 1)
    const restarted = await startRelay(port, { signingKey: await generateRelayKeyHex(), previousKeys: [oldKey] })
    await until(() => a.log.status.at(-1) === 'joined' && b.log.status.at(-1) === 'joined', 15_000, 'rejoined')
    expect([a.t.self!.id, b.t.self!.id]).toEqual(ids)
    const c = transport(restarted)
    await c.t.join('rot')
    await until(() => c.t.peers.size === 2 && a.t.peers.size === 2 && b.t.peers.size === 2, 20_000, 'newcomer meets both')
    expect(a.log.left).toEqual([])
  })

  it('a relay restarted with a key it never had: resumes are refused, each peer rejoins as a new one, old links end (no twin links)', async () => {
    const relay = await startRelay()
    const port = relay.address.port
    const a = transport(relay)
    const b = transport(relay)
    await a.t.join('lost')
    await b.t.join('lost')
    await until(() => a.t.peers.size === 1 && b.t.peers.size === 1, 20_000, 'linked')
    const old = [a.t.self!.id, b.t.self!.id]
    await relay.close()
    relays.splice(relays.indexOf(relay), 1)
    await startRelay(port, { signingKey: await generateRelayKeyHex() })
    await until(() => a.t.self!.id !== old[0] && b.t.self!.id !== old[1], 15_000, 'new ids')
    await until(() => a.t.peers.size === 1 && a.t.peers.has(b.t.self!.id) && b.t.peers.has(a.t.self!.id), 20_000, 'relinked under the new ids')
    expect(a.log.errors.some((e) => e.startsWith(`PEER_ID_CHANGED: the relay did not resume peer id ${old[0]}`))).toBe(true)
    expect(a.log.left).toContain(old[1])
    expect([...a.t.peers.keys()]).toEqual([b.t.self!.id])
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

describe('isTransientJoinError', () => {
  it('classes each join failure as worth a retry or final', async () => {
    const { isTransientJoinError } = await import('../../src/auth/transient.js')
    const { JoinError, MultiuserAuthError } = await import('../../src/shared/errors.js')
    const err = (code: string, cause?: unknown) => new JoinError(code as never, code, undefined, { cause })
    for (const code of ['RELAY_UNREACHABLE', 'RELAY_BUSY', 'RELAY_FULL', 'AUTH_TIMEOUT', 'AUTH_EXPIRED', 'AUTH_REPLAYED', 'AUTH_DID_UNAVAILABLE']) expect(isTransientJoinError(err(code)), code).toBe(true)
    for (const code of ['AUTH_MISSING', 'AUTH_AUD_MISMATCH', 'AUTH_BAD_SIGNATURE', 'AUTH_LXM_MISMATCH', 'ROOM_FULL', 'ROOM_INVALID']) expect(isTransientJoinError(err(code)), code).toBe(false)
    // The token source: the PDS refused (a MultiuserAuthError of its own) is final; it could not be reached is not.
    expect(isTransientJoinError(err('TOKEN_SOURCE_FAILED', new MultiuserAuthError('TOKEN_SOURCE_FAILED', 'Missing required scope')))).toBe(false)
    expect(isTransientJoinError(err('TOKEN_SOURCE_FAILED', new TypeError('Failed to fetch')))).toBe(true)
  })
})
