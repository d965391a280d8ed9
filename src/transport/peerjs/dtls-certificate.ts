/**
 * Tickets bound to the DTLS certificate. Before its first join the transport makes the certificate every one of its
 * WebRTC connections will use (`RTCPeerConnection.generateCertificate`, its private key never leaves the browser)
 * and sends its fingerprint with the join; the relay signs it into the ticket. A peer that receives a ticket with a
 * fingerprint accepts it only on a link whose remote description (`a=fingerprint`, which DTLS holds the other end to)
 * names that certificate: a ticket copied onto another connection is refused. What this does and does not protect
 * against: README "Identity of peers: tickets bound to the DTLS certificate".
 */
import { normalizeFingerprint, sdpFingerprints } from '../../signaling/fingerprint.js'

export interface DtlsCertificate {
  certificate: RTCCertificate
  /** Its fingerprint, canonical (`sha-256 AB:CD:…`). */
  fingerprint: string
}

/** A fresh ECDSA P-256 certificate and its fingerprint, or null where the platform makes none (e.g. Node's polyfills). */
export async function generateDtlsCertificate(): Promise<DtlsCertificate | null> {
  const PC = (globalThis as { RTCPeerConnection?: { generateCertificate?: typeof RTCPeerConnection.generateCertificate } }).RTCPeerConnection
  if (typeof PC?.generateCertificate !== 'function') return null
  try {
    const certificate = await PC.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams)
    const fingerprint = certificate.getFingerprints?.().map((f) => normalizeFingerprint(`${f.algorithm} ${f.value}`)).find((f) => f !== null)
    return fingerprint ? { certificate, fingerprint } : null
  } catch {
    return null
  }
}

/** Whether the connection's remote description names `fingerprint`, and only it. */
export function remoteCertificateIs(pc: RTCPeerConnection | undefined, fingerprint: string): boolean {
  const sdp = pc?.remoteDescription?.sdp
  const seen = sdp ? sdpFingerprints(sdp) : []
  return seen.length > 0 && seen.every((f) => f === fingerprint)
}
