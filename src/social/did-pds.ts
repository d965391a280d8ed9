/**
 * Where an account's repo lives, in the browser: its DID document's `#atproto_pds` endpoint, read from the PLC
 * directory (`did:plc`) or the host (`did:web`), cached. No ATProto library: two fetches and a field.
 */
import { TtlCache } from '../signaling/ttl-cache.js'
import { isRecord } from '../signaling/jwt-parts.js'

export interface PdsResolverOptions {
  /** PLC directory (default `https://plc.directory`). */
  plcUrl?: string
  fetch?: (url: string) => Promise<Response>
  /** How long an answer is kept (default 600 000 ms), and how many (default 1 000). */
  cacheTtlMs?: number
  cacheMaxEntries?: number
}

/** Resolves a DID to its PDS URL; `null` when it has none (no such DID, no PDS entry). Throws when it cannot tell now. */
export type PdsResolver = (did: string) => Promise<string | null>

export function pdsResolver(options: PdsResolverOptions = {}): PdsResolver {
  const plc = (options.plcUrl ?? 'https://plc.directory').replace(/\/+$/, '')
  const doFetch = options.fetch ?? ((url: string) => fetch(url, { credentials: 'omit' }))
  const cache = new TtlCache<string, string | null>({ ttlMs: options.cacheTtlMs ?? 600_000, maxEntries: options.cacheMaxEntries ?? 1_000 })
  return async (did) => {
    const cached = cache.get(did)
    if (cached !== undefined) return cached
    const url = documentUrl(did, plc)
    if (!url) return null
    const res = await doFetch(url)
    if (res.status === 429 || res.status >= 500) throw new Error(`${url} answered ${res.status}`)
    const doc: unknown = res.ok ? await res.json().catch(() => null) : null
    const pds = pdsOf(doc)
    cache.set(did, pds)
    return pds
  }
}

/** Where the DID document of `did` is served, or null for a method we do not resolve. */
function documentUrl(did: string, plc: string): string | null {
  if (/^did:plc:[a-z2-7]{24}$/.test(did)) return `${plc}/${did}`
  const web = /^did:web:([A-Za-z0-9.-]+(?:%3A\d+)?)$/.exec(did)
  if (!web) return null
  const host = decodeURIComponent(web[1])
  return `${host.startsWith('localhost') ? 'http' : 'https'}://${host}/.well-known/did.json`
}

/** The `#atproto_pds` service endpoint of a DID document. */
export function pdsOf(doc: unknown): string | null {
  if (!isRecord(doc) || !Array.isArray(doc.service)) return null
  for (const s of doc.service) {
    if (!isRecord(s) || typeof s.serviceEndpoint !== 'string' || s.type !== 'AtprotoPersonalDataServer') continue
    if (s.id !== '#atproto_pds' && s.id !== `${String(doc.id)}#atproto_pds`) continue
    try {
      const u = new URL(s.serviceEndpoint)
      if (u.protocol === 'https:' || u.protocol === 'http:') return u.href
    } catch {
      /* not a URL */
    }
  }
  return null
}
