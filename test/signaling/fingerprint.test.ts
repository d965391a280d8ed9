// DTLS fingerprints in tickets: the canonical form, SDP's a=fingerprint lines, and the relay signing what a join sends
// (a malformed one refused with nothing held).
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeFingerprint, sdpFingerprints } from '../../src/signaling/fingerprint.js'
import { verifyTicket } from '../../src/signaling/ticket.js'
import { createRelay, type Relay } from '../../src/relay/index.js'
import { asJoin, postJoin, refused } from '../relay/helpers.js'

const HEX = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).padStart(2, '0')).join(':')
let relay: Relay
beforeAll(async () => {
  relay = createRelay({ auth: 'off', logger: pino({ level: 'silent' }), iceServers: [] })
  await relay.listen()
})
afterAll(() => relay.close())

describe('DTLS fingerprints', () => {
  it('one canonical form: hash in lower case, bytes in upper case; another hash length or a stray byte is none', () => {
    expect(normalizeFingerprint(`SHA-256 ${HEX}`)).toBe(`sha-256 ${HEX.toUpperCase()}`)
    expect(normalizeFingerprint(`sha-256 ${HEX}:00`)).toBeNull()
    expect(normalizeFingerprint(`md5 ${HEX}`)).toBeNull()
    expect(normalizeFingerprint(`sha-256 ${HEX.replace(/:/g, '')}`)).toBeNull()
    expect(normalizeFingerprint(42)).toBeNull()
    const sdp = `v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:sha-256 ${HEX.toUpperCase()}\r\na=setup:actpass\r\n`
    expect(sdpFingerprints(sdp)).toEqual([`sha-256 ${HEX.toUpperCase()}`])
  })

  it('the relay signs the join\'s fingerprint into the ticket and the answer; a malformed one is JOIN_BODY_INVALID', async () => {
    const j = asJoin(await postJoin(relay.url, 'fp', { body: { fingerprint: `sha-256 ${HEX}` } }))
    expect(j.fingerprint).toBe(`sha-256 ${HEX.toUpperCase()}`)
    expect((await verifyTicket(j.ticket, relay.didDocument, { room: 'fp', peerId: j.peerId })).fingerprint).toBe(j.fingerprint)
    const plain = asJoin(await postJoin(relay.url, 'fp'))
    expect((await verifyTicket(plain.ticket, relay.didDocument, { room: 'fp', peerId: plain.peerId })).fingerprint).toBeUndefined()
    for (const bad of ['sha-256 zz', `sha-1 ${HEX}`, 7, `sha-256 ${HEX}`.repeat(5)]) {
      await refused(relay, 'JOIN_BODY_INVALID', () => postJoin(relay.url, 'fp', { body: { fingerprint: bad } }), 400)
    }
  })
})
