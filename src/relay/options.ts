/**
 * Relay options. Every limit is a named option; `RELAY_DEFAULTS` holds the documented defaults
 * (README "Run a relay" lists them).
 */
import type { Keypair } from '@atproto/crypto'
import type { Logger } from 'pino'
import type { IceServer } from '../signaling/contract.js'
import { DEFAULT_LXM, DEFAULT_SERVICE_ID } from '../signaling/contract.js'
import type { DidKeyResolver } from './did-key-cache.js'
import type { HandleVerifier } from './handle-verify.js'
import type { ReplayCache } from './replay-cache.js'
import type { SignalRouter } from './signal-router.js'
import { DEFAULT_LOBBY_LXM } from '../signaling/contract.js'
import type { HostRegistry } from './lobby/host-registry.js'
import { MATCH_QUEUE_DEFAULTS, type MatchQueue, type MatchQueueRules } from './lobby/match-queue.js'
import type { RoomDirectory } from './lobby/room-directory.js'
import { DEFAULT_SOCIAL_LXM } from '../signaling/social-contract.js'
import type { SocialGraph } from '../signaling/social-graph.js'
import type { PresenceStore } from './social/presence-store.js'
import type { InviteRouter } from './social/invite-router.js'
import type { RoomPolicies } from './social/room-policy.js'

/** Who the relay admits: signed-in players only, guests too, or anyone without checking. */
export type AuthMode = 'required' | 'optional' | 'off'

