// Relay signatures in the browser without ATProto code: did:key / Multikey parsing, point decompression, and ES256
// through WebCrypto and through the pure-JS fallback, checked against @atproto/crypto's own keys and signatures.
import { P256Keypair, Secp256k1Keypair } from '@atproto/crypto'
import { describe, expect, it } from 'vitest'
import { base58btcDecode, decompressP256, p256KeyOf, verifyEs256 } from '../../src/signaling/relay-signature.js'

const data = new TextEncoder().encode('header.payload')

describe('relay signatures (ES256, no ATProto library)', () => {
  it('base58btc decodes leading zeros and refuses other characters', () => {
    expect([...base58btcDecode('1112')]).toEqual([0, 0, 0, 1])
    expect([...base58btcDecode('5Q')]).toEqual([255])
    expect([...base58btcDecode('5R')]).toEqual([1, 0])
    expect(() => base58btcDecode('0OIl')).toThrow(/base58btc/)
  })

  it('reads the P-256 key of a did:key or Multikey; refuses secp256k1 and garbage', async () => {
    const kp = await P256Keypair.create({ exportable: true })
    const key = p256KeyOf(kp.did())!
    expect(key.length).toBe(33)
    expect(p256KeyOf(kp.did().slice(8))).toEqual(key)
    expect(p256KeyOf((await Secp256k1Keypair.create()).did())).toBeUndefined()
    expect(p256KeyOf('did:key:zzz0')).toBeUndefined()
    expect(p256KeyOf('did:key:u' + kp.did().slice(9))).toBeUndefined()
  })

  it('decompresses points exactly as WebCrypto exports them', async () => {
    for (let i = 0; i < 20; i++) {
      const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
      const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
      const compressed = new Uint8Array(33)
      compressed[0] = 2 + (raw[64] & 1)
      compressed.set(raw.subarray(1, 33), 1)
      expect(decompressP256(compressed)).toEqual(raw)
    }
  })

  it('verifies @atproto/crypto signatures with WebCrypto and with the pure-JS fallback; a changed byte fails both', async () => {
    const kp = await P256Keypair.create({ exportable: true })
    const key = p256KeyOf(kp.did())!
    const sig = await kp.sign(data)
    for (const subtle of [crypto.subtle, null]) {
      expect(await verifyEs256(key, data, sig, subtle)).toBe(true)
      const bad = sig.slice()
      bad[10] ^= 1
      expect(await verifyEs256(key, data, bad, subtle)).toBe(false)
      expect(await verifyEs256(key, new TextEncoder().encode('header.other'), sig, subtle)).toBe(false)
      expect(await verifyEs256(key, data, sig.subarray(0, 63), subtle)).toBe(false)
      const other = p256KeyOf((await P256Keypair.create()).did())!
      expect(await verifyEs256(other, data, sig, subtle)).toBe(false)
    }
  })
})
