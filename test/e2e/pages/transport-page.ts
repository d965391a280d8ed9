// Test page: drives the PeerJS transport (and a raw RTCPeerConnection baseline) from Playwright via window.__t.
import { peerJsTransport, type PeerJsTransport, type PeerJsTransportOptions } from '../../../src/transport/peerjs/peerjs-transport.js'
import { relayClient } from '../../../src/transport/peerjs/relay-client.js'
import { staticTokenSource } from '../../../src/auth/token-source.js'
import type { Channel } from '../../../src/transport/transport.js'
import type { JoinAnswer } from '../../../src/signaling/contract.js'
import { generateDtlsCertificate } from '../../../src/transport/peerjs/dtls-certificate.js'

const ECHO_REQ = 0xec
const ECHO_RES = 0xed
const log = { errors: [] as string[], joined: [] as { id: string; did: string | null; fingerprint?: string | null }[], left: [] as { id: string; reason: string; at: number }[], unreachable: [] as string[], unreachableWhy: [] as string[], messages: [] as { from: string; channel: Channel; data: number[] }[], status: [] as string[] }
let t: PeerJsTransport | null = null
const waiters = new Map<number, (at: number) => void>()

function rttLoop(send: (data: Uint8Array) => void, count: number, timeoutMs: number): Promise<number[]> {
  return (async () => {
    const out: number[] = []
    for (let i = 0; i < count; i++) {
      const data = new Uint8Array(64)
      data[0] = ECHO_REQ
      new DataView(data.buffer).setUint32(1, i)
      const start = performance.now()
      const got = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => (waiters.delete(i), resolve(null)), timeoutMs)
        waiters.set(i, (at) => (clearTimeout(timer), resolve(at)))
        send(data)
      })
      if (got !== null) out.push(got - start)
    }
    return out
  })()
}

function onEcho(data: Uint8Array, reply: (d: Uint8Array) => void): boolean {
  if (data[0] === ECHO_REQ) {
    const r = data.slice()
    r[0] = ECHO_RES
    reply(r)
    return true
  }
  if (data[0] === ECHO_RES) {
    const at = performance.now()
    waiters.get(new DataView(data.buffer, data.byteOffset).getUint32(1))?.(at)
    return true
  }
  return false
}

// Raw baseline: one RTCPeerConnection per page pair, signalled by the test runner, with the same two channels.
let pc: RTCPeerConnection | null = null
const raw: { reliable?: RTCDataChannel; unreliable?: RTCDataChannel } = {}
function rawChannels(p: RTCPeerConnection): void {
  raw.reliable = p.createDataChannel('r', { negotiated: true, id: 3, ordered: true })
  raw.unreliable = p.createDataChannel('u', { negotiated: true, id: 4, ordered: false, maxRetransmits: 0 })
  for (const dc of [raw.reliable, raw.unreliable]) {
    dc.binaryType = 'arraybuffer'
    dc.onmessage = (e) => onEcho(new Uint8Array(e.data as ArrayBuffer), (d) => dc.send(d as Uint8Array<ArrayBuffer>))
  }
}
async function gathered(p: RTCPeerConnection): Promise<RTCSessionDescriptionInit> {
  if (p.iceGatheringState !== 'complete') {
    await new Promise<void>((r) => p.addEventListener('icegatheringstatechange', () => p.iceGatheringState === 'complete' && r()))
  }
  return p.localDescription!.toJSON()
}

// Every RTCPeerConnection the page makes (PeerJS's included), to read which candidates its links use.
const connections: RTCPeerConnection[] = []
const NativePeerConnection = window.RTCPeerConnection
window.RTCPeerConnection = class extends NativePeerConnection {
  constructor(config?: RTCConfiguration) {
    super(config)
    connections.push(this)
  }
} as typeof RTCPeerConnection

