/**
 * `bitecs-multiuser relay [options]`: runs the relay until SIGINT (close) or SIGTERM (drain, then close).
 * `bitecs-multiuser relay gen-key`: prints a new hex P-256 key for `--signing-key-file` / BITECS_RELAY_SIGNING_KEY.
 * `bitecs-multiuser relay rotate-key [--data-dir D]`: a new key in the data directory, the old one kept for resumes.
 * Every flag has an environment variable (flag name upper-cased, `BITECS_RELAY_` prefix); flags win.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { createRelay } from './relay.js'
import { RELAY_DEFAULTS, type AuthMode, type RelayOptions } from './options.js'
import { generateRelayKeyHex, readRelayKeyFile } from './relay-key.js'
import { defaultDataDir, rotateRelayKey } from './data-dir.js'
import { createLogger } from './logger.js'
import type { IceServer } from '../signaling/contract.js'

/** CLI flags: name -> [type, env var, help, default shown]. */
const FLAGS = {
  port: ['string', 'BITECS_RELAY_PORT', 'TCP port', '8787'],
  host: ['string', 'BITECS_RELAY_HOST', 'interface to bind', RELAY_DEFAULTS.host],
  'public-url': ['string', 'BITECS_RELAY_PUBLIC_URL', 'URL clients reach the relay at', 'http://<host>:<port>/'],
  'service-did': ['string', 'BITECS_RELAY_SERVICE_DID', 'relay DID', 'did:web:<host of public-url>'],
  'service-id': ['string', 'BITECS_RELAY_SERVICE_ID', 'service entry id (tokens may use aud=<did>#<id>)', RELAY_DEFAULTS.serviceId],
  auth: ['string', 'BITECS_RELAY_AUTH', 'required | optional | off', RELAY_DEFAULTS.auth],
  'plc-url': ['string', 'BITECS_RELAY_PLC_URL', 'PLC directory', RELAY_DEFAULTS.plcUrl],
  lxm: ['string', 'BITECS_RELAY_LXM', 'method name tokens must be scoped to', RELAY_DEFAULTS.lxm],
  'allow-missing-lxm': ['boolean', 'BITECS_RELAY_ALLOW_MISSING_LXM', 'accept tokens without lxm', 'false'],
  'allow-private-did-hosts': ['boolean', 'BITECS_RELAY_ALLOW_PRIVATE_DID_HOSTS', 'resolve did:web on private addresses (tests only)', 'false'],
  'max-peers': ['string', 'BITECS_RELAY_MAX_PEERS', 'relay-wide peer slots', String(RELAY_DEFAULTS.maxPeers)],
  'max-peers-per-room': ['string', 'BITECS_RELAY_MAX_PEERS_PER_ROOM', 'peers per room', String(RELAY_DEFAULTS.maxPeersPerRoom)],
  'max-concurrent-handshakes': ['string', 'BITECS_RELAY_MAX_CONCURRENT_HANDSHAKES', 'joins waiting on a key or handle fetch at once', 'max-peers / 4'],
  'max-handshakes-per-address': ['string', 'BITECS_RELAY_MAX_HANDSHAKES_PER_ADDRESS', 'the same, per client address (IPv6: per /64)', String(RELAY_DEFAULTS.maxHandshakesPerAddress)],
  'trusted-proxies': ['string', 'BITECS_RELAY_TRUSTED_PROXIES', 'comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed', 'none'],
  'clock-skew': ['string', 'BITECS_RELAY_CLOCK_SKEW', 'allowed iat skew, seconds', String(RELAY_DEFAULTS.clockSkewSec)],
  'max-token-lifetime': ['string', 'BITECS_RELAY_MAX_TOKEN_LIFETIME', 'longest token lifetime, seconds', String(RELAY_DEFAULTS.maxTokenLifetimeSec)],
  'join-token-ttl': ['string', 'BITECS_RELAY_JOIN_TOKEN_TTL', 'join token lifetime, seconds', String(RELAY_DEFAULTS.joinTokenTtlSec)],
  'ticket-ttl': ['string', 'BITECS_RELAY_TICKET_TTL', 'ticket lifetime, seconds', String(RELAY_DEFAULTS.ticketTtlSec)],
  'headers-timeout': ['string', 'BITECS_RELAY_HEADERS_TIMEOUT', 'HTTP headers timeout (slowloris), ms', String(RELAY_DEFAULTS.headersTimeoutMs)],
  'max-header-bytes': ['string', 'BITECS_RELAY_MAX_HEADER_BYTES', 'largest request headers, bytes', String(RELAY_DEFAULTS.maxHeaderBytes)],
  'handshake-timeout': ['string', 'BITECS_RELAY_HANDSHAKE_TIMEOUT', 'deadline of one join\'s verification, ms', String(RELAY_DEFAULTS.handshakeTimeoutMs)],
  'did-fetch-concurrency': ['string', 'BITECS_RELAY_DID_FETCH_CONCURRENCY', 'fetches to did:web/handle hosts at once', String(RELAY_DEFAULTS.didFetchConcurrency)],
  'did-fetch-concurrency-per-host': ['string', 'BITECS_RELAY_DID_FETCH_CONCURRENCY_PER_HOST', 'the same, per host name', String(RELAY_DEFAULTS.didFetchConcurrencyPerHost)],
  'plc-fetch-concurrency': ['string', 'BITECS_RELAY_PLC_FETCH_CONCURRENCY', 'fetches to the PLC directory at once', String(RELAY_DEFAULTS.plcFetchConcurrency)],
  'did-fetch-max-waiters': ['string', 'BITECS_RELAY_DID_FETCH_MAX_WAITERS', 'joins waiting on one DID\'s document fetch', String(RELAY_DEFAULTS.didFetchMaxWaiters)],
  'idle-timeout': ['string', 'BITECS_RELAY_IDLE_TIMEOUT', 'close a silent socket after, ms', String(RELAY_DEFAULTS.idleTimeoutMs)],
  'write-timeout': ['string', 'BITECS_RELAY_WRITE_TIMEOUT', 'cut a socket that stops reading after, ms', String(RELAY_DEFAULTS.writeTimeoutMs)],
  'rate-limit-burst': ['string', 'BITECS_RELAY_RATE_LIMIT_BURST', 'per-socket token bucket size, messages', String(RELAY_DEFAULTS.rateLimitBurst)],
  'rate-limit-per-sec': ['string', 'BITECS_RELAY_RATE_LIMIT_PER_SEC', 'per-socket token bucket refill, messages/s', String(RELAY_DEFAULTS.rateLimitPerSec)],
  'social-lxm': ['string', 'BITECS_RELAY_SOCIAL_LXM', 'method name social stream tokens must be scoped to', RELAY_DEFAULTS.socialLxm],
  'appview-url': ['string', 'BITECS_RELAY_APPVIEW_URL', 'read the social graph from this AppView (e.g. https://public.api.bsky.app)', 'each player\'s repo on their PDS'],
  'social-graph-cache-ttl': ['string', 'BITECS_RELAY_SOCIAL_GRAPH_CACHE_TTL', 'how long a graph answer is used (and watches re-checked), ms', String(RELAY_DEFAULTS.socialGraphCacheTtlMs)],
  'social-graph-cache-size': ['string', 'BITECS_RELAY_SOCIAL_GRAPH_CACHE_SIZE', 'graph answers cached at most', String(RELAY_DEFAULTS.socialGraphCacheMaxEntries)],
  'social-graph-max-records': ['string', 'BITECS_RELAY_SOCIAL_GRAPH_MAX_RECORDS', 'follows (and blocks) read per repo at most', String(RELAY_DEFAULTS.socialGraphMaxRecords)],
  'social-fetch-concurrency': ['string', 'BITECS_RELAY_SOCIAL_FETCH_CONCURRENCY', 'social graph fetches at once', String(RELAY_DEFAULTS.socialFetchConcurrency)],
  'max-watched-per-socket': ['string', 'BITECS_RELAY_MAX_WATCHED_PER_SOCKET', 'accounts one social socket may watch', String(RELAY_DEFAULTS.maxWatchedPerSocket)],
  'max-invites-per-minute': ['string', 'BITECS_RELAY_MAX_INVITES_PER_MINUTE', 'invites per account per minute', String(RELAY_DEFAULTS.maxInvitesPerMinute)],
  'max-social-sockets': ['string', 'BITECS_RELAY_MAX_SOCIAL_SOCKETS', 'social sockets relay-wide', String(RELAY_DEFAULTS.maxSocialSockets)],
  'max-social-sockets-per-did': ['string', 'BITECS_RELAY_MAX_SOCIAL_SOCKETS_PER_DID', 'social sockets per account', String(RELAY_DEFAULTS.maxSocialSocketsPerDid)],
  'handle-resolver': ['string', 'BITECS_RELAY_HANDLE_RESOLVER', 'resolve handles through this XRPC service (e.g. a development PDS)', 'DNS TXT + https well-known'],
  'no-verify-handles': ['boolean', 'BITECS_RELAY_NO_VERIFY_HANDLES', 'never resolve handles (rosters carry DIDs only)', 'false'],
  'peerjs-path': ['string', 'BITECS_RELAY_PEERJS_PATH', 'PeerJS path under the public URL path', RELAY_DEFAULTS.peerjsPath],
  'peerjs-key': ['string', 'BITECS_RELAY_PEERJS_KEY', 'PeerJS key', RELAY_DEFAULTS.peerjsKey],
  'ice-servers': ['string', 'BITECS_RELAY_ICE_SERVERS', 'JSON array of ICE servers for clients', JSON.stringify(RELAY_DEFAULTS.iceServers)],
  'lobby-lxm': ['string', 'BITECS_RELAY_LOBBY_LXM', 'method name of lobby tokens (room creation, matchmaking)', RELAY_DEFAULTS.lobbyLxm],
  'max-rooms': ['string', 'BITECS_RELAY_MAX_ROOMS', 'rooms in the room directory', String(RELAY_DEFAULTS.maxRooms)],
  'max-rooms-per-creator': ['string', 'BITECS_RELAY_MAX_ROOMS_PER_CREATOR', 'rooms one DID (or anonymous address) holds', String(RELAY_DEFAULTS.maxRoomsPerCreator)],
  'max-room-metadata-bytes': ['string', 'BITECS_RELAY_MAX_ROOM_METADATA_BYTES', 'largest room metadata as JSON (at most 2048)', String(RELAY_DEFAULTS.maxRoomMetadataBytes)],
  'empty-room-ttl': ['string', 'BITECS_RELAY_EMPTY_ROOM_TTL', 'drop a room of the directory left empty after, ms', String(RELAY_DEFAULTS.emptyRoomTtlMs)],
  'lobby-rate-burst': ['string', 'BITECS_RELAY_LOBBY_RATE_BURST', 'lobby requests per address at once', String(RELAY_DEFAULTS.lobbyRateBurst)],
  'lobby-rate-per-sec': ['string', 'BITECS_RELAY_LOBBY_RATE_PER_SEC', 'lobby requests per address, refill per second', String(RELAY_DEFAULTS.lobbyRatePerSec)],
  'max-queued-players': ['string', 'BITECS_RELAY_MAX_QUEUED_PLAYERS', 'players waiting for a match', String(RELAY_DEFAULTS.maxQueuedPlayers)],
  'max-queued-per-address': ['string', 'BITECS_RELAY_MAX_QUEUED_PER_ADDRESS', 'anonymous players waiting from one address', String(RELAY_DEFAULTS.maxQueuedPerAddress)],
  'max-match-queues': ['string', 'BITECS_RELAY_MAX_MATCH_QUEUES', 'queue names with players waiting', String(RELAY_DEFAULTS.maxMatchQueues)],
  'match-queues': ['string', 'BITECS_RELAY_MATCH_QUEUES', 'JSON object: queue name (or *) -> rules { size, timeoutMs, skillRange, ... }', JSON.stringify(RELAY_DEFAULTS.matchQueues)],
  'host-secret-file': ['string', 'BITECS_RELAY_HOST_SECRET_FILE', 'file holding the secret self-hosted hosts register with (at least 16 characters)', 'none'],
  'host-dids': ['string', 'BITECS_RELAY_HOST_DIDS', 'DIDs (comma-separated) that may register as hosts with their own service-auth token', 'none'],
  'host-ttl': ['string', 'BITECS_RELAY_HOST_TTL', 'a host not heard from for this long gets no session, ms', String(RELAY_DEFAULTS.hostTtlMs)],
  'max-hosts': ['string', 'BITECS_RELAY_MAX_HOSTS', 'live hosts in the registry', String(RELAY_DEFAULTS.maxHosts)],
  'turn-urls': ['string', 'BITECS_RELAY_TURN_URLS', 'TURN URLs (comma-separated) handed out with credentials of their own', 'none'],
  'turn-secret-file': ['string', 'BITECS_RELAY_TURN_SECRET_FILE', 'file holding the secret shared with the TURN server (coturn static-auth-secret)', 'none'],
  'turn-ttl': ['string', 'BITECS_RELAY_TURN_TTL', 'TURN credential lifetime, seconds', String(RELAY_DEFAULTS.turnTtlSec)],
  redis: ['string', 'BITECS_RELAY_REDIS', 'redis://host:port: one of several processes sharing rooms on this Redis (README "Scaling out")', 'none (one process)'],
  'redis-key-prefix': ['string', 'BITECS_RELAY_REDIS_KEY_PREFIX', 'prefix of this deployment\'s Redis keys and channels', RELAY_DEFAULTS.redisKeyPrefix],
  'redis-instance-ttl': ['string', 'BITECS_RELAY_REDIS_INSTANCE_TTL', 'a process silent on Redis this long counts as gone, ms', String(RELAY_DEFAULTS.redisInstanceTtlMs)],
  'drain-timeout': ['string', 'BITECS_RELAY_DRAIN_TIMEOUT', 'longest SIGTERM drain (joins in flight, sockets handed over), ms', String(RELAY_DEFAULTS.drainTimeoutMs)],
  'data-dir': ['string', 'BITECS_RELAY_DATA_DIR', 'state directory: the signing key (created on first start), previous keys, admission clock', '$XDG_DATA_HOME/bitecs-multiuser/relay'],
  'signing-key-file': ['string', 'BITECS_RELAY_SIGNING_KEY_FILE', 'file holding a hex P-256 key (relay gen-key); wins over the data directory\'s', 'the data directory\'s'],
  'ephemeral-key': ['boolean', 'BITECS_RELAY_EPHEMERAL_KEY', 'a key in memory only, no data directory (a restart splits rooms; warned)', 'false'],
  'log-level': ['string', 'BITECS_RELAY_LOG_LEVEL', 'pino level', 'info'],
  help: ['boolean', '', 'this help', ''],
} as const