/** Options of {@link createRelay}; each limit is documented with its default (see {@link RELAY_DEFAULTS}). */
export interface RelayOptions {
  /** TCP port; 0 picks a free one (default 0 for the API, 8787 for the CLI). */
  port?: number
  /** Interface to bind (default `127.0.0.1`). */
  host?: string
  /** URL clients use to reach the relay (default `http://<host>:<port>/` of the bound host; `localhost` for 0.0.0.0 / ::). */
  publicUrl?: string
  /** The relay's DID (default `did:web:<host of publicUrl>`, port percent-encoded: `did:web:localhost%3A8787` on loopback). */
  serviceDid?: string
  /** Fragment of the relay's service entry in its DID document; tokens may use `aud = <did>#<serviceId>`. */
  serviceId?: string
  /** `required`: ATProto token needed; `optional`: anonymous allowed, a token if given must verify; `off`: all anonymous. */
  auth?: AuthMode
  /** PLC directory for did:plc (default `https://plc.directory`). Trusted: exempt from the private-address check. */
  plcUrl?: string
  /** Method name (`lxm`) tokens must be scoped to. */
  lxm?: string
  /** Accept tokens without `lxm` (a token with a different `lxm` is still refused). */
  allowMissingLxm?: boolean
  /** DID methods accepted as token issuers. */
  didMethods?: string[]
  /** Allow DID documents on private/loopback/link-local addresses (tests only). */
  allowPrivateDidHosts?: boolean
  /** Relay-wide peer slots (connected + admitted-not-yet-connected + being verified). Full → 503 RELAY_FULL. */
  maxPeers?: number
  /** Peers per room (connected + admitted). Full → 409 ROOM_FULL. */
  maxPeersPerRoom?: number
  /**
   * Joins waiting on the network at once (issuer key or handle being fetched), relay-wide (default
   * `max(1, floor(maxPeers / 4))`). More → 503 RELAY_BUSY. A join whose issuer key is cached takes no place.
   */
  maxConcurrentHandshakes?: number
  /** The same, per client address (an IPv6 address counts as its /64). More → 503 RELAY_BUSY. */
  maxHandshakesPerAddress?: number
  /** Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` names the client (for the per-address cap). */
  trustedProxies?: string[]
  /** Longest time one join may spend in verification (token, DID document, handle), ms. Over → 503 AUTH_TIMEOUT. */
  handshakeTimeoutMs?: number
  /** Concurrent fetches to one untrusted host name (did:web documents, handle well-knowns; ports share it). More → 503 RELAY_BUSY. */
  didFetchConcurrencyPerHost?: number
  /** Concurrent fetches to untrusted hosts, relay-wide. More → 503 RELAY_BUSY (never negatively cached). */
  didFetchConcurrency?: number
  /** Concurrent fetches to the PLC directory (a budget apart from `didFetchConcurrency`). More → 503 RELAY_BUSY. */
  plcFetchConcurrency?: number
  /** Joins that may wait on one DID's document fetch (or one handle's resolution) at once. More → 503 RELAY_BUSY. */
  didFetchMaxWaiters?: number
  /** Allowed clock skew for `iat` and `nbf` in the future, seconds. */
  clockSkewSec?: number
  /** Longest accepted token lifetime (`exp - now`), seconds; bounds the replay cache. */
  maxTokenLifetimeSec?: number
  /** Longest accepted `Authorization` token, bytes. */
  maxTokenBytes?: number
  /** Lifetime of a join token (single use), seconds. */
  joinTokenTtlSec?: number
  /** Lifetime of a ticket, seconds. */
  ticketTtlSec?: number
  /** DID key cache: entry lifetime (ms) and size. */
  didCacheTtlMs?: number
  /** DID key cache: most entries. */
  didCacheMaxEntries?: number
  /** How long a definite DID resolution failure (no document, no usable key) is remembered (ms). Outages (timeout, 429, 5xx) are not. */
  didNegativeCacheTtlMs?: number
  /** A forced key refresh (signature mismatch) reuses a fetch, or failed attempt, younger than this (ms): bounds refetch amplification. */
  didMinRefreshIntervalMs?: number
  /** How long past its expiry a cached key is still used while its refetch fails transiently (timeout, 429, 5xx), ms. */
  didStaleIfErrorMs?: number
  /** DID document fetch timeout (ms) and body cap (bytes, streamed). */
  didFetchTimeoutMs?: number
  /** Largest DID document read, bytes. */
  didDocMaxBytes?: number
  /** Max (iss, jti) pairs remembered; when full of live entries new tokens get 503 RELAY_BUSY (fail closed). */
  replayCacheMaxEntries?: number
  /** Verify handles (DID doc claim ↔ handle resolution) before putting them in tickets and rosters. */
  verifyHandles?: boolean
  /**
   * Resolve handles through this XRPC service (`com.atproto.identity.resolveHandle`, e.g. `https://bsky.social` or a
   * development PDS) instead of DNS TXT + `https://<handle>/.well-known/atproto-did`. Trusted like `plcUrl`.
   */
  handleResolverUrl?: string
  /** PeerJS path under the public URL's path (default `/`: socket at `/peerjs`, id at `/peerjs/id`). */
  peerjsPath?: string
  /** PeerJS API key clients must present (default `peerjs`, the client's default). */
  peerjsKey?: string
  /** ICE servers handed to clients in the join result. */
  iceServers?: IceServer[]
  /**
   * TURN servers sharing `turnSecret` with the relay (coturn `use-auth-secret`): each join answer adds them to
   * `iceServers` with credentials of its own, valid `turnTtlSec` (default 6 h). Without both, no TURN is handed out.
   */
  turnUrls?: string[]
  /** The secret the relay shares with the TURN servers (coturn `static-auth-secret`). */
  turnSecret?: string
  /** How long each join's TURN credentials are valid, s. Default 6 h. */
  turnTtlSec?: number
  /** WebSocket frame cap, bytes. */
  maxPayloadBytes?: number
  /** Longest `dst` peer id accepted in a signal, bytes. */
  maxPeerIdBytes?: number
  /** Invalid messages (malformed, binary, forged control, unknown type; not those over a rate limit) before the socket is closed. */
  maxInvalidMessages?: number
  /** A socket with unflushed writes that makes no write progress for this long (slow reader) is closed, ms. */
  writeTimeoutMs?: number
  /** Messages waiting to be written to one socket; more are dropped and count as a strike against that socket. */
  maxQueuedPerTarget?: number
  /** Dropped-for-a-full-queue strikes after which the relay stops delivering to a socket and closes it (SLOW_CONSUMER). */
  maxTargetStrikes?: number
  /** Length of the per-sender windows below, ms. */
  signalWindowMs?: number
  /** Signals one socket may send to one target per window; more are dropped. */
  maxSignalsPerTargetPerWindow?: number
  /** Distinct target ids one socket may signal per window; one more closes the socket (TOO_MANY_TARGETS). */
  maxDistinctTargetsPerWindow?: number
  /** Per-socket token bucket over every client message: capacity (burst)... */
  rateLimitBurst?: number
  /** ...and refill rate, messages per second. A message over the bucket is dropped and counted (`rate_limited`), never invalid. */
  rateLimitPerSec?: number
  /** Close a socket silent for this long (ms), checked every 1/20 of it; the peerjs client heartbeats every 5 s. */
  idleTimeoutMs?: number
  /** Server WebSocket ping interval (ms). */
  pingIntervalMs?: number
  /** HTTP headers timeout (slowloris), ms. */
  headersTimeoutMs?: number
  /** Largest accepted request headers, bytes. More → 431 HEADERS_TOO_LARGE. */
  maxHeaderBytes?: number
  /** `Access-Control-Allow-Origin` for the join API (default `*`: no cookies are used). */
  corsOrigin?: string
  /** Ticket signing key: a keypair, or a hex P-256 private key. Default: the data directory's, else one in memory (warned). */
  signingKey?: Keypair | string
  /**
   * Directory of the relay's state: its signing key (created there on the first start, used when `signingKey` is
   * not given), `previous-keys` and the admission clock. Default: none from code (the key then lives in memory, and
   * the relay warns); the CLI's default is `$XDG_DATA_HOME/bitecs-multiuser/relay`.
   */
  dataDir?: string
  /** did:keys of retired signing keys: resume tokens they signed are still honoured (key rotation). */
  previousKeys?: string[]
  // ---- lobby and matchmaking (README "Lobbies and matchmaking") ----
  /** Method name (`lxm`) of the tokens of lobby calls (`POST /v1/rooms`, `POST /v1/matchmaking`). */
  lobbyLxm?: string
  /** Rooms in the directory at once (created, matchmade, rebuilt). Full → 503 LOBBY_FULL. */
  maxRooms?: number
  /** Rooms one creator (its DID; anonymous: its client address) holds at once. More → 429 ROOM_LIMIT. */
  maxRoomsPerCreator?: number
  /** Largest room metadata as JSON (UTF-8 bytes, at most 2048: a room's options ride in its members' resume tokens). More → 413 ROOM_METADATA_TOO_LARGE. */
  maxRoomMetadataBytes?: number
  /** A room of the directory with nobody connected is dropped after this long, ms (a created room waits this long for its first player). */
  emptyRoomTtlMs?: number
  /** Life of an invite token of an invite-only room, seconds. */
  inviteTtlSec?: number
  /** Lobby requests per client address (room list, creation, matchmaking, password attempts): token bucket capacity... */
  lobbyRateBurst?: number
  /** ...and refill, requests per second. Over → 429 RATE_LIMITED. */
  lobbyRatePerSec?: number
  /** Client addresses the lobby rate limiter remembers (the least recently seen are forgotten first). */
  lobbyRateMaxAddresses?: number
  /** Players waiting for a match, relay-wide. More → 503 MATCH_QUEUE_FULL. */
  maxQueuedPlayers?: number
  /** Anonymous players waiting from one client address (a DID waits once: queueing again ends its earlier wait). More → 429 MATCH_LIMIT. */
  maxQueuedPerAddress?: number
  /** Queue names with players waiting at once. More → 503 MATCH_QUEUE_FULL. */
  maxMatchQueues?: number
  /**
   * Matchmaking queues by name, each a partial `MatchQueueRules` over `MATCH_QUEUE_DEFAULTS`; `*` is the rule of every
   * name not listed (remove it to accept only the listed queues: others get 404 MATCH_QUEUE_UNKNOWN).
   */
  matchQueues?: Record<string, Partial<MatchQueueRules>>
  /** How often the matchmaker looks for matches as skill ranges widen, and drops waits past their timeout, ms. */
  matchTickMs?: number
  /** A `: keep-alive` comment on every matchmaking stream (and host registration stream) this often, ms (keeps proxies from closing it). */
  matchKeepaliveMs?: number
  // --- host registry (README "Hand-off to hosts") ---
  /** The shared secret a self-hosted host registers with (`Authorization: HostSecret <secret>`); unset: none does. */
  hostSecret?: string
  /** DIDs that may register as hosts with a service-auth token of theirs (scoped to `lobbyLxm`). Default none. */
  hostDids?: string[]
  /** A host not heard from (heartbeat) for this long is no longer handed sessions, ms. */
  hostTtlMs?: number
  /** Live hosts held at most. More → 503 HOSTS_FULL. */
  maxHosts?: number
  // --- social: presence, invites, friends-only rooms (README "Friends, presence and invites") ---
  /** Method name (`lxm`) of the tokens that open the social stream (`AUTH`). */
  socialLxm?: string
  /**
   * Read the social graph from this AppView (`app.bsky.graph.getRelationships`, e.g. `https://public.api.bsky.app`;
   * trusted like `plcUrl`) instead of every player's repo on their PDS.
   */
  appViewUrl?: string
  /** How long a graph answer (a repo's follows and blocks, or a pair's relationship) is used, ms; also how often watched friendships are re-checked. */
  socialGraphCacheTtlMs?: number
  /** Graph answers cached at most (repos, or pairs for the AppView). */
  socialGraphCacheMaxEntries?: number
  /** Records read per repo and collection (follows, blocks) at most; accounts past it count as neither followed nor blocked. */
  socialGraphMaxRecords?: number
  /** Graph fetches (repos, DID documents go through the DID cache's budget) at once, relay-wide, apart from admission's budget. */
  socialFetchConcurrency?: number
  /** Accounts one social socket may watch, and newly watch per `signalWindowMs`. More → SOCIAL_TOO_MANY_WATCHED (the watch list is unchanged). */
  maxWatchedPerSocket?: number
  /** Invites one account may send per minute (token bucket). More → SOCIAL_RATE_LIMITED. */
  maxInvitesPerMinute?: number
  /** Social sockets relay-wide. More → SOCIAL_FULL (the socket is refused). */
  maxSocialSockets?: number
  /** Social sockets per account. More → SOCIAL_FULL (the socket is refused). */
  maxSocialSocketsPerDid?: number
  /**
   * `redis://[user:pass@]host:port[/db]` (or `rediss://` for TLS): run as one of several processes on this Redis
   * (README "Scaling out"). Rooms, admissions, the `jti` replay cache and friends-only policies are then shared, and
   * signals cross processes over pub/sub, so any process admits any player to any room. Default: none (one process).
   */
  redis?: string
  /** Prefix of every Redis key and channel of this deployment (several deployments may share one Redis). */
  redisKeyPrefix?: string
  /**
   * A process that has not refreshed its key for this long (ms) counts as gone: a survivor removes its peers that did
   * not resume elsewhere and tells their rooms. Heartbeat every third of it.
   */
  redisInstanceTtlMs?: number
  /**
   * The longest a drain (SIGTERM, `relay.drain()`) waits for joins being verified and for handed-over sockets to
   * close, ms; then the process closes whatever is left.
   */
  drainTimeoutMs?: number
  /** pino logger (default: pino at level `info` to stdout). */
  logger?: Logger
  /** Pluggable subsystems (in-process defaults). */
  replayCache?: ReplayCache
  /** Resolves DIDs to keys (default: the in-process cache). */
  didKeyResolver?: DidKeyResolver
  /** Verifies handles (default: the in-process cache). */
  handleVerifier?: HandleVerifier
  /** Routes signals between sockets (default: in-process). */
  signalRouter?: SignalRouter
  /** The room directory (default: in-process, {@link LocalRoomDirectory}; with `redis`, shared by every process). */
  roomDirectory?: RoomDirectory
  /** The matchmaking queues (default: in-process, {@link LocalMatchQueue}; with `redis`, one matchmaker for every process). */
  matchQueue?: MatchQueue
  /** The registry of hosts sessions are handed to (default: in-process, {@link LocalHostRegistry} of `maxHosts`, `hostTtlMs`). */
  hostRegistry?: HostRegistry
  /** The social graph (default: repos read from each PDS, or the AppView at `appViewUrl`). */
  socialGraph?: SocialGraph
  /** Keeps and watches the presence of online players (default: in-process, {@link LocalPresenceStore}). */
  presenceStore?: PresenceStore
  /** Delivers invites to their recipient's social sockets (default: in-process, {@link LocalInviteRouter}). */
  inviteRouter?: InviteRouter
  /** Remembers which rooms are friends-only (default: in-process, {@link LocalRoomPolicies}); keep it with the rooms' slots. */
  roomPolicies?: RoomPolicies
}

