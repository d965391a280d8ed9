/**
 * The relay's social layer, assembled: the graph (with a fetch budget of its own), presence, invites and their
 * per-account allowance, and, once the relay listens, the social socket server. `createRelay` owns one.
 */
import { TtlCache } from '../../signaling/ttl-cache.js'
import type { SocialGraph } from '../../signaling/social-graph.js'
import type { RelayContext } from '../context.js'
import { createSafeFetch } from '../did-fetch.js'
import type { DidKeyResolver } from '../did-key-cache.js'
import { FetchLimiter } from '../fetch-limiter.js'
import type { TokenVerifier } from '../jwt-verify.js'
import type { RelayMetrics } from '../metrics.js'
import type { ResolvedRelayOptions } from '../options.js'
import { TokenBucket } from '../rate-limit.js'
import { relaySocialGraph } from './graph.js'
import { LocalInviteRouter, type InviteRouter } from './invite-router.js'
import { LocalPresenceStore, type PresenceStore } from './presence-store.js'
import { PresenceTracker } from './presence-tracker.js'
import { createSocialServer, type SocialServer } from './social-server.js'

export interface SocialLayer {
  graph: SocialGraph
  store: PresenceStore
  tracker: PresenceTracker
  /** The social socket server, for a listening relay (its context and the social `lxm`'s token verifier). */
  listen(ctx: RelayContext, verifyToken: TokenVerifier): SocialServer
  close(): Promise<void>
}

/** Presence and invites shared with other processes (with `redis`), used unless the options plug others in. */
export interface SharedSocial {
  store: PresenceStore
  invites: InviteRouter
  /** The tracker over `store`. */
  tracker: PresenceTracker
}

export function createSocialLayer(opts: ResolvedRelayOptions, keys: DidKeyResolver, metrics: RelayMetrics, shared?: SharedSocial): SocialLayer {
  // The graph's fetches (players' repos, the AppView): a budget of their own, so graph lookups never starve admission.
  const fetcher = createSafeFetch({
    limiter: new FetchLimiter(
      { perHost: opts.didFetchConcurrencyPerHost, global: opts.socialFetchConcurrency, trusted: opts.socialFetchConcurrency },
      (scope) => metrics.didFetchesLimited.inc({ scope: scope === 'plc' ? 'social_appview' : `social_${scope}` }),
    ),
    allowPrivateHosts: opts.allowPrivateDidHosts,
    trustedOrigins: opts.appViewUrl ? [opts.appViewUrl] : [],
    timeoutMs: opts.didFetchTimeoutMs,
    maxBodyBytes: opts.didDocMaxBytes,
  })
  const graph = relaySocialGraph(opts, keys, (url) => fetcher.fetch(url))
  const store = opts.presenceStore ?? shared?.store ?? new LocalPresenceStore()
  const tracker = shared && store === shared.store ? shared.tracker : new PresenceTracker(store)
  const invites = opts.inviteRouter ?? shared?.invites ?? new LocalInviteRouter()
  const allowances = new TtlCache<string, TokenBucket>({ ttlMs: 60_000, maxEntries: 2 * opts.maxSocialSockets })
  const takeInvite = (did: string): boolean => {
    const bucket = allowances.get(did) ?? new TokenBucket(opts.maxInvitesPerMinute, opts.maxInvitesPerMinute / 60)
    allowances.set(did, bucket)
    return bucket.take()
  }
  let server: SocialServer | undefined
  return {
    graph,
    store,
    tracker,
    listen(ctx, verifyToken) {
      return (server = createSocialServer({ ctx, verifyToken, graph, store, invites, tracker, takeInvite }))
    },
    async close() {
      await server?.closeAll()
      await fetcher.close()
    },
  }
}