type Flag = keyof typeof FLAGS

export function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, [, env, help, def]]) => `  --${name.padEnd(26)} ${help}${def ? ` (default ${def})` : ''}${env ? `  [${env}]` : ''}`)
  return [
    'usage: bitecs-multiuser relay [options]                 run the signaling relay',
    '       bitecs-multiuser relay gen-key                   print a new hex P-256 signing key',
    '       bitecs-multiuser relay rotate-key [--data-dir D] new key in the data directory (restart the relay to use it)',
    '',
    ...lines,
    '  BITECS_RELAY_SIGNING_KEY                   hex P-256 key (instead of --signing-key-file)',
    '  BITECS_RELAY_TURN_SECRET                   the TURN shared secret (instead of --turn-secret-file)',
    '  BITECS_RELAY_HOST_SECRET                   the host secret (instead of --host-secret-file)',
  ].join('\n')
}

const num = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!(n > 0)) throw new TypeError(`--${name} must be a positive number, got ${v}`)
  return n
}

const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`--${name} must be a non-negative integer, got ${v}`)
  return n
}

/** Parses CLI args + environment into relay options. Exported for tests. */
export async function optionsFromArgs(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ options: RelayOptions; help: boolean }> {
  const { values } = parseArgs({
    args,
    options: Object.fromEntries(Object.entries(FLAGS).map(([k, [type]]) => [k, { type }])) as Record<Flag, { type: 'string' | 'boolean' }>,
    strict: true,
    allowPositionals: false,
  })
  const get = (name: Flag): string | undefined => {
    const v = (values as Record<string, string | boolean | undefined>)[name]
    if (v !== undefined) return String(v)
    const envName = FLAGS[name][1]
    return envName ? env[envName] : undefined
  }
  const bool = (name: Flag) => /^(1|true|yes)$/i.test(get(name) ?? '')
  const auth = get('auth')
  if (auth !== undefined && !['required', 'optional', 'off'].includes(auth)) throw new TypeError(`--auth must be required, optional or off`)
  let iceServers: IceServer[] | undefined
  const ice = get('ice-servers')
  if (ice !== undefined) {
    const parsed: unknown = JSON.parse(ice)
    if (!Array.isArray(parsed)) throw new TypeError('--ice-servers must be a JSON array')
    iceServers = parsed as IceServer[]
  }
  let matchQueues: RelayOptions['matchQueues']
  const queues = get('match-queues')
  if (queues !== undefined) {
    const parsed: unknown = JSON.parse(queues)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('--match-queues must be a JSON object')
    matchQueues = parsed as RelayOptions['matchQueues']
  }
  const turnSecretFile = get('turn-secret-file')
  if (get('turn-urls') && !turnSecretFile && !env.BITECS_RELAY_TURN_SECRET) throw new TypeError('--turn-urls needs the shared secret: --turn-secret-file or BITECS_RELAY_TURN_SECRET')
  const keyFile = get('signing-key-file')
  const signingKey = keyFile ? await readRelayKeyFile(keyFile) : env.BITECS_RELAY_SIGNING_KEY || undefined
  const dataDir = bool('ephemeral-key') ? undefined : (get('data-dir') ?? defaultDataDir(env))
  const options: RelayOptions = {
    port: int('port', get('port')) ?? 8787,
    host: get('host'),
    publicUrl: get('public-url'),
    serviceDid: get('service-did'),
    serviceId: get('service-id'),
    auth: auth as AuthMode | undefined,
    plcUrl: get('plc-url'),
    lxm: get('lxm'),
    allowMissingLxm: bool('allow-missing-lxm'),
    allowPrivateDidHosts: bool('allow-private-did-hosts'),
    maxPeers: int('max-peers', get('max-peers')),
    maxPeersPerRoom: int('max-peers-per-room', get('max-peers-per-room')),
    maxConcurrentHandshakes: int('max-concurrent-handshakes', get('max-concurrent-handshakes')),
    maxHandshakesPerAddress: int('max-handshakes-per-address', get('max-handshakes-per-address')),
    trustedProxies: get('trusted-proxies')?.split(',').map((p) => p.trim()).filter((p) => p !== ''),
    clockSkewSec: int('clock-skew', get('clock-skew')),
    maxTokenLifetimeSec: int('max-token-lifetime', get('max-token-lifetime')),
    joinTokenTtlSec: int('join-token-ttl', get('join-token-ttl')),
    ticketTtlSec: int('ticket-ttl', get('ticket-ttl')),
    headersTimeoutMs: int('headers-timeout', get('headers-timeout')),
    maxHeaderBytes: int('max-header-bytes', get('max-header-bytes')),
    handshakeTimeoutMs: int('handshake-timeout', get('handshake-timeout')),
    didFetchConcurrency: int('did-fetch-concurrency', get('did-fetch-concurrency')),
    didFetchConcurrencyPerHost: int('did-fetch-concurrency-per-host', get('did-fetch-concurrency-per-host')),
    plcFetchConcurrency: int('plc-fetch-concurrency', get('plc-fetch-concurrency')),
    didFetchMaxWaiters: int('did-fetch-max-waiters', get('did-fetch-max-waiters')),
    idleTimeoutMs: int('idle-timeout', get('idle-timeout')),
    writeTimeoutMs: int('write-timeout', get('write-timeout')),
    rateLimitBurst: int('rate-limit-burst', get('rate-limit-burst')),
    rateLimitPerSec: int('rate-limit-per-sec', get('rate-limit-per-sec')),
    socialLxm: get('social-lxm'),
    appViewUrl: get('appview-url'),
    socialGraphCacheTtlMs: int('social-graph-cache-ttl', get('social-graph-cache-ttl')),
    socialGraphCacheMaxEntries: int('social-graph-cache-size', get('social-graph-cache-size')),
    socialGraphMaxRecords: int('social-graph-max-records', get('social-graph-max-records')),
    socialFetchConcurrency: int('social-fetch-concurrency', get('social-fetch-concurrency')),
    maxWatchedPerSocket: int('max-watched-per-socket', get('max-watched-per-socket')),
    maxInvitesPerMinute: int('max-invites-per-minute', get('max-invites-per-minute')),
    maxSocialSockets: int('max-social-sockets', get('max-social-sockets')),
    maxSocialSocketsPerDid: int('max-social-sockets-per-did', get('max-social-sockets-per-did')),
    verifyHandles: !bool('no-verify-handles'),
    handleResolverUrl: get('handle-resolver'),
    peerjsPath: get('peerjs-path'),
    peerjsKey: get('peerjs-key'),
    iceServers,
    lobbyLxm: get('lobby-lxm'),
    maxRooms: int('max-rooms', get('max-rooms')),
    maxRoomsPerCreator: int('max-rooms-per-creator', get('max-rooms-per-creator')),
    maxRoomMetadataBytes: int('max-room-metadata-bytes', get('max-room-metadata-bytes')),
    emptyRoomTtlMs: int('empty-room-ttl', get('empty-room-ttl')),
    lobbyRateBurst: int('lobby-rate-burst', get('lobby-rate-burst')),
    lobbyRatePerSec: num('lobby-rate-per-sec', get('lobby-rate-per-sec')),
    maxQueuedPlayers: int('max-queued-players', get('max-queued-players')),
    maxQueuedPerAddress: int('max-queued-per-address', get('max-queued-per-address')),
    maxMatchQueues: int('max-match-queues', get('max-match-queues')),
    matchQueues,
    hostSecret: get('host-secret-file') ? (await readFile(get('host-secret-file')!, 'utf8')).trim() : env.BITECS_RELAY_HOST_SECRET || undefined,
    hostDids: get('host-dids')?.split(',').map((d) => d.trim()).filter((d) => d !== ''),
    hostTtlMs: int('host-ttl', get('host-ttl')),
    maxHosts: int('max-hosts', get('max-hosts')),
    turnUrls: get('turn-urls')?.split(',').map((u) => u.trim()).filter((u) => u !== ''),
    turnSecret: turnSecretFile ? (await readFile(turnSecretFile, 'utf8')).trim() : env.BITECS_RELAY_TURN_SECRET || undefined,
    turnTtlSec: int('turn-ttl', get('turn-ttl')),
    redis: get('redis') || undefined,
    redisKeyPrefix: get('redis-key-prefix'),
    redisInstanceTtlMs: int('redis-instance-ttl', get('redis-instance-ttl')),
    drainTimeoutMs: int('drain-timeout', get('drain-timeout')),
    signingKey,
    dataDir,
    logger: createLogger({ level: get('log-level') ?? 'info' }),
  }
  return { options, help: bool('help') }
}

