/**
 * Issue 22, the ATProto service-auth and cryptography checks the JWT gate skipped, and the cheap checks that must
 * come before any DID document fetch. Each attack is performed on loopback with raw HTTP (a connection of its own,
 * or a raw socket), asserts the exact refusal (status, code, the counter in the relay's registry, relay state
 * unchanged) and, where it matters, that the issuer's DID host was never asked; an honest pair signals through the
 * relay in the same test, and no slot leaks.
 */
import { connect } from 'node:net'
import { P256Keypair, Secp256k1Keypair, type Keypair } from '@atproto/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { base64UrlDecode, base64UrlEncode, jsonToBase64Url } from '../../src/signaling/jwt-parts.js'
import { createRelay, type Relay, type RelayOptions } from '../../src/relay/index.js'
import { startDidWebHost, type DidWebHost } from './didweb-server.js'
import { mintToken, rawJoin } from './gate-attacks.js'
import { asJoin, expectNoLeaks, honestPair, memoryLogger, metric, RawPeer, refused, type JoinResponse } from './helpers.js'

const logs = memoryLogger()
const started: Relay[] = []
const hosts: DidWebHost[] = []
let relay: Relay

async function startRelay(opts: RelayOptions = {}): Promise<Relay> {
  const r = createRelay({ auth: 'optional', iceServers: [], logger: logs.logger, allowPrivateDidHosts: true, verifyHandles: false, plcUrl: 'http://127.0.0.1:1', ...opts })
  await r.listen()
  started.push(r)
  return r
}

/** A did:web of our own (never resolved yet) with `key` as its `#atproto` key. */
async function identity(key?: Keypair): Promise<{ host: DidWebHost; key: Keypair }> {
  const k = key ?? (await P256Keypair.create())
  const host = await startDidWebHost(k)
  hosts.push(host)
  return { host, key: k }
}

const join = (r: Relay, token: string) => () => rawJoin(r, 'spec', { token })

/** Asserts an admission and uses it (the socket opens, then leaves), so nothing stays pending. */
async function admitted(res: JoinResponse | Promise<JoinResponse>): Promise<void> {
  const p = RawPeer.forJoin(asJoin(await res))
  await p.next((m) => m.type === 'OPEN')
  p.close()
  await p.closed
}

beforeAll(async () => {
  relay = await startRelay()
})
afterAll(async () => {
  await Promise.all(started.map((r) => r.close()))
  await Promise.all(hosts.map((h) => h.close()))
})

const ORDER = { ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n, ES256K: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n }

/** The same token with its signature's `s` replaced by `n - s`: still a valid ECDSA signature, but high-S. */
function highS(token: string, alg: keyof typeof ORDER): string {
  const [h, p, sig] = token.split('.')
  const bytes = base64UrlDecode(sig)
  const s = BigInt(`0x${Buffer.from(bytes.subarray(32)).toString('hex')}`)
  const flipped = Buffer.from((ORDER[alg] - s).toString(16).padStart(64, '0'), 'hex')
  return `${h}.${p}.${base64UrlEncode(new Uint8Array([...bytes.subarray(0, 32), ...flipped]))}`
}

/** A token signed by `key` with exactly the header and payload given (no defaults). */
async function signed(key: Keypair, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const head = jsonToBase64Url(header)
  const body = jsonToBase64Url(payload)
  const sig = await key.sign(new TextEncoder().encode(`${head}.${body}`))
  return `${head}.${body}.${base64UrlEncode(sig)}`
}

describe('cryptography', () => {
  it.each([
    ['ES256', () => P256Keypair.create()],
    ['ES256K', () => Secp256k1Keypair.create()],
  ] as const)('%s: a high-S signature is refused with AUTH_BAD_SIGNATURE before any key fetch, and never forces a refresh; its low-S twin is admitted', async (alg, make) => {
    const { host, key } = await identity(await make())
    const low = await mintToken(key, host.did, relay)
    await refused(relay, 'AUTH_BAD_SIGNATURE', join(relay, highS(await mintToken(key, host.did, relay), alg)), 401)
    expect(host.fetches).toBe(0)
    await admitted(rawJoin(relay, 'spec', { token: low }))
    expect(host.fetches).toBe(1)
    await refused(relay, 'AUTH_BAD_SIGNATURE', join(relay, highS(await mintToken(key, host.did, relay), alg)), 401)
    expect(host.fetches).toBe(1) // key cached: no refresh for a signature no key can make valid
    await honestPair(relay, 'crypto-honest')
    await expectNoLeaks(relay)
  })

  it('a garbage token never costs a fetch: wrong alg, wrong signature length, aud, lxm, exp, lifetime, jti are all checked first', async () => {
    const { host, key } = await identity()
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: host.did, aud: relay.did, lxm: 'dev.bitecs.multiuser.join', iat: now, exp: now + 60, jti: 'j1' }
    const good = await signed(key, { typ: 'JWT', alg: 'ES256' }, claims)
    const cases: [string, string][] = [
      ['AUTH_BAD_SIGNATURE', await signed(key, { typ: 'JWT', alg: 'HS256' }, claims)],
      ['AUTH_BAD_SIGNATURE', good.slice(0, -8)],
      ['AUTH_AUD_MISMATCH', await signed(key, { alg: 'ES256' }, { ...claims, aud: 'did:web:elsewhere.example' })],
      ['AUTH_LXM_MISMATCH', await signed(key, { alg: 'ES256' }, { ...claims, lxm: 'com.example.other' })],
      ['AUTH_EXPIRED', await signed(key, { alg: 'ES256' }, { ...claims, exp: now - 120 })],
      ['AUTH_LIFETIME_TOO_LONG', await signed(key, { alg: 'ES256' }, { ...claims, exp: now + 86_400 })],
      ['AUTH_JTI_MISSING', await signed(key, { alg: 'ES256' }, { ...claims, jti: undefined })],
    ]
    for (const [code, token] of cases) await refused(relay, code, join(relay, token), 401)
    expect(host.fetches).toBe(0)
    await honestPair(relay, 'cheap-honest')
    await expectNoLeaks(relay)
  })
})

