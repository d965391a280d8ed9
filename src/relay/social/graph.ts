/**
 * The relay's social graph: the `socialGraph` option if given; else the AppView at `appViewUrl`; else every repo read
 * from its own PDS, found through the relay's DID cache (the DID document's `#atproto_pds`). Its fetches go through
 * an SSRF-safe fetch of their own, with a concurrency budget apart from the one admission uses
 * (`socialFetchConcurrency`), so graph lookups never starve joins.
 */
import { areFriends, type GraphFetch, type SocialGraph } from '../../signaling/social-graph.js'
import { appViewSocialGraph } from '../../signaling/appview-graph.js'
import { pdsSocialGraph } from '../../signaling/pds-graph.js'
import { SocialError } from '../../shared/errors.js'
import type { DidKeyResolver } from '../did-key-cache.js'
import { ErrorCode, RelayError } from '../errors.js'
import type { ResolvedRelayOptions } from '../options.js'

export function relaySocialGraph(opts: ResolvedRelayOptions, keys: DidKeyResolver, fetch: GraphFetch): SocialGraph {
  if (opts.socialGraph) return opts.socialGraph
  const cache = { cacheTtlMs: opts.socialGraphCacheTtlMs, cacheMaxEntries: opts.socialGraphCacheMaxEntries }
  if (opts.appViewUrl) return appViewSocialGraph({ url: opts.appViewUrl, fetch, maxFollows: opts.socialGraphMaxRecords, ...cache })
  return pdsSocialGraph({
    fetch,
    maxRecords: opts.socialGraphMaxRecords,
    ...cache,
    async resolvePds(did) {
      try {
        return (await keys.resolve(did, false)).pds ?? null
      } catch (err) {
        // No such DID, or one we refuse: it has no repo we read. An outage or our own caps: worth a retry.
        if (err instanceof RelayError && (err.code === ErrorCode.AUTH_DID_UNRESOLVABLE || err.code === ErrorCode.AUTH_DID_METHOD_UNSUPPORTED)) return null
        throw err
      }
    },
  })
}

/** Whether `a` and `b` are friends; a graph that cannot be read now is `RelayError` `SOCIAL_GRAPH_UNAVAILABLE` (503). */
export async function friends(graph: SocialGraph, a: string, b: string): Promise<boolean> {
  try {
    return areFriends((await graph.relationships(a, [b])).get(b))
  } catch (err) {
    if (err instanceof RelayError) throw err
    throw new RelayError(ErrorCode.SOCIAL_GRAPH_UNAVAILABLE, err instanceof SocialError ? err.message : 'the social graph cannot be read now', { cause: err })
  }
}
