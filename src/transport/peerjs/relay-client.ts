import { joinRoom } from '../../auth/join.js'
import { verifyTicket, type DidDocumentLike } from '../../signaling/ticket.js'
import { anonymous, type TokenSource } from '../../auth/token-source.js'
import { ControlMessageType, type JoinAnswer, type RosterPeer } from '../../signaling/contract.js'
import type { PeerIdentity } from '../transport.js'

/** A roster change pushed by the relay on the PeerJS socket. */
export type RosterUpdate =
  | { kind: 'roster'; entries: RosterPeer[] }
  | { kind: 'joined'; entry: RosterPeer }
  | { kind: 'left'; peerId: string }

/** What the PeerJS transport needs from the signaling relay; `relayClient()` is the implementation for our relay. */
export interface RelayClient {
  /** Joins `room`; with `resume`, asks to keep the same peer id after a relay socket drop. */
  join(room: string, resume?: { peerId: string; token: string }): Promise<JoinAnswer>
  /** Verifies a peer's ticket (relay signature, room, peer id) and returns who it is. Throws if invalid. */
  verifyTicket(ticket: string, expect: { room: string; peerId: string }): Promise<PeerIdentity>
  /** Recognises the relay's roster messages on the PeerJS socket (null for anything else). */
  parseControl(message: { type?: string; payload?: unknown }): RosterUpdate | null
}

export interface RelayClientOptions {
  /** Called on every join and rejoin (default: anonymous). */
  token?: TokenSource
  fetch?: typeof fetch
}

/**
 * The client of our signaling relay: joins through `POST /v1/rooms/:room/join` (token in the Authorization header
 * only) and verifies peers' tickets against the relay's `/.well-known/did.json`, fetched once and re-fetched once
 * when a ticket does not verify (the relay may have restarted with a new key).
 */
export function relayClient(relayUrl: string, options: RelayClientOptions = {}): RelayClient {
  const token = options.token ?? anonymous()
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init))
  const didUrl = new URL('.well-known/did.json', relayUrl.endsWith('/') ? relayUrl : relayUrl + '/').href
  let doc: Promise<DidDocumentLike> | null = null
  let fetchedAt = 0
  const loadDoc = (refresh: boolean): Promise<DidDocumentLike> => {
    if (!doc || refresh) {
      fetchedAt = Date.now()
      doc = doFetch(didUrl, { redirect: 'error', credentials: 'omit' }).then(async (res) => {
        if (!res.ok) throw new Error(`relay DID document: HTTP ${res.status}`)
        return (await res.json()) as DidDocumentLike
      })
      doc.catch(() => (doc = null))
    }
    return doc
  }
  return {
    join: (room, resume) => joinRoom(relayUrl, room, token, { fetch: doFetch, resume }),
    async verifyTicket(ticket, expect) {
      const check = async (d: DidDocumentLike) => {
        const claims = await verifyTicket(ticket, d, expect)
        return { id: claims.peerId, did: claims.did ?? null, ...(claims.handle ? { handle: claims.handle } : {}) }
      }
      try {
        return await check(await loadDoc(false))
      } catch (e) {
        // Only a signature failure can be cured by a fresh key; refresh at most every few seconds.
        if ((e as { code?: string }).code !== 'TICKET_BAD_SIGNATURE' && (e as { code?: string }).code !== 'TICKET_ISSUER_MISMATCH') throw e
        if (Date.now() - fetchedAt < 2_000) throw e
        return check(await loadDoc(true))
      }
    },
    parseControl(m) {
      const p = m.payload as Record<string, unknown> | undefined
      if (m.type === ControlMessageType.ROSTER && p && Array.isArray(p.peers)) return { kind: 'roster', entries: p.peers as RosterPeer[] }
      if (m.type === ControlMessageType.PEER_JOINED && p && typeof p.peerId === 'string') return { kind: 'joined', entry: p as unknown as RosterPeer }
      if (m.type === ControlMessageType.PEER_LEFT && p && typeof p.peerId === 'string') return { kind: 'left', peerId: p.peerId }
      return null
    },
  }
}
