/**
 * Relay signatures (tickets, resume tokens) checked in the browser without an ATProto library. The relay signs with
 * P-256 (ES256) and publishes the key in its DID document as a `Multikey` (or hands it out as a `did:key`): both are
 * base58btc multibase of the multicodec `p256-pub` (0x1200) and the 33-byte compressed point.
 *
 * WebCrypto verifies where the page is a secure context (https, localhost, 127.0.0.1); elsewhere (a game served over
 * plain http on a LAN, where `crypto.subtle` does not exist) `@noble/curves` is loaded on demand, so it costs a
 * guest bundle nothing until then.
 */

/** Multicodec `p256-pub` as an unsigned varint. */
const P256_PUB = [0x80, 0x24]
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** Decodes base58btc (Bitcoin alphabet); throws on a character outside it. */
export function base58btcDecode(text: string): Uint8Array {
  const bytes: number[] = []
  for (const ch of text) {
    let carry = BASE58.indexOf(ch)
    if (carry < 0) throw new Error(`not base58btc: ${JSON.stringify(ch)}`)
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i] * 58
      bytes[i] = carry & 0xff
      carry >>= 8
    }
    for (; carry > 0; carry >>= 8) bytes.push(carry & 0xff)
  }
  for (let i = 0; i < text.length && text[i] === '1'; i++) bytes.push(0)
  return Uint8Array.from(bytes.reverse())
}

/**
 * The compressed P-256 point of a `did:key:z…` or a multibase `z…` Multikey, or undefined when it is another key
 * type or malformed.
 */
export function p256KeyOf(key: string): Uint8Array | undefined {
  const multibase = key.startsWith('did:key:') ? key.slice(8) : key
  if (!multibase.startsWith('z')) return undefined
  let bytes: Uint8Array
  try {
    bytes = base58btcDecode(multibase.slice(1))
  } catch {
    return undefined
  }
  if (bytes.length !== 35 || bytes[0] !== P256_PUB[0] || bytes[1] !== P256_PUB[1] || (bytes[2] !== 2 && bytes[2] !== 3)) return undefined
  return bytes.slice(2)
}

// P-256 field prime and curve constant b (a = -3), for decompressing a point where WebCrypto refuses the compressed form.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let r = 1n
  for (base %= m; exp > 0n; exp >>= 1n, base = (base * base) % m) if (exp & 1n) r = (r * base) % m
  return r
}

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const fromHex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16))

/** 0x04 | x | y from 0x02/0x03 | x: y = sqrt(x³ − 3x + b) mod p, by (p + 1) / 4 since p ≡ 3 (mod 4). */
export function decompressP256(compressed: Uint8Array): Uint8Array {
  const x = BigInt('0x' + toHex(compressed.subarray(1)))
  let y = modPow((((x * x * x - 3n * x + B) % P) + P) % P, (P + 1n) / 4n, P)
  if (Number(y & 1n) !== (compressed[0] & 1)) y = P - y
  const out = new Uint8Array(65)
  out[0] = 4
  out.set(compressed.subarray(1), 1)
  out.set(fromHex(y.toString(16).padStart(64, '0')), 33)
  return out
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const

async function webCryptoVerify(subtle: SubtleCrypto, key: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  let pub: CryptoKey
  try {
    pub = await subtle.importKey('raw', key as BufferSource, ECDSA_P256, false, ['verify'])
  } catch {
    // Not every engine imports compressed points.
    pub = await subtle.importKey('raw', decompressP256(key) as BufferSource, ECDSA_P256, false, ['verify'])
  }
  return subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, signature as BufferSource, data as BufferSource)
}

/**
 * Checks a 64-byte `r | s` ES256 signature of `data` against a compressed P-256 key. `subtle` defaults to the page's
 * WebCrypto; pass null to use the pure-JS verifier (what a page without a secure context gets).
 */
export async function verifyEs256(key: Uint8Array, data: Uint8Array, signature: Uint8Array, subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null): Promise<boolean> {
  if (signature.length !== 64) return false
  try {
    if (subtle) return await webCryptoVerify(subtle, key, data, signature)
    const { p256 } = await import('@noble/curves/nist.js')
    return p256.verify(signature, data, key, { lowS: false })
  } catch {
    return false
  }
}
