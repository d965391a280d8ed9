/**
 * The social graph as an AppView indexes it (production): `app.bsky.graph.getRelationships` (30 accounts per call,
 * public, no auth) and `app.bsky.graph.getFollows`. Knows block lists too (`blockingByList`, `blockedByList` count as
 * blocks). Answers are cached per pair of accounts for `cacheTtlMs`, at most `cacheMaxEntries` pairs.
 */
import { TtlCache } from './ttl-cache.js'
import { isDid, mapLimit, xrpcGet, type GraphFetch, type Relationship, type SocialGraph } from './social-graph.js'
import { isRecord } from './jwt-parts.js'

export interface AppViewSocialGraphOptions {
  /** The AppView, e.g. `https://public.api.bsky.app` (or a PDS, which proxies `app.bsky.*` to its AppView). */
  url: string
  fetch?: GraphFetch
  /** Follows listed per account at most (default 10 000). */
  maxFollows?: number
  /** How long an answer is used (default 60 000 ms). */
  cacheTtlMs?: number
  /** Pairs (and follow lists) cached at most (default 10 000). */
  cacheMaxEntries?: number
  now?: () => number
}

const BATCH = 30
const NONE: Relationship = { following: false, followedBy: false, blocking: false, blockedBy: false }

export function appViewSocialGraph(options: AppViewSocialGraphOptions): SocialGraph {
  const doFetch: GraphFetch = options.fetch ?? ((url) => fetch(url))
  const ttl = { ttlMs: options.cacheTtlMs ?? 60_000, maxEntries: options.cacheMaxEntries ?? 10_000 }
  const pairs = new TtlCache<string, Relationship>(ttl, options.now)
  const followLists = new TtlCache<string, string[]>(ttl, options.now)
  const maxFollows = options.maxFollows ?? 10_000

  async function batch(actor: string, others: string[]): Promise<void> {
    const body = await xrpcGet(doFetch, options.url, 'app.bsky.graph.getRelationships', [['actor', actor], ...others.map((o): [string, string] => ['others', o])])
    const found = new Map<string, Relationship>()
    for (const r of body && Array.isArray(body.relationships) ? body.relationships : []) {
      if (!isRecord(r) || !isDid(r.did)) continue
      const has = (k: string) => typeof r[k] === 'string'
      found.set(r.did, { following: has('following'), followedBy: has('followedBy'), blocking: has('blocking') || has('blockingByList'), blockedBy: has('blockedBy') || has('blockedByList') })
    }
    for (const o of others) pairs.set(`${actor} ${o}`, found.get(o) ?? NONE)
  }

  return {
    async relationships(actor, others) {
      const missing = [...new Set(others.filter((o) => pairs.get(`${actor} ${o}`) === undefined))]
      const batches: string[][] = []
      for (let i = 0; i < missing.length; i += BATCH) batches.push(missing.slice(i, i + BATCH))
      await mapLimit(batches, 4, (b) => batch(actor, b))
      // Read back; a pair evicted meanwhile (a tiny cache) is fetched once more.
      const out = new Map<string, Relationship>()
      for (const o of others) {
        let r = pairs.get(`${actor} ${o}`)
        if (!r) {
          await batch(actor, [o])
          r = pairs.get(`${actor} ${o}`) ?? NONE
        }
        out.set(o, r)
      }
      return out
    },
    async follows(actor) {
      const cached = followLists.get(actor)
      if (cached) return cached
      const out: string[] = []
      let cursor: string | undefined
      while (out.length < maxFollows) {
        const params: [string, string][] = [['actor', actor], ['limit', '100']]
        if (cursor) params.push(['cursor', cursor])
        const page = await xrpcGet(doFetch, options.url, 'app.bsky.graph.getFollows', params)
        const follows = page && Array.isArray(page.follows) ? page.follows : []
        for (const f of follows) if (isRecord(f) && isDid(f.did) && out.length < maxFollows) out.push(f.did)
        const next = page?.cursor
        if (follows.length === 0 || typeof next !== 'string' || next === cursor) break
        cursor = next
      }
      followLists.set(actor, out)
      return out
    },
    get cacheSize() {
      return pairs.size + followLists.size
    },
  }
}
