/**
 * The relay's own signing key (signs tickets, published in its DID document as `#atproto`). P-256 (ES256), so
 * browsers verify tickets cheaply. Signing runs on Node's native crypto (~0.1 ms vs ~2.5 ms for pure JS) and emits
 * low-S compact signatures, the form `@atproto/crypto`'s verifier requires; `did()` comes from `@atproto/crypto`.
 */
import { readFile } from 'node:fs/promises'
import { createPrivateKey, sign, type KeyObject } from 'node:crypto'
import { P256Keypair, P256_JWT_ALG, parseDidKey, type Keypair } from '@atproto/crypto'

/** P-256 group order n, and n/2 (low-S bound). */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
const HALF_N = N >> 1n

class NodeP256Keypair implements Keypair {
  readonly jwtAlg = P256_JWT_ALG
  constructor(private readonly key: KeyObject, private readonly didKey: string) {}
  did(): string {
    return this.didKey
  }
  async sign(msg: Uint8Array): Promise<Uint8Array> {
    const sig = sign('sha256', msg, { key: this.key, dsaEncoding: 'ieee-p1363' })
    const s = BigInt('0x' + sig.subarray(32).toString('hex'))
    if (s > HALF_N) sig.set(Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex'), 32)
    return new Uint8Array(sig)
  }
}

async function fromPrivateBytes(priv: Uint8Array): Promise<Keypair> {
  const js = await P256Keypair.import(priv, { exportable: false })
  const pub = Buffer.from(parseDidKey(js.did()).keyBytes) // 0x04 | x | y
  try {
    const key = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', d: Buffer.from(priv).toString('base64url'), x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33, 65).toString('base64url') },
      format: 'jwk',
    })
    return new NodeP256Keypair(key, js.did())
  } catch {
    return js // no native P-256: pure JS
  }
}

/** A keypair, a hex P-256 private key, or nothing (a fresh key in memory: tickets die with the process). */
export async function loadRelayKey(key: Keypair | string | undefined): Promise<Keypair> {
  if (key !== undefined && typeof key !== 'string') {
    // Browsers check tickets with WebCrypto, which has P-256 but not secp256k1.
    if (key.jwtAlg !== P256_JWT_ALG) throw new TypeError(`relay signing key must be P-256 (ES256), not ${key.jwtAlg}`)
    return key
  }
  if (key === undefined) {
    const fresh = await P256Keypair.create({ exportable: true })
    return fromPrivateBytes(await fresh.export())
  }
  const hex = key.trim()
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError('relay signing key must be 64 hex characters (a P-256 private key)')
  return fromPrivateBytes(Buffer.from(hex, 'hex'))
}

/** Reads a hex P-256 private key from a file (first line). */
export async function readRelayKeyFile(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).split('\n')[0].trim()
}

/** A new hex P-256 private key (for `bitecs-multiuser relay gen-key`). */
export async function generateRelayKeyHex(): Promise<string> {
  const kp = await P256Keypair.create({ exportable: true })
  return Buffer.from(await kp.export()).toString('hex')
}
