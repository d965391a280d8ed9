/** Shared by the lobby tests: relays, did:web identities minting tokens for the join or the lobby method, raw lobby calls. */
import { P256Keypair, type Keypair } from '@atproto/crypto'
import { base64UrlEncode, jsonToBase64Url } from '../../src/signaling/jwt-parts.js'
import { DEFAULT_LOBBY_LXM, DEFAULT_LXM } from '../../src/signaling/contract.js'
import type { TokenSource } from '../../src/auth/token-source.js'
import { createRelay, type Relay, type RelayOptions } from '../../src/relay/index.js'
import { startDidWebHost, type DidWebHost } from './didweb-server.js'
import { memoryLogger } from './helpers.js'

export const logs = memoryLogger()
const relays: Relay[] = []
const hosts: DidWebHost[] = []
let redisUrl: string | undefined
let prefixes = 0

/** Runs the lobby tests of this file against relays on this Redis (each relay with a key prefix of its own). */
export function useRedis(url: string): void {
  redisUrl = url
}

/** A relay for one test: anonymous allowed, did:web on loopback, handles not verified, fast lobby ticks, a lobby rate no test hits (the attack tests set theirs). */
export async function startLobbyRelay(opts: RelayOptions = {}): Promise<Relay> {
  const shared = redisUrl ? { redis: redisUrl, redisKeyPrefix: `lobby-${++prefixes}-${process.pid}:` } : {}
  const r = createRelay({ auth: 'optional', iceServers: [], logger: logs.logger, allowPrivateDidHosts: true, verifyHandles: false, plcUrl: 'http://127.0.0.1:1', matchTickMs: 20, lobbyRateBurst: 100_000, ...shared, ...opts })
  await r.listen()
  relays.push(r)
  return r
}

export async function closeAll(): Promise<void> {
  await Promise.all(relays.splice(0).map((r) => r.close()))
  await Promise.all(hosts.splice(0).map((h) => h.close()))
}

export interface Identity {
  did: string
  /** A fresh ES256 service-auth token for `relay`, scoped to `lxm` (default: the join method). */
  mint(relay: Relay, lxm?: string): Promise<string>
  /** A token source for the relay client: the lobby method when asked for it, else the join method. */
  source(relay: Relay): TokenSource
}

export async function identity(): Promise<Identity> {
  const key: Keypair = await P256Keypair.create()
  const host = await startDidWebHost(key)
  hosts.push(host)
  const mint = async (relay: Relay, lxm = DEFAULT_LXM) => {
    const now = Math.floor(Date.now() / 1000)
    const head = jsonToBase64Url({ typ: 'JWT', alg: key.jwtAlg })
    const body = jsonToBase64Url({ iss: host.did, aud: relay.did, lxm, iat: now, exp: now + 60, jti: Math.random().toString(16).slice(2) })
    const sig = await key.sign(new TextEncoder().encode(`${head}.${body}`))
    return `${head}.${body}.${base64UrlEncode(sig)}`
  }
  return { did: host.did, mint, source: (relay) => (request) => mint(relay, request?.lxm ?? DEFAULT_LXM) }
}

export const lobbyToken = (id: Identity, relay: Relay) => id.mint(relay, DEFAULT_LOBBY_LXM)

export interface LobbyResponse {
  status: number
  body: Record<string, unknown>
  headers: Headers
}

/** A raw lobby request (what an attacker sends). */
export async function lobbyCall(relay: Relay, method: 'GET' | 'POST', path: string, opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<LobbyResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${relay.url}${path}`, { method, headers, body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) })
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    body = { text }
  }
  return { status: res.status, body, headers: res.headers }
}

/** A raw matchmaking stream: its events as they come, and `close()` (which cancels the wait). */
export async function rawStream(relay: Relay, body: unknown, headers: Record<string, string> = {}) {
  const ac = new AbortController()
  const res = await fetch(`${relay.url}v1/matchmaking`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: ac.signal })
  const events: { event: string; data: Record<string, unknown> }[] = []
  let ended = false
  if (res.ok && res.body) {
    void (async () => {
      let buf = ''
      try {
        for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
          buf += chunk
          let i: number
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i)
            buf = buf.slice(i + 2)
            const ev = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (ev && data) events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> })
          }
        }
      } catch {
        /* aborted */
      }
      ended = true
    })()
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: res.ok ? undefined : ((await res.json()) as Record<string, unknown>),
    events,
    get ended() {
      return ended
    },
    close: () => ac.abort(),
  }
}

/** A counter or gauge of the relay's own registry. */
export const gauge = (relay: Relay, name: string, labels: Record<string, string> = {}) => relay.metrics.value(name, labels)