/** The local and remote candidate types of each connected link's selected pair, e.g. ['relay', 'relay']. */
async function selectedCandidates(): Promise<string[][]> {
  const out: string[][] = []
  for (const pc of connections) {
    if (pc.connectionState !== 'connected') continue
    const stats = await pc.getStats()
    for (const r of stats.values()) {
      if (r.type !== 'candidate-pair' || r.state !== 'succeeded' || !r.nominated) continue
      out.push([stats.get(r.localCandidateId)?.candidateType, stats.get(r.remoteCandidateId)?.candidateType])
    }
  }
  return out
}

const api = {
  selectedCandidates,
  /** `answer`: join with this join answer instead of asking the relay (a stolen one, in the DTLS binding test). */
  async join(relayUrl: string, room: string, opts: Partial<Omit<PeerJsTransportOptions, 'relay'>> & { token?: string; answer?: JoinAnswer } = {}) {
    const { token, answer, ...rest } = opts
    const client = relayClient(relayUrl, token ? { token: staticTokenSource(token) } : {})
    t = peerJsTransport({ relay: answer ? { ...client, join: async () => answer } : client, ...rest })
    t.on('peerJoined', (p) => log.joined.push({ id: p.id, did: p.did, fingerprint: p.fingerprint ?? null }))
    t.on('peerLeft', (id, reason) => log.left.push({ id, reason, at: Date.now() }))
    t.on('peerUnreachable', (id, why) => (log.unreachable.push(id), log.unreachableWhy.push(`${id}: ${why}`)))
    t.on('status', (s) => log.status.push(s))
    t.on('error', (e) => log.errors.push(`${e.code}: ${e.message}`))
    t.on('message', (from, channel, data) => {
      if (onEcho(data, (d) => t!.send(from, channel, d))) return
      log.messages.push({ from, channel, data: [...data.subarray(0, 8)] })
    })
    await t.join(room)
    return t.self
  },
  self: () => t?.self ?? null,
  /** The fingerprint of a fresh DTLS certificate of this browser (the transport makes one like it before joining). */
  fingerprint: async () => (await generateDtlsCertificate())?.fingerprint ?? null,
  peers: () => [...(t?.peers.values() ?? [])],
  linkInfo: (id: string) => t?.linkInfo(id) ?? null,
  send: (to: string, channel: Channel, bytes: number[]) => t!.send(to, channel, new Uint8Array(bytes)),
  log: () => log,
  /** Sends `count` messages of `size` bytes at once, each starting with [9, seq hi, seq lo]. */
  burst(to: string, channel: Channel, count: number, size: number) {
    for (let i = 0; i < count; i++) {
      const m = new Uint8Array(size)
      m[0] = 9
      m[1] = i >> 8
      m[2] = i & 0xff
      t!.send(to, channel, m)
    }
  },
  rtt: (to: string, channel: Channel, count: number) => rttLoop((d) => t!.send(to, channel, d), count, 1000),
  leave: () => t?.leave(),
  close: () => t?.close(),
  // Raw baseline (offer side / answer side), signalled by the test through page.evaluate.
  async rawOffer() {
    pc = new RTCPeerConnection({ iceServers: [] })
    rawChannels(pc)
    await pc.setLocalDescription(await pc.createOffer())
    return gathered(pc)
  },
  async rawAnswer(offer: RTCSessionDescriptionInit) {
    pc = new RTCPeerConnection({ iceServers: [] })
    rawChannels(pc)
    await pc.setRemoteDescription(offer)
    await pc.setLocalDescription(await pc.createAnswer())
    return gathered(pc)
  },
  async rawAccept(answer: RTCSessionDescriptionInit) {
    await pc!.setRemoteDescription(answer)
    await new Promise<void>((r) => (raw.unreliable!.readyState === 'open' ? r() : raw.unreliable!.addEventListener('open', () => r())))
  },
  rawRtt: (channel: Channel, count: number) => rttLoop((d) => raw[channel]!.send(d as Uint8Array<ArrayBuffer>), count, 1000),
}
;(window as unknown as { __t: typeof api }).__t = api
