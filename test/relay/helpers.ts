/** Shared helpers of the relay tests: raw HTTP joins, raw PeerJS sockets, state snapshots. */
import { Writable } from 'node:stream'
import { expect } from 'vitest'
import WebSocket from 'ws'
import { pino, type Logger } from 'pino'
import type { JoinResult } from '../../src/signaling/contract.js'
import type { Relay, RelayStats } from '../../src/relay/index.js'

export interface JoinResponse {
  status: number
  body: Record<string, unknown>
}

export async function postJoin(
  relayUrl: string,
  room: string,
  opts: { token?: string; query?: string; body?: unknown; authorization?: string } = {},
): Promise<JoinResponse> {
  const headers: Record<string, string> = {}
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.authorization) headers.authorization = opts.authorization
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${relayUrl}v1/rooms/${encodeURIComponent(room)}/join${opts.query ?? ''}`, {
    method: 'POST',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

export function asJoin(r: JoinResponse): JoinResult {
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  return r.body as unknown as JoinResult
}

export interface ServerMessage {
  type: string
  src?: string
  dst?: string
  payload?: Record<string, unknown> & { msg?: string; code?: string }
}

/** A raw PeerJS socket (what an attacker or the stock client opens). */
export class RawPeer {
  readonly messages: ServerMessage[] = []
  readonly ws: WebSocket
  readonly opened: Promise<void>
  readonly closed: Promise<{ code: number; reason: string }>
  private waiters: Array<() => void> = []

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options)
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    this.ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage)
      for (const w of this.waiters.splice(0)) w()
    })
    this.ws.on('error', () => {})
  }

  static forJoin(j: Pick<JoinResult, 'peerId' | 'joinToken' | 'peerjs'>, over: { id?: string; token?: string; key?: string } = {}, options: WebSocket.ClientOptions = {}): RawPeer {
    const { host, port, path, key } = j.peerjs
    const q = new URLSearchParams({ key: over.key ?? key, id: over.id ?? j.peerId, token: over.token ?? j.joinToken })
    return new RawPeer(`ws://${host === 'localhost' ? '127.0.0.1' : host}:${port}${path}peerjs?${q}`, options)
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg))
  }

  /** Resolves with the first message (already received or future) matching `pred`. */
  async next(pred: (m: ServerMessage) => boolean, timeoutMs = 3000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.messages.find(pred)
      if (found) return found
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching message; got ${JSON.stringify(this.messages)}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  ofType(type: string): ServerMessage[] {
    return this.messages.filter((m) => m.type === type)
  }

  close(): void {
    this.ws.close()
  }
}

/** Waits until `fn` returns true (polling), or fails. */
export async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Asserts a refusal: exact code and status, the refusal counted, and relay state exactly as before. */
export async function expectRefused(relay: Relay, before: RelayStats, r: JoinResponse, code: string, status?: number): Promise<void> {
  expect(r.body.error, JSON.stringify(r.body)).toBe(code)
  expect(typeof r.body.message).toBe('string')
  if (status !== undefined) expect(r.status).toBe(status)
  expect(relay.stats()).toEqual(before)
  expect(await relay.metrics.value('bitecs_relay_refusals_total', { code })).toBeGreaterThan(0)
}

/** A pino logger writing into memory, to assert on what the relay logs. */
export function memoryLogger(): { logger: Logger; text(): string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString())
      cb()
    },
  })
  return { logger: pino({ level: 'debug' }, stream), text: () => chunks.join('') }
}

/**
 * Runs a join that must be refused with `code`: asserts the code (and status), that exactly one refusal with that
 * code was counted, and that the relay's state (sockets, rooms, slots, pending admissions) did not change.
 */
export async function refused(relay: Relay, code: string, doJoin: () => Promise<JoinResponse>, status?: number): Promise<JoinResponse> {
  const before = relay.stats()
  const count = await relay.metrics.value('bitecs_relay_refusals_total', { code })
  const r = await doJoin()
  expect(r.body.error, JSON.stringify(r.body)).toBe(code)
  expect(typeof r.body.message).toBe('string')
  if (status !== undefined) expect(r.status).toBe(status)
  expect(relay.stats()).toEqual(before)
  expect(await relay.metrics.value('bitecs_relay_refusals_total', { code })).toBe(count + 1)
  return r
}

/**
 * The honest pair every attack test runs next to its attack: two peers join `room` (anonymously, or with the tokens
 * from `token`), open their PeerJS sockets, and A's OFFER reaches B and B's ANSWER reaches A through the relay, with
 * `src` set by the relay. Both leave afterwards.
 */
export async function honestPair(relay: Relay, room: string, token?: () => Promise<string>): Promise<void> {
  const join = async () => asJoin(await postJoin(relay.url, room, token ? { token: await token() } : {}))
  const ja = await join()
  const a = RawPeer.forJoin(ja)
  await a.next((m) => m.type === 'OPEN')
  const jb = await join()
  const b = RawPeer.forJoin(jb)
  await b.next((m) => m.type === 'ROSTER')
  await a.next((m) => m.type === 'PEER-JOINED')
  a.send({ type: 'OFFER', dst: jb.peerId, payload: { sdp: 'honest-offer', type: 'data', connectionId: 'dc_honest' } })
  expect(await b.next((m) => m.type === 'OFFER')).toEqual({ type: 'OFFER', src: ja.peerId, dst: jb.peerId, payload: { sdp: 'honest-offer', type: 'data', connectionId: 'dc_honest' } })
  b.send({ type: 'ANSWER', dst: ja.peerId, payload: { sdp: 'honest-answer', type: 'data', connectionId: 'dc_honest' } })
  expect((await a.next((m) => m.type === 'ANSWER')).src).toBe(jb.peerId)
  a.close()
  b.close()
  await Promise.all([a.closed, b.closed])
}

/** Waits until the relay holds nothing: no socket, slot, room slot, pending admission or verification. */
export async function expectNoLeaks(relay: Relay, timeoutMs = 3000): Promise<void> {
  const empty = { sockets: 0, rooms: 0, slotsInUse: 0, roomSlotsInUse: 0, pendingJoins: 0, handshakesInFlight: 0 }
  await until(() => JSON.stringify(relay.stats()) === JSON.stringify(empty), timeoutMs).catch(() => {})
  expect(relay.stats()).toEqual(empty)
}

/** A counter's current value in the relay's own prom-client registry. */
export const metric = (relay: Relay, name: string, labels: Record<string, string> = {}) => relay.metrics.value(name, labels)
