/** Minting relay-signed tokens (verification is browser-side: `src/signaling/ticket.ts`, `session-ticket.ts`). */
import type { Keypair } from '@atproto/crypto'
import { jsonToBase64Url, base64UrlEncode } from '../signaling/jwt-parts.js'
import { TICKET_TYP, type TicketClaims } from '../signaling/ticket.js'

/** Signs a ticket (default) or, with `typ = RESUME_TYP`, a resume token with the same claims (plus `extra`). */
export function signTicket(key: Keypair, claims: TicketClaims, typ: string = TICKET_TYP, extra: Record<string, unknown> = {}): Promise<string> {
  return signRelayToken(key, { ...claims, ...extra }, typ)
}

/** Signs any relay token: a compact JWS `{ typ, alg }` over `payload` with the relay's key. */
export async function signRelayToken(key: Keypair, payload: object, typ: string): Promise<string> {
  const head = jsonToBase64Url({ typ, alg: key.jwtAlg })
  const body = jsonToBase64Url(payload)
  const sig = await key.sign(new TextEncoder().encode(`${head}.${body}`))
  return `${head}.${body}.${base64UrlEncode(sig)}`
}
