/** Browser-safe JWT helpers (no Buffer): split, base64url, JSON parts. */

export function base64UrlEncode(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i])
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function base64UrlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url')
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4)
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

export function jsonToBase64Url(value: unknown): string {
  return base64UrlEncode(new TextEncoder().encode(JSON.stringify(value)))
}

export interface JwtParts {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  /** `<header>.<payload>` as UTF-8 bytes (what the signature covers). */
  signedBytes: Uint8Array
  signature: Uint8Array
}

/** Splits and decodes a compact JWS. Throws a plain Error when it is not one. */
export function decodeJwt(jwt: string): JwtParts {
  const parts = jwt.split('.')
  if (parts.length !== 3) throw new Error('not a compact JWT')
  const header: unknown = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[0])))
  const payload: unknown = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1])))
  if (!isRecord(header) || !isRecord(payload)) throw new Error('JWT header or payload is not an object')
  return {
    header,
    payload,
    signedBytes: new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    signature: base64UrlDecode(parts[2]),
  }
}

const JWT_SHAPE = /^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/

/** True when `text` is a compact JWS with a decodable header naming an `alg`: i.e. a credential, not an id. */
export function looksLikeJwt(text: string): boolean {
  if (!JWT_SHAPE.test(text)) return false
  try {
    const header: unknown = JSON.parse(new TextDecoder().decode(base64UrlDecode(text.split('.')[0])))
    return isRecord(header) && typeof header.alg === 'string'
  } catch {
    return false
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