describe('claims', () => {
  it('iat is required; nbf later than now + clockSkewSec is refused (AUTH_NOT_YET_VALID), within the skew or past it is admitted', async () => {
    const { host, key } = await identity()
    const now = Math.floor(Date.now() / 1000)
    const t = (claims: Record<string, unknown>) => mintToken(key, host.did, relay, claims)
    await refused(relay, 'AUTH_MALFORMED', join(relay, await t({ iat: null })), 401)
    await refused(relay, 'AUTH_MALFORMED', join(relay, await t({ nbf: 'soon' })), 401)
    await refused(relay, 'AUTH_NOT_YET_VALID', join(relay, await t({ nbf: now + 30 + 60 })), 401)
    expect(host.fetches).toBe(0)
    expect(await metric(relay, 'bitecs_relay_refusals_total', { code: 'AUTH_NOT_YET_VALID', stage: 'join' })).toBe(1)
    for (const nbf of [now + 10, now - 60]) await admitted(rawJoin(relay, 'spec', { token: await t({ nbf }) }))
    await honestPair(relay, 'claims-honest')
    await expectNoLeaks(relay)
  })

  it('iss with a service fragment (did#atproto_labeler, did#atproto, did#anything) is refused outright: players are accounts, not services', async () => {
    const { host, key } = await identity()
    for (const fragment of ['atproto_labeler', 'atproto', 'anything']) {
      const r = await refused(relay, 'AUTH_MALFORMED', join(relay, await mintToken(key, `${host.did}#${fragment}`, relay)), 401)
      expect(String(r.body.message)).toMatch(/bare DID/)
    }
    expect(host.fetches).toBe(0)
    await admitted(rawJoin(relay, 'spec', { token: await mintToken(key, host.did, relay) }))
    await honestPair(relay, 'iss-honest')
    await expectNoLeaks(relay)
  })
})

describe('HTTP', () => {
  it('two Authorization headers are refused (AUTH_MALFORMED), whichever copy is valid; the valid token is not consumed', async () => {
    const { host, key } = await identity()
    const valid = `Bearer ${await mintToken(key, host.did, relay)}`
    const other = `Bearer ${await mintToken(await P256Keypair.create(), host.did, relay)}`
    for (const authorization of [[valid, other], [other, valid], [valid, valid]]) {
      const r = await refused(relay, 'AUTH_MALFORMED', () => rawJoin(relay, 'spec', { authorization }), 401)
      expect(String(r.body.message)).toMatch(/more than one Authorization/)
    }
    expect(host.fetches).toBe(0)
    await admitted(rawJoin(relay, 'spec', { authorization: valid }))
    await honestPair(relay, 'dup-honest')
    await expectNoLeaks(relay)
  })

  it('headers over maxHeaderBytes get 431 with the JSON error shape (HEADERS_TOO_LARGE), counted, connection closed', async () => {
    const small = await startRelay({ maxHeaderBytes: 4096, joinTokenTtlSec: 1 })
    const raw = (r: Relay, pad: number) =>
      new Promise<string>((resolve) => {
        let text = ''
        const s = connect(r.address.port, '127.0.0.1', () => s.write(`POST /v1/rooms/big/join HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nX-Pad: ${'a'.repeat(pad)}\r\n\r\n`))
        s.on('data', (d) => (text += d.toString()))
        s.on('error', () => {})
        s.on('close', () => resolve(text))
      })
    for (const [r, pad] of [[relay, 100 * 1024], [small, 5 * 1024]] as const) {
      const before = await metric(r, 'bitecs_relay_refusals_total', { code: 'HEADERS_TOO_LARGE', stage: 'http' })
      const text = await raw(r, pad)
      expect(text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
      expect(text).toMatch(/\r\ncontent-type: application\/json; charset=utf-8\r\n/i)
      expect(text).toMatch(/\r\nconnection: close\r\n/i)
      const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
      expect(body).toEqual({ error: 'HEADERS_TOO_LARGE', message: expect.stringMatching(/larger than/) })
      expect(await metric(r, 'bitecs_relay_refusals_total', { code: 'HEADERS_TOO_LARGE', stage: 'http' })).toBe(before + 1)
    }
    expect(await raw(small, 3 * 1024)).toMatch(/^HTTP\/1\.1 200 /) // under the cap: an anonymous join as usual
    await honestPair(relay, 'big-honest')
    await expectNoLeaks(relay)
    await expectNoLeaks(small) // the 3 KiB join's admission expires with its join token (1 s)
  })
})
