/**
 * The relay bench's load child: opens its share of the sockets (ours: HTTP join, then the PeerJS socket; peer: the
 * socket only), keeps them alive with heartbeats, signals room partners on command, and reports latencies and counts.
 * One method per command of the parent (runner.ts): prepare, open, count, signal, close.
 */
import { request, Agent as HttpAgent } from 'node:http'
import type { WebSocket as WS } from 'ws'
import { JOIN_CONCURRENCY, LXM, type Msg } from './config.js'
import { serviceJwt } from './did-hosts.js'

const send = (m: Msg) => process.send?.(m)

interface LoadSocket {
  ws: WS
  id: string
  partner: string
  open: boolean
  received: number
}

const OFFER_PAYLOAD = { sdp: 'v=0 o=- 0 0 IN IP4 127.0.0.1 s=- t=0 0 a=group:BUNDLE 0 m=application 9 UDP/DTLS/SCTP webrtc-datachannel', type: 'data', connectionId: 'dc_bench', label: 'dc_bench', serialization: 'binary', reliable: true }

class LoadProcess {
  private readonly kind = process.env.KIND as 'ours' | 'peer'
  private readonly port = Number(process.env.PORT)
  private readonly localAddress = process.env.LOCAL_ADDRESS!
  private readonly count = Number(process.env.COUNT)
  private readonly offset = Number(process.env.OFFSET)
  private readonly agent = new HttpAgent({ keepAlive: true, maxSockets: JOIN_CONCURRENCY, localAddress: this.localAddress } as ConstructorParameters<typeof HttpAgent>[0] & { localAddress: string })
  private readonly sockets: LoadSocket[] = new Array(this.count)
  private tokens: string[] = []
  private signalling = false
  private closedUnexpectedly = 0
  private stopHeartbeats = () => {}

  constructor(private readonly WebSocket: typeof WS) {}

  /** Mints one service-auth token per socket (jwt runs), spreading the sockets over the identities. */
  async prepare(dids: { did: string; keyHex: string }[] | undefined, aud: unknown): Promise<Msg> {
    if (dids) {
      const { P256Keypair } = await import('@atproto/crypto')
      const keys = await Promise.all(dids.map((d) => P256Keypair.import(d.keyHex)))
      const now = Math.floor(Date.now() / 1000)
      this.tokens = []
      for (let i = 0; i < this.count; i++) {
        const k = (this.offset + i) % dids.length
        this.tokens.push(await serviceJwt(keys[k], { iss: dids[k].did, aud, lxm: LXM, iat: now, exp: now + 600, jti: `${this.offset + i}-${Math.random().toString(36).slice(2)}` }))
      }
    }
    return { prepared: true }
  }

  /** Opens every socket, JOIN_CONCURRENCY at a time; pairs them with their room partners; starts heartbeats. */
  async open(): Promise<Msg> {
    const latencies: number[] = []
    let failed = 0
    const errors: string[] = []
    const t0 = Date.now()
    let next = 0
    await Promise.all(
      Array.from({ length: JOIN_CONCURRENCY }, async () => {
        while (next < this.count) {
          const i = next++
          try {
            latencies.push(await this.openOne(i))
          } catch (e) {
            failed++
            if (errors.length < 3) errors.push((e as Error).message.slice(0, 200))
          }
        }
      }),
    )
    const t1 = Date.now()
    const sockets = this.sockets
    for (let i = 0; i + 1 < this.count; i += 2) {
      if (sockets[i] && sockets[i + 1]) {
        sockets[i].partner = sockets[i + 1].id
        sockets[i + 1].partner = sockets[i].id
      }
    }
    this.stopHeartbeats = this.heartbeats()
    return { opened: latencies.length, failed, errors, latencies, t0, t1 }
  }

  countAlive(): Msg {
    return { alive: this.sockets.filter((s) => s?.open).length, closedUnexpectedly: this.closedUnexpectedly }
  }

