/** verifyTicket: the check a peer runs on another peer's ticket (browser-safe code, run here in Node). */
import { P256Keypair, Secp256k1Keypair } from '@atproto/crypto'
import { describe, expect, it } from 'vitest'
import { TicketError, verifyTicket, type TicketClaims } from '../../src/auth/index.js'
import { relayDidDocument } from '../../src/relay/did-document.js'
import { signTicket } from '../../src/relay/ticket-sign.js'
import { loadRelayKey } from '../../src/relay/relay-key.js'

const RELAY = 'did:web:relay.example'
const now = Math.floor(Date.now() / 1000)
const claims: TicketClaims = { iss: RELAY, did: 'did:plc:alice', handle: 'alice.test', room: 'lobby', peerId: 'p1', admittedAt: now * 1000 - 3_600_000 + 17, iat: now, exp: now + 600 }

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(TicketError)
  return (err as TicketError).code
}

describe('verifyTicket', async () => {
  const key = await P256Keypair.create()
  const doc = relayDidDocument(RELAY, key, 'https://relay.example/', 'bitecs_relay')
  const ticket = await signTicket(key, claims)
  const expectOk = { room: 'lobby', peerId: 'p1' }

  it('accepts a genuine ticket, against the DID document or the did:key', async () => {
    expect(await verifyTicket(ticket, doc, expectOk)).toEqual(claims)
    expect(await verifyTicket(ticket, key.did(), expectOk)).toEqual(claims)
  })

  it('TICKET_BAD_SIGNATURE: a relay key that is not P-256 (relays sign with ES256 only, which browsers verify natively)', async () => {
    const k = await Secp256k1Keypair.create()
    const t = await signTicket(k, claims)
    expect(await code(verifyTicket(t, relayDidDocument(RELAY, k, 'https://relay.example/', 'x'), expectOk))).toBe('TICKET_BAD_SIGNATURE')
    expect(await code(verifyTicket(t, k.did(), expectOk))).toBe('TICKET_BAD_SIGNATURE')
    // ...and a relay refuses to start with one.
    await expect(loadRelayKey(k)).rejects.toThrow(/P-256/)
  })

  it('TICKET_BAD_SIGNATURE: payload tampered (did swapped), or signed by another key', async () => {
    const [h, , s] = ticket.split('.')
    const forged = Buffer.from(JSON.stringify({ ...claims, did: 'did:plc:mallory' })).toString('base64url')
    expect(await code(verifyTicket(`${h}.${forged}.${s}`, doc, expectOk))).toBe('TICKET_BAD_SIGNATURE')
    const other = await signTicket(await P256Keypair.create(), claims)
    expect(await code(verifyTicket(other, doc, expectOk))).toBe('TICKET_BAD_SIGNATURE')
    // header alg swapped to the other curve
    const alg = Buffer.from(JSON.stringify({ typ: 'bitecs-ticket+jwt', alg: 'ES256K' })).toString('base64url')
    expect(await code(verifyTicket(`${alg}.${ticket.split('.')[1]}.${s}`, doc, expectOk))).toBe('TICKET_BAD_SIGNATURE')
  })

  it('TICKET_ROOM_MISMATCH / TICKET_PEER_MISMATCH: a genuine ticket replayed in another room or by another peer id', async () => {
    expect(await code(verifyTicket(ticket, doc, { room: 'other', peerId: 'p1' }))).toBe('TICKET_ROOM_MISMATCH')
    expect(await code(verifyTicket(ticket, doc, { room: 'lobby', peerId: 'p2' }))).toBe('TICKET_PEER_MISMATCH')
  })

  it('TICKET_EXPIRED (beyond the clock skew)', async () => {
    const old = await signTicket(key, { ...claims, iat: now - 7200, exp: now - 3600 })
    expect(await code(verifyTicket(old, doc, expectOk))).toBe('TICKET_EXPIRED')
    const justNow = await signTicket(key, { ...claims, exp: now - 5 })
    expect((await verifyTicket(justNow, doc, expectOk)).peerId).toBe('p1')
  })

  it('TICKET_ISSUER_MISMATCH: a ticket of the same key but claiming another relay', async () => {
    const t = await signTicket(key, { ...claims, iss: 'did:web:evil.example' })
    expect(await code(verifyTicket(t, doc, expectOk))).toBe('TICKET_ISSUER_MISMATCH')
  })

  it('TICKET_MALFORMED: not a JWT, or a JWT of another type (e.g. a service-auth token)', async () => {
    expect(await code(verifyTicket('garbage', doc, expectOk))).toBe('TICKET_MALFORMED')
    const head = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'ES256' })).toString('base64url')
    const body = ticket.split('.')[1]
    const sig = Buffer.from(await key.sign(new TextEncoder().encode(`${head}.${body}`))).toString('base64url')
    expect(await code(verifyTicket(`${head}.${body}.${sig}`, doc, expectOk))).toBe('TICKET_MALFORMED')
  })

  it('admittedAt: signed in the ticket; a non-integer is TICKET_MALFORMED; a ticket of an older relay without it reads its issue time', async () => {
    expect((await verifyTicket(ticket, doc, expectOk)).admittedAt).toBe(claims.admittedAt)
    for (const bad of [-1, 1.5, '12']) {
      expect(await code(verifyTicket(await signTicket(key, { ...claims, admittedAt: bad as number }), doc, expectOk))).toBe('TICKET_MALFORMED')
    }
    const { admittedAt: _, ...older } = claims
    expect((await verifyTicket(await signTicket(key, older as TicketClaims), doc, expectOk)).admittedAt).toBe(claims.iat * 1000)
  })
})

describe('relay key (native signing)', () => {
  it('signs low-S tickets that the browser-side verifier accepts, every time; a hex key gives a stable DID key', async () => {
    const { loadRelayKey, generateRelayKeyHex } = await import('../../src/relay/relay-key.js')
    const hex = await generateRelayKeyHex()
    const k1 = await loadRelayKey(hex)
    const k2 = await loadRelayKey(hex)
    expect(k1.did()).toBe(k2.did())
    expect(k1.jwtAlg).toBe('ES256')
    const doc = relayDidDocument(RELAY, k1, 'https://relay.example/', 'bitecs_relay')
    // ~half of raw ECDSA signatures are high-S: 40 in a row verifying shows normalisation works
    for (let i = 0; i < 40; i++) {
      const t = await signTicket(k1, { ...claims, peerId: `p${i}` })
      expect((await verifyTicket(t, doc, { room: 'lobby', peerId: `p${i}` })).peerId).toBe(`p${i}`)
    }
    await expect(loadRelayKey('nothex')).rejects.toThrow(/64 hex/)
  })
})
