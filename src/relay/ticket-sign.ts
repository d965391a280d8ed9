/** Minting relay tickets (verification is browser-side: `src/auth/ticket.ts`). */
import type { Keypair } from '@atproto/crypto'
import { jsonToBase64Url, base64UrlEncode } from '../signaling/jwt-parts.js'
import { TICKET_TYP, type TicketClaims } from '../signaling/ticket.js'

/** Signs a ticket (default) or, with `typ = RESUME_TYP`, a resume token with the same claims. */
export async function signTicket(key: Keypair, claims: TicketClaims, typ: string = TICKET_TYP): Promise<string> {
  const head = jsonToBase64Url({ typ, alg: key.jwtAlg })
  const body = jsonToBase64Url(claims)
  const sig = await key.sign(new TextEncoder().encode(`${head}.${body}`))
  return `${head}.${body}.${base64UrlEncode(sig)}`
}