  /** Every open socket sends OFFERs to its partner for `ms`, as fast as its socket drains. */
  async signal(ms: number): Promise<Msg> {
    for (const s of this.sockets) if (s) s.received = 0
    this.signalling = true
    let sent = 0
    const end = performance.now() + ms
    while (performance.now() < end) {
      for (const s of this.sockets) {
        if (s?.open && s.partner && s.ws.bufferedAmount < 16 * 1024) {
          s.ws.send(JSON.stringify({ type: 'OFFER', dst: s.partner, payload: OFFER_PAYLOAD }))
          sent++
        }
      }
      await new Promise((r) => setImmediate(r))
    }
    const received = this.sockets.reduce((n, s) => n + (s?.received ?? 0), 0)
    await new Promise((r) => setTimeout(r, 300))
    this.signalling = false
    return { sent, received }
  }

  close(): Msg {
    this.stopHeartbeats()
    for (const s of this.sockets) s?.ws.terminate()
    this.agent.destroy()
    setTimeout(() => process.exit(0), 50)
    return { closed: true }
  }

  private join(room: string, token: string | undefined): Promise<{ peerId: string; joinToken: string }> {
    return new Promise((resolve, reject) => {
      const headers = token ? { authorization: `Bearer ${token}` } : {}
      const req = request({ host: '127.0.0.1', port: this.port, method: 'POST', path: `/v1/rooms/${room}/join`, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { peerId: string; joinToken: string; error?: string }
          if (res.statusCode !== 200) reject(new Error(`${res.statusCode} ${body.error}`))
          else resolve(body)
        })
      })
      req.on('error', reject)
      req.end()
    })
  }

  /** Opens socket `i` (ours: joins first); resolves with the time to OPEN, ms. */
  private async openOne(i: number): Promise<number> {
    const g = this.offset + i
    const room = `r${g >> 1}`
    const t0 = performance.now()
    let id: string
    let token: string
    if (this.kind === 'ours') {
      // one retry on a reset: the keep-alive race (the server closed an idle pooled connection as we reused it)
      const j = await this.join(room, this.tokens[i]).catch((e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? this.join(room, this.tokens[i]) : Promise.reject(e)))
      id = j.peerId
      token = j.joinToken
    } else {
      id = `${g.toString(16).padStart(8, '0')}${Math.random().toString(16).slice(2, 14)}`
      token = Math.random().toString(36).slice(2)
    }
    const ws = new this.WebSocket(`ws://127.0.0.1:${this.port}/peerjs?key=peerjs&id=${id}&token=${token}`, { localAddress: this.localAddress, perMessageDeflate: false })
    const s: LoadSocket = { ws, id, partner: '', open: false, received: 0 }
    this.sockets[i] = s
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const text = data.toString()
        if (!s.open) {
          if (text.includes('"OPEN"')) {
            s.open = true
            resolve()
          } else if (text.includes('"ERROR"')) reject(new Error(text))
          return
        }
        if (this.signalling && text.startsWith('{"type":"OFFER"')) s.received++
      })
      ws.on('error', reject)
      ws.on('close', () => {
        if (s.open) this.closedUnexpectedly++
        s.open = false
        reject(new Error('closed before OPEN'))
      })
    })
    return performance.now() - t0
  }

  /** Every socket once per 5 s, spread in 50 slices of 100 ms (as the peerjs client would, unsynchronised). */
  private heartbeats(): () => void {
    let slice = 0
    const iv = setInterval(() => {
      for (let i = slice; i < this.count; i += 50) {
        const s = this.sockets[i]
        if (s?.open) s.ws.send('{"type":"HEARTBEAT"}')
      }
      slice = (slice + 1) % 50
    }, 100)
    return () => clearInterval(iv)
  }
}

export async function loadRole(): Promise<void> {
  const { WebSocket } = await import('ws')
  const load = new LoadProcess(WebSocket)
  process.on('message', async (m: Msg) => {
    if (m.cmd === 'prepare') send(await load.prepare(m.dids as { did: string; keyHex: string }[] | undefined, m.aud))
    else if (m.cmd === 'open') send(await load.open())
    else if (m.cmd === 'count') send(load.countAlive())
    else if (m.cmd === 'signal') send(await load.signal(Number(m.ms)))
    else if (m.cmd === 'close') send(load.close())
  })
  send({ ready: true })
}