/** Options that are objects or derived at listen time, not plain defaults. */
type Pluggable =
  | 'publicUrl' | 'serviceDid' | 'signingKey' | 'dataDir' | 'previousKeys' | 'logger' | 'replayCache' | 'didKeyResolver' | 'handleVerifier'
  | 'handleResolverUrl' | 'signalRouter' | 'appViewUrl' | 'socialGraph' | 'presenceStore' | 'inviteRouter' | 'roomPolicies'
  | 'roomDirectory' | 'matchQueue' | 'hostSecret' | 'hostRegistry' | 'redis'
/** The options in force: every default filled in. */
export type ResolvedRelayOptions = Required<Omit<RelayOptions, Pluggable>> & Pick<RelayOptions, Pluggable>

/** The default of every relay option. */
export const RELAY_DEFAULTS: Readonly<Omit<ResolvedRelayOptions, Pluggable | 'maxConcurrentHandshakes'>> = {
  port: 0,
  host: '127.0.0.1',
  serviceId: DEFAULT_SERVICE_ID,
  auth: 'required',
  plcUrl: 'https://plc.directory',
  lxm: DEFAULT_LXM,
  allowMissingLxm: false,
  didMethods: ['plc', 'web'],
  allowPrivateDidHosts: false,
  maxPeers: 512,
  maxPeersPerRoom: 64,
  clockSkewSec: 30,
  maxTokenLifetimeSec: 3600,
  maxTokenBytes: 8192,
  joinTokenTtlSec: 30,
  ticketTtlSec: 86_400,
  didCacheTtlMs: 5 * 60_000,
  didCacheMaxEntries: 10_000,
  didNegativeCacheTtlMs: 60_000,
  didMinRefreshIntervalMs: 10_000,
  didStaleIfErrorMs: 10 * 60_000,
  didFetchTimeoutMs: 5_000,
  didDocMaxBytes: 256 * 1024,
  replayCacheMaxEntries: 100_000,
  verifyHandles: true,
  peerjsPath: '/',
  peerjsKey: 'peerjs',
  iceServers: [{ urls: 'stun:stun.l.google.com:19302' }],
  turnUrls: [],
  turnSecret: '',
  turnTtlSec: 6 * 3600,
  redisKeyPrefix: 'bitecs-relay:',
  redisInstanceTtlMs: 3000,
  drainTimeoutMs: 10_000,
  maxPayloadBytes: 64 * 1024,
  maxPeerIdBytes: 512,
  maxInvalidMessages: 10,
  idleTimeoutMs: 120_000,
  pingIntervalMs: 30_000,
  headersTimeoutMs: 10_000,
  maxHeaderBytes: 16 * 1024,
  handshakeTimeoutMs: 15_000,
  didFetchConcurrencyPerHost: 10,
  didFetchConcurrency: 50,
  plcFetchConcurrency: 32,
  didFetchMaxWaiters: 8,
  maxHandshakesPerAddress: 8,
  trustedProxies: [],
  writeTimeoutMs: 5_000,
  maxQueuedPerTarget: 256,
  maxTargetStrikes: 50,
  signalWindowMs: 10_000,
  maxSignalsPerTargetPerWindow: 64,
  maxDistinctTargetsPerWindow: 256,
  rateLimitBurst: 500,
  rateLimitPerSec: 20,
  corsOrigin: '*',
  lobbyLxm: DEFAULT_LOBBY_LXM,
  maxRooms: 1024,
  maxRoomsPerCreator: 4,
  maxRoomMetadataBytes: 1024,
  emptyRoomTtlMs: 120_000,
  inviteTtlSec: 86_400,
  lobbyRateBurst: 30,
  lobbyRatePerSec: 2,
  lobbyRateMaxAddresses: 10_000,
  maxQueuedPlayers: 4096,
  maxQueuedPerAddress: 8,
  maxMatchQueues: 64,
  matchQueues: { '*': {} },
  matchTickMs: 250,
  matchKeepaliveMs: 15_000,
  hostDids: [],
  hostTtlMs: 15_000,
  maxHosts: 256,
  socialLxm: DEFAULT_SOCIAL_LXM,
  socialGraphCacheTtlMs: 60_000,
  socialGraphCacheMaxEntries: 10_000,
  socialGraphMaxRecords: 10_000,
  socialFetchConcurrency: 32,
  maxWatchedPerSocket: 500,
  maxInvitesPerMinute: 10,
  maxSocialSockets: 512,
  maxSocialSocketsPerDid: 4,
}

