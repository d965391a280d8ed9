/**
 * The social graph, one definition for both sides: the relay (who may see whose presence, who may invite whom, who
 * may enter a friends-only room) and the client (the friends list). A **friend** is a mutual follow
 * (`app.bsky.graph.follow` in both repos) with no block either way (`app.bsky.graph.block` in either repo, or, where
 * the AppView knows them, a block list). `SocialGraph` is the seam; `pdsSocialGraph` (every repo read from its own
 * PDS, no AppView needed) and `appViewSocialGraph` (`app.bsky.graph.getRelationships`) implement it.
 */
import { AuthErrorCode, SocialError } from '../shared/errors.js'
import { isRecord } from './jwt-parts.js'

/** How one account (the actor) relates to another, both ways. */
export interface Relationship {
  /** The actor follows the other. */
  following: boolean
  /** The other follows the actor. */
  followedBy: boolean
  /** The actor blocks the other. */
  blocking: boolean
  /** The other blocks the actor. */
  blockedBy: boolean
}

export interface SocialGraph {
  /**
   * How `actor` relates to each of `others` (DIDs; every one of them is in the answer). Throws `SocialError`
   * `SOCIAL_GRAPH_UNAVAILABLE` when a repo or the AppView cannot be read now; an account that does not exist (or has
   * no repo) follows and blocks no one.
   */
  relationships(actor: string, others: readonly string[]): Promise<Map<string, Relationship>>
  /** The DIDs `actor` follows (up to the implementation's cap). Throws like `relationships`. */
  follows(actor: string): Promise<string[]>
  /** Entries in its cache now (for metrics), where it has one. */
  readonly cacheSize?: number
}

/** Friends: they follow each other and neither blocks the other. */
export function areFriends(r: Relationship | undefined): boolean {
  return !!r && r.following && r.followedBy && !r.blocking && !r.blockedBy
}

/** `actor`'s friends (mutual follows, no block either way), among the accounts it follows. */
export async function friendsOf(graph: SocialGraph, actor: string): Promise<string[]> {
  const follows = await graph.follows(actor)
  const rels = await graph.relationships(actor, follows)
  return follows.filter((did) => areFriends(rels.get(did)))
}

/** A DID as ATProto writes them (`did:<method>:<id>`), bounded in length. */
export function isDid(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 2048 && /^did:[a-z]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._-]$/.test(v)
}

/** Fetches a URL (GET) and answers a `Response`: `fetch` itself, or the relay's SSRF-safe one. */
export type GraphFetch = (url: string) => Promise<Response>

/**
 * GET of an XRPC query on `base`: the JSON body, or `null` for a definite refusal (a 4xx: the repo does not exist, is
 * deactivated, the actor is unknown). No answer, a 429 or a 5xx throw `SOCIAL_GRAPH_UNAVAILABLE` (worth a retry).
 */
export async function xrpcGet(fetchFn: GraphFetch, base: string, nsid: string, params: [string, string][]): Promise<Record<string, unknown> | null> {
  const url = new URL(`xrpc/${nsid}`, base.endsWith('/') ? base : `${base}/`)
  for (const [k, v] of params) url.searchParams.append(k, v)
  let res: Response
  try {
    res = await fetchFn(url.href)
  } catch (err) {
    throw new SocialError(AuthErrorCode.SOCIAL_GRAPH_UNAVAILABLE, `${nsid} at ${url.origin}: ${(err as Error).message}`, { cause: err })
  }
  if (res.status === 429 || res.status >= 500) {
    await res.body?.cancel()
    throw new SocialError(AuthErrorCode.SOCIAL_GRAPH_UNAVAILABLE, `${nsid} at ${url.origin} answered ${res.status}`)
  }
  const body: unknown = await res.json().catch(() => null)
  if (!res.ok) return null
  return isRecord(body) ? body : null
}

/** Runs `fn` over `items` with at most `limit` calls in flight; the results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
