/**
 * The social graph read straight from the repos: each account's `app.bsky.graph.follow` and `app.bsky.graph.block`
 * records, listed (`com.atproto.repo.listRecords`, public, paginated) from the PDS its DID document names. Works with
 * no AppView at all (the default in tests and development). A repo's snapshot (whom it follows, whom it blocks) is
 * cached for `cacheTtlMs`, at most `cacheMaxEntries` repos; lookups of one repo at the same time share one read.
 *
 * Costs: a repo is read in pages of 100 records, at most `maxRecords` per collection. A repo holding more is read
 * only that far: accounts past the cap count as not followed and not blocked (documented; the AppView has no cap).
 * Block lists (`app.bsky.graph.listblock`) are not read: only the AppView resolves them.
 */
import { TtlCache } from './ttl-cache.js'
import { isDid, mapLimit, xrpcGet, type GraphFetch, type Relationship, type SocialGraph } from './social-graph.js'
import { isRecord } from './jwt-parts.js'
import { AuthErrorCode, SocialError } from '../shared/errors.js'

export interface PdsSocialGraphOptions {
  /**
   * The PDS of an account (its DID document's `#atproto_pds` endpoint). `null`: it has none (no such DID, or no PDS):
   * it follows no one. Throw when the DID cannot be resolved now (the lookup fails `SOCIAL_GRAPH_UNAVAILABLE`).
   */
  resolvePds(did: string): Promise<string | null>
  /** Default: the global `fetch`. */
  fetch?: GraphFetch
  /** Records read per repo and collection at most (default 10 000). */
  maxRecords?: number
  /** How long a repo's snapshot is used (default 60 000 ms). */
  cacheTtlMs?: number
  /** Repos cached at most (default 10 000). */
  cacheMaxEntries?: number
  /** Repos read at once by one `relationships` call (default 8). */
  concurrency?: number
  now?: () => number
}

/** What one repo says: whom it follows and whom it blocks. */
interface RepoGraph {
  follows: ReadonlySet<string>
  blocks: ReadonlySet<string>
}

const FOLLOW = 'app.bsky.graph.follow'
const BLOCK = 'app.bsky.graph.block'
const PAGE = 100

export function pdsSocialGraph(options: PdsSocialGraphOptions): SocialGraph {
  const doFetch: GraphFetch = options.fetch ?? ((url) => fetch(url))
  const maxRecords = options.maxRecords ?? 10_000
  const concurrency = options.concurrency ?? 8
  const cache = new TtlCache<string, RepoGraph>({ ttlMs: options.cacheTtlMs ?? 60_000, maxEntries: options.cacheMaxEntries ?? 10_000 }, options.now)
  const inflight = new Map<string, Promise<RepoGraph>>()

  /** The DIDs named by `subject` in the records of `collection` in `did`'s repo on `pds`. */
  async function subjects(pds: string, did: string, collection: string): Promise<Set<string>> {
    const out = new Set<string>()
    let cursor: string | undefined
    for (let read = 0; read < maxRecords; read += PAGE) {
      const params: [string, string][] = [['repo', did], ['collection', collection], ['limit', String(Math.min(PAGE, maxRecords - read))]]
      if (cursor) params.push(['cursor', cursor])
      const page = await xrpcGet(doFetch, pds, 'com.atproto.repo.listRecords', params)
      const records = page && Array.isArray(page.records) ? page.records : []
      for (const r of records) {
        const subject = isRecord(r) && isRecord(r.value) ? r.value.subject : undefined
        if (isDid(subject)) out.add(subject)
      }
      const next = page?.cursor
      if (records.length < PAGE || typeof next !== 'string' || next === cursor) break
      cursor = next
    }
    return out
  }

  async function read(did: string): Promise<RepoGraph> {
    let pds: string | null = null
    try {
      if (isDid(did)) pds = await options.resolvePds(did)
    } catch (err) {
      throw new SocialError(AuthErrorCode.SOCIAL_GRAPH_UNAVAILABLE, `the PDS of ${did} cannot be found now: ${(err as Error).message}`, { cause: err })
    }
    if (!pds) return { follows: new Set(), blocks: new Set() }
    const [follows, blocks] = await Promise.all([subjects(pds, did, FOLLOW), subjects(pds, did, BLOCK)])
    return { follows, blocks }
  }

  function repo(did: string): Promise<RepoGraph> {
    const cached = cache.get(did)
    if (cached) return Promise.resolve(cached)
    let p = inflight.get(did)
    if (!p) {
      p = read(did)
        .then((g) => {
          cache.set(did, g)
          return g
        })
        .finally(() => inflight.delete(did))
      inflight.set(did, p)
    }
    return p
  }

  return {
    async relationships(actor, others) {
      const [mine, theirs] = await Promise.all([repo(actor), mapLimit(others, concurrency, repo)])
      const out = new Map<string, Relationship>()
      others.forEach((did, i) => {
        out.set(did, { following: mine.follows.has(did), followedBy: theirs[i].follows.has(actor), blocking: mine.blocks.has(did), blockedBy: theirs[i].blocks.has(actor) })
      })
      return out
    },
    async follows(actor) {
      return [...(await repo(actor)).follows]
    },
    get cacheSize() {
      return cache.size
    },
  }
}