export function resolveOptions(opts: RelayOptions): ResolvedRelayOptions {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as RelayOptions
  const maxPeers = defined.maxPeers ?? RELAY_DEFAULTS.maxPeers
  const merged: ResolvedRelayOptions = {
    ...RELAY_DEFAULTS,
    didMethods: [...RELAY_DEFAULTS.didMethods],
    trustedProxies: [...RELAY_DEFAULTS.trustedProxies],
    iceServers: [...RELAY_DEFAULTS.iceServers],
    matchQueues: { ...RELAY_DEFAULTS.matchQueues },
    hostDids: [...RELAY_DEFAULTS.hostDids],
    maxConcurrentHandshakes: Math.max(1, Math.floor(maxPeers / 4)),
    ...defined,
  }
  if (!['required', 'optional', 'off'].includes(merged.auth)) throw new TypeError(`auth must be required|optional|off, got ${String(merged.auth)}`)
  for (const k of ['maxPeers', 'maxPeersPerRoom', 'maxConcurrentHandshakes', 'joinTokenTtlSec', 'ticketTtlSec', 'maxPayloadBytes', 'maxInvalidMessages',
    'handshakeTimeoutMs', 'didFetchConcurrencyPerHost', 'didFetchConcurrency', 'plcFetchConcurrency', 'didFetchMaxWaiters',
    'maxHandshakesPerAddress', 'maxHeaderBytes', 'writeTimeoutMs', 'maxQueuedPerTarget', 'maxTargetStrikes',
    'signalWindowMs', 'maxSignalsPerTargetPerWindow', 'maxDistinctTargetsPerWindow', 'rateLimitBurst', 'socialGraphCacheTtlMs',
    'socialGraphCacheMaxEntries', 'socialGraphMaxRecords', 'socialFetchConcurrency', 'maxWatchedPerSocket', 'maxInvitesPerMinute',
    'maxSocialSockets', 'maxSocialSocketsPerDid',
    'maxRooms', 'maxRoomsPerCreator', 'maxRoomMetadataBytes', 'emptyRoomTtlMs', 'inviteTtlSec', 'lobbyRateBurst', 'lobbyRateMaxAddresses',
    'maxQueuedPlayers', 'maxQueuedPerAddress', 'maxMatchQueues', 'matchTickMs', 'matchKeepaliveMs', 'hostTtlMs', 'maxHosts', 'redisInstanceTtlMs', 'drainTimeoutMs'] as const) {
    const v = merged[k]
    if (!Number.isInteger(v) || v < 1) throw new TypeError(`${k} must be a positive integer, got ${String(v)}`)
  }
  if (!(merged.rateLimitPerSec > 0)) throw new TypeError(`rateLimitPerSec must be positive, got ${String(merged.rateLimitPerSec)}`)
  if (!(merged.lobbyRatePerSec > 0)) throw new TypeError(`lobbyRatePerSec must be positive, got ${String(merged.lobbyRatePerSec)}`)
  for (const k of ['lxm', 'socialLxm', 'lobbyLxm'] as const) {
    if (!/^[a-z][a-z0-9.]*(\.[A-Za-z][A-Za-z0-9]*)+$/.test(merged[k])) throw new TypeError(`${k} must be an NSID, got ${merged[k]}`)
  }
  if (merged.socialLxm === merged.lxm) throw new TypeError('socialLxm must differ from lxm: a join token must not open the social stream')
  if (merged.lobbyLxm === merged.lxm) throw new TypeError('lobbyLxm must differ from lxm (a join token must not open lobby calls, nor the reverse)')
  if (merged.maxRoomMetadataBytes > 2048) throw new TypeError(`maxRoomMetadataBytes must be at most 2048, got ${merged.maxRoomMetadataBytes}`)
  for (const [name, rules] of Object.entries(merged.matchQueues)) checkQueueRules(name, rules, merged.maxPeersPerRoom)
  if (merged.hostSecret !== undefined && merged.hostSecret.length < 16) throw new TypeError('hostSecret must be at least 16 characters')
  if (!Array.isArray(merged.hostDids) || !merged.hostDids.every((d) => typeof d === 'string' && d.startsWith('did:'))) throw new TypeError('hostDids must be a list of DIDs')
  return merged
}

