/**
 * DTLS certificate fingerprints, as a ticket binds them and as SDP writes them (`a=fingerprint:sha-256 AB:CD:…`,
 * RFC 8122): `<hash> <uppercase hex bytes joined by colons>`. A peer sends the fingerprint of the certificate it will
 * use with its join; the relay signs it into the ticket; the receiving peer checks it against the link's remote
 * description. What that protects against: README "Identity of peers: tickets bound to the DTLS certificate".
 */

const BYTES: Record<string, number> = { 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 }

/** The canonical form of a fingerprint (`sha-256 AB:…`), or null if it is not one (another hash, the wrong length). */
export function normalizeFingerprint(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 256) return null
  const m = /^(sha-(?:256|384|512))\s+((?:[0-9a-f]{2}:)*[0-9a-f]{2})$/i.exec(value.trim())
  if (!m) return null
  const hash = m[1].toLowerCase()
  const hex = m[2].toUpperCase()
  return hex.split(':').length === BYTES[hash] ? `${hash} ${hex}` : null
}

/** Every `a=fingerprint` of an SDP, normalized (unknown hashes left out). */
export function sdpFingerprints(sdp: string): string[] {
  const out: string[] = []
  for (const m of sdp.matchAll(/^a=fingerprint:(.+)$/gm)) {
    const f = normalizeFingerprint(m[1])
    if (f) out.push(f)
  }
  return out
}
