/**
 * The two denial-of-service attacks on the JWT gate (issue 22), as reusable pieces for the attack tests
 * (gate-dos.test.ts) and the figures script (measure-gate-attacks.ts): raw HTTP joins from a chosen loopback source
 * address (127.0.0.0/8 is all loopback on Linux, so each player and each attacker can have an address of its own),
 * attacker lanes that keep a bounded number of joins in flight, and honest players timed while the attack runs.
 */
import { request } from 'node:http'
import { P256Keypair, type Keypair } from '@atproto/crypto'
import { base64UrlEncode, jsonToBase64Url } from '../../src/signaling/jwt-parts.js'
import type { Relay } from '../../src/relay/index.js'
import type { JoinResponse } from './helpers.js'

export const LXM = 'dev.bitecs.multiuser.join'

/** A service-auth token for `iss` signed by `key` (pass another key than the issuer's for a garbage signature). */
export async function mintToken(key: Keypair, iss: string, relay: Relay, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const payload: Record<string, unknown> = { iss, aud: relay.did, lxm: LXM, iat: now, exp: now + 60, jti: Math.random().toString(16).slice(2), ...claims }
  for (const k of Object.keys(payload)) if (payload[k] === null) delete payload[k]
  const head = jsonToBase64Url({ typ: 'JWT', alg: key.jwtAlg })
  const body = jsonToBase64Url(payload)
  const sig = await key.sign(new TextEncoder().encode(`${head}.${body}`))
  return `${head}.${body}.${base64UrlEncode(sig)}`
}

export interface TimedJoin extends JoinResponse {
  ms: number
}

/** `POST /v1/rooms/:room/join` on a connection of its own from source address `from`, timed. */
export function rawJoin(relay: Relay, room: string, opts: { token?: string; from?: string; authorization?: string | string[] } = {}): Promise<TimedJoin> {
  const t0 = performance.now()
  const headers: Record<string, string | string[]> = {}
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.authorization) headers.authorization = opts.authorization
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: relay.address.port, localAddress: opts.from, method: 'POST', path: `/v1/rooms/${encodeURIComponent(room)}/join`, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          let body: Record<string, unknown>
          try {
            body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>
          } catch {
            body = { raw: Buffer.concat(chunks).toString() }
          }
          resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** An honest player: a label for the figures, its source address, and a fresh valid token per join. */
export interface Player {
  kind: string
  from: string
  token(): Promise<string>
}

/** Every player joins once, all at the same time (each from its own address); the answers in player order. */
export async function honestWave(relay: Relay, players: Player[], room = 'honest'): Promise<TimedJoin[]> {
  const tokens = await Promise.all(players.map((p) => p.token()))
  return Promise.all(players.map((p, i) => rawJoin(relay, `${room}-${i % 8}`, { token: tokens[i], from: p.from })))
}

export interface Lanes {
  /** Stops sending, waits for the joins in flight; every answer the attack got. */
  stop(): Promise<TimedJoin[]>
  sent(): number
}

/**
 * `lanes` attackers, lane i from `from(i)` with `token(i)`: each keeps one join in flight, sends the next one when
 * the answer comes but at most one per `periodMs`, and the whole attack sends at most `maxRequests`.
 */
export function attack(relay: Relay, opts: { lanes: number; from(i: number): string; token(i: number): Promise<string>; periodMs: number; maxRequests: number }): Lanes {
  let stopped = false
  let sent = 0
  const answers: TimedJoin[] = []
  const lane = async (i: number) => {
    while (!stopped && sent < opts.maxRequests) {
      sent++
      const t0 = performance.now()
      answers.push(await rawJoin(relay, 'attack', { token: await opts.token(i), from: opts.from(i) }).catch((err: Error) => ({ status: 0, body: { error: err.message }, ms: 0 })))
      const wait = opts.periodMs - (performance.now() - t0)
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait))
    }
  }
  const running = Array.from({ length: opts.lanes }, (_, i) => lane(i))
  return {
    sent: () => sent,
    async stop() {
      stopped = true
      await Promise.all(running)
      return answers
    },
  }
}

/**
 * A garbage-signature token factory: valid claims for `did`, signed by a key that is not the issuer's. One token per
 * DID is enough (it never reaches the replay check), so the attacker's side costs no CPU during the attack.
 */
export async function garbageTokens(relay: Relay): Promise<(did: string) => Promise<string>> {
  const wrong = await P256Keypair.create()
  const minted = new Map<string, Promise<string>>()
  return (did) => {
    let t = minted.get(did)
    if (!t) minted.set(did, (t = mintToken(wrong, did, relay)))
    return t
  }
}

/** Admitted / attempted and the p99 latency of a set of honest joins. */
export function summary(joins: TimedJoin[]): { admitted: number; attempted: number; p99ms: number; codes: Record<string, number> } {
  const ms = joins.map((j) => j.ms).sort((a, b) => a - b)
  const codes: Record<string, number> = {}
  for (const j of joins) {
    const c = j.status === 200 ? 'admitted' : String(j.body.error)
    codes[c] = (codes[c] ?? 0) + 1
  }
  return {
    admitted: joins.filter((j) => j.status === 200).length,
    attempted: joins.length,
    p99ms: ms.length ? Math.round(ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.99) - 1)]) : 0,
    codes,
  }
}