/** Throws when a queue's rules (over the defaults) are not usable. */
function checkQueueRules(name: string, rules: Partial<MatchQueueRules>, maxPeersPerRoom: number): void {
  if (name !== '*' && !/^[A-Za-z0-9._~-]{1,64}$/.test(name)) throw new TypeError(`matchQueues: ${name} is not a queue name (1-64 of A-Z a-z 0-9 . _ ~ -)`)
  const r = resolveQueueRules(rules)
  if (!Number.isInteger(r.size) || r.size < 2 || r.size > maxPeersPerRoom) throw new TypeError(`matchQueues.${name}.size must be an integer from 2 to maxPeersPerRoom (${maxPeersPerRoom})`)
  for (const k of ['timeoutMs', 'maxWaiting'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new TypeError(`matchQueues.${name}.${k} must be a positive integer`)
  }
  for (const k of ['skillRange', 'skillWidenPerSec', 'skillMaxRange'] as const) {
    if (!(r[k] >= 0)) throw new TypeError(`matchQueues.${name}.${k} must be a non-negative number`)
  }
  if (!Array.isArray(r.sameAttributes) || !r.sameAttributes.every((a) => typeof a === 'string')) throw new TypeError(`matchQueues.${name}.sameAttributes must be a list of attribute names`)
}

/** A queue's rules: the given ones over `MATCH_QUEUE_DEFAULTS`. */
export function resolveQueueRules(rules: Partial<MatchQueueRules>): MatchQueueRules {
  const defined = Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined)) as Partial<MatchQueueRules>
  return { ...MATCH_QUEUE_DEFAULTS, ...defined, sameAttributes: [...(defined.sameAttributes ?? MATCH_QUEUE_DEFAULTS.sameAttributes)] }
}

/**
 * Default public URL for a bound host and port: the bound host itself (`http://127.0.0.1:8787/` when bound to
 * 127.0.0.1, so what the relay advertises is what it listens on), `localhost` for the wildcard addresses.
 */
export function defaultPublicUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://localhost:${port}/`
  const bare = host.replace(/^\[|\]$/g, '')
  return `http://${bare.includes(':') ? `[${bare}]` : bare}:${port}/`
}

/**
 * `did:web:<host>` for a URL, percent-encoding the port. Path prefixes are not part of it. A did:web names a host,
 * never an IP address (ATProto refuses `did:web:127.0.0.1…` as a token audience), so a loopback address gives
 * `did:web:localhost%3A<port>`, which resolves to the same relay.
 */
export function didWebFromUrl(url: string): string {
  const u = new URL(url)
  const host = /^(127\.\d+\.\d+\.\d+|\[::1\])$/.test(u.hostname) ? 'localhost' : u.hostname
  return `did:web:${host}${u.port ? `%3A${u.port}` : ''}`
}