export async function main(args: string[]): Promise<number> {
  if (args[0] === 'gen-key') {
    process.stdout.write(`${await generateRelayKeyHex()}\n`)
    return 0
  }
  if (args[0] === 'rotate-key') return rotateKey(args.slice(1))
  let parsed: Awaited<ReturnType<typeof optionsFromArgs>>
  try {
    parsed = await optionsFromArgs(args)
  } catch (err) {
    process.stderr.write(`bitecs-multiuser relay: ${(err as Error).message}\n\n${usage()}\n`)
    return 2
  }
  if (parsed.help) {
    process.stdout.write(`${usage()}\n`)
    return 0
  }
  const relay = createRelay(parsed.options)
  try {
    const { url, did } = await relay.listen()
    const key = relay.signingKeyInfo
    process.stderr.write(`bitecs-multiuser relay: ${url} (${did}), auth ${relay.options.auth}, signing key ${key.source === 'data-dir' ? `${key.path}${key.created ? ' (created)' : ''}` : key.source}\n`)
    if (key.warning) process.stderr.write(`\nbitecs-multiuser relay: WARNING: ${key.warning}\n\n`)
  } catch (err) {
    process.stderr.write(`bitecs-multiuser relay: cannot start: ${(err as Error).message}\n`)
    return 1
  }
  // SIGTERM (systemd stop, a rolling deploy): drain, so clients resume on the other processes. SIGINT, or a second
  // signal during the drain: close at once.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  if (signal === 'SIGTERM') {
    const now = () => void relay.close()
    process.once('SIGINT', now)
    process.once('SIGTERM', now)
    await relay.drain()
  } else await relay.close()
  return 0
}

async function rotateKey(args: string[]): Promise<number> {
  let dir: string
  try {
    const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' } }, strict: true, allowPositionals: false })
    dir = values['data-dir'] ?? process.env.BITECS_RELAY_DATA_DIR ?? defaultDataDir()
  } catch (err) {
    process.stderr.write(`bitecs-multiuser relay rotate-key: ${(err as Error).message}\n\n${usage()}\n`)
    return 2
  }
  try {
    const { did, retired } = await rotateRelayKey(dir)
    process.stdout.write(`${did}\n`)
    process.stderr.write(`bitecs-multiuser relay: new signing key in ${dir}${retired ? `; the old one (${retired}) stays valid for resumes` : ''}. Restart the relay to use it.\n`)
    return 0
  } catch (err) {
    process.stderr.write(`bitecs-multiuser relay rotate-key: ${(err as Error).message}\n`)
    return 1
  }
}
