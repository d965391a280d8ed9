/**
 * `createRelay(options)`: the ATProto-gated, PeerJS-compatible signaling relay.
 *
 *   const relay = createRelay({ auth: 'required', publicUrl: 'https://relay.example' })
 *   await relay.listen()
 *   relay.url, relay.did          // public URL, did:web
 *   await relay.close()
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { Logger } from 'pino'
import { clientAddressResolver } from './client-address.js'
import type { RelayContext } from './context.js'
import { CachingDidKeyResolver, handleResolverFrom, identityFetcher, type DidKeyResolver } from './did-key-cache.js'
import { createSafeFetch } from './did-fetch.js'
import { FetchLimiter } from './fetch-limiter.js'
import { relayDidDocument, type RelayDidDocument } from './did-document.js'
import { CachingHandleVerifier, noHandles, xrpcHandleResolver } from './handle-verify.js'
import { LocalHandshakeBudget } from './handshake-budget.js'
import { createHttpServer } from './http-server.js'
import { PendingJoins, type PendingJoin, type PendingJoinStore } from './join-tokens.js'
import { createTokenVerifier } from './jwt-verify.js'
import { createLogger } from './logger.js'
import { RelayMetrics } from './metrics.js'
import { defaultPublicUrl, didWebFromUrl, resolveOptions, type RelayOptions, type ResolvedRelayOptions } from './options.js'
import { createPeerJsServer, type PeerJsServer } from './peerjs-socket.js'
import { openRelayState, type RelayState, type SigningKeyInfo } from './data-dir.js'
import { MemoryReplayCache } from './replay-cache.js'
import { LocalSignalRouter, type SignalRouter } from './signal-router.js'
import { RoomSlots, SlotPool, type RoomSlotPool } from './slots.js'
import { createRedisScaleOut } from './redis/redis-scale-out.js'
import { ControlMessageType } from '../signaling/contract.js'
import { createLobby, type Lobby } from './lobby/lobby.js'
import { LocalRoomPolicies } from './social/room-policy.js'
import { createSocialLayer } from './social/social-layer.js'
import type { SocialServer } from './social/social-server.js'

/** A snapshot of a relay's load. */
export interface RelayStats {
  /** Registered PeerJS sockets. */
  sockets: number
  /** Rooms with at least one socket. */
  rooms: number
  /** Relay-wide slots held (verifying + admitted + connected). */
  slotsInUse: number
  /** Room slots held, all rooms. */
  roomSlotsInUse: number
  /** Admissions waiting for their socket. */
  pendingJoins: number
  /** Joins waiting on the network now (places held in the handshake budget). */
  handshakesInFlight: number
}

/** A running relay (from {@link createRelay}). */
export interface Relay {
  /** Starts listening; resolves with the public URL and DID. */
  listen(): Promise<{ url: string; did: string }>
  /** Stops accepting, closes sockets, releases everything. */
  close(): Promise<void>
  /**
   * Graceful drain (the CLI's SIGTERM): refuses new joins (503 `RELAY_DRAINING`), stops listening, lets the joins being
   * verified finish, closes every peer socket with WebSocket code 1012 (reason `RELAY_DRAINING`) so its client resumes
   * on another process with its peer id, waits for them (at most `drainTimeoutMs` in all), then closes.
   */
  drain(): Promise<void>
  /** Public URL (after listen). */
  readonly url: string
  /** Relay DID (after listen). */
  readonly did: string
  /** The did:web document served at /.well-known/did.json (after listen). */
  readonly didDocument: RelayDidDocument
  /** Where the signing key came from, and the warning when it is ephemeral (after listen). */
  readonly signingKeyInfo: SigningKeyInfo
  /** Bound address (after listen). */
  readonly address: AddressInfo
  /** The options in force. */
  readonly options: Readonly<ResolvedRelayOptions>
  /** Its Prometheus metrics. */
  readonly metrics: RelayMetrics
  /** Its logger. */
  readonly logger: Logger
  /** Issuer key cache (stats for tests and benchmarks), when the default one is used. */
  readonly didKeyCache: CachingDidKeyResolver | undefined
  /** Its load now. */
  stats(): RelayStats
}

/** Starts a signaling relay (HTTP join, PeerJS socket, DID document). */
export function createRelay(options: RelayOptions = {}): Relay {
  const opts = resolveOptions(options)
  const log = opts.logger ?? createLogger()
  const slots = new SlotPool(opts.maxPeers)
  const onPendingExpire = (j: PendingJoin) => log.info({ event: 'join_token_expired', room: j.room, peerId: j.peerId }, 'join token expired unused')
  // With `redis`, rooms, admissions, the replay cache and room policies are shared by every process (README "Scaling out").
  const scale = opts.redis
    ? createRedisScaleOut(opts.redis, opts, {
        log,
        slots,
        onPendingExpire,
        peerLeft: (room, peerId) => {
          void router.broadcast(room, { type: ControlMessageType.PEER_LEFT, payload: { peerId } })
          void lobby?.occupancy(room)
        },
        rebuilt: (rooms) => {
          for (const room of rooms) void lobby?.occupancy(room)
        },
      })
    : undefined
  const roomPolicies = opts.roomPolicies ?? scale?.policies ?? new LocalRoomPolicies()
  const roomSlots: RoomSlotPool = scale?.rooms ?? new RoomSlots(opts.maxPeersPerRoom, (room) => void roomPolicies.delete(room))
  const pending: PendingJoinStore = scale?.pending ?? new PendingJoins(opts.joinTokenTtlSec * 1000, onPendingExpire)
  const router: SignalRouter = opts.signalRouter ?? scale?.rooms ?? new LocalSignalRouter()
  const handshakes = new LocalHandshakeBudget({ relay: opts.maxConcurrentHandshakes, perAddress: opts.maxHandshakesPerAddress })
  const clientAddress = clientAddressResolver(opts.trustedProxies)
  const metrics = new RelayMetrics({
    didFetchesInFlight: () => limiter.inFlight,
    sockets: () => router.counts().peers,
    rooms: () => router.counts().rooms,
    slotsInUse: () => slots.inUse,
    pendingJoins: () => pending.size,
    handshakesInFlight: () => handshakes.inFlight,
    lobbyRooms: () => lobby?.rooms.size ?? 0,
    matchWaiting: () => lobby?.queue.waiting() ?? 0,
    hosts: () => lobby?.hosts.size ?? 0,
    socialSockets: () => social?.size ?? 0,
    presenceOnline: () => socialLayer.store.counts().online,
    presenceWatches: () => socialLayer.store.counts().watches,
    socialGraphCacheEntries: () => socialLayer.graph.cacheSize ?? 0,
    redisUp: () => (scale ? (scale.instance.cmd.status === 'ready' ? 1 : 0) : -1),
  })
  const limiter = new FetchLimiter(
    { perHost: opts.didFetchConcurrencyPerHost, global: opts.didFetchConcurrency, trusted: opts.plcFetchConcurrency },
    (scope) => metrics.didFetchesLimited.inc({ scope }),
  )
  const safeFetch = createSafeFetch({
    limiter,
    allowPrivateHosts: opts.allowPrivateDidHosts,
    trustedOrigins: [opts.plcUrl, ...(opts.handleResolverUrl ? [opts.handleResolverUrl] : [])],
    timeoutMs: opts.didFetchTimeoutMs,
    maxBodyBytes: opts.didDocMaxBytes,
  })
  const didKeyCache = opts.didKeyResolver
    ? undefined
    : new CachingDidKeyResolver({
        fetchIdentity: identityFetcher({ plcUrl: opts.plcUrl, timeoutMs: opts.didFetchTimeoutMs, fetch: safeFetch.fetch }),
        ttlMs: opts.didCacheTtlMs,
        maxEntries: opts.didCacheMaxEntries,
        negativeTtlMs: opts.didNegativeCacheTtlMs,
        minRefreshIntervalMs: opts.didMinRefreshIntervalMs,
        maxWaiters: opts.didFetchMaxWaiters,
        staleIfErrorMs: opts.didStaleIfErrorMs,
        onWaitersFull: () => metrics.handshakesLimited.inc({ scope: 'did' }),
      })
  const keys: DidKeyResolver = opts.didKeyResolver ?? didKeyCache!
  const resolverFetch = { timeoutMs: opts.didFetchTimeoutMs, fetch: safeFetch.fetch }
  const handles =
    opts.handleVerifier ??
    (opts.verifyHandles
      ? new CachingHandleVerifier((opts.handleResolverUrl ? xrpcHandleResolver(opts.handleResolverUrl, resolverFetch) : handleResolverFrom(resolverFetch)), {
          ttlMs: opts.didCacheTtlMs,
          maxEntries: opts.didCacheMaxEntries,
          maxWaiters: opts.didFetchMaxWaiters,
        })
      : noHandles)
  const replay = opts.replayCache ?? scale?.replay ?? new MemoryReplayCache({ maxEntries: opts.replayCacheMaxEntries })
  const socialLayer = createSocialLayer(opts, keys, metrics, scale?.social)

  let ctx: RelayContext | undefined
  let lobby: Lobby | undefined
  let state: RelayState | undefined
  let peerjs: PeerJsServer | undefined
  let social: SocialServer | undefined
  let server: Server | undefined
  let timers: NodeJS.Timeout[] = []
  let closing: Promise<void> | undefined
  let draining: Promise<void> | undefined
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`relay.${what} is available after listen()`)
    return v
  }

  const relay: Relay = {
    async listen() {
      if (server) throw new Error('relay already listening')
      state = await openRelayState(opts)
      // Redis unreachable at start: refuse to start (and stop ioredis retrying in the background).
      await scale?.start().catch(async (err: Error) => {
        await scale.stop()
        const at = new URL(opts.redis!)
        at.password = at.password ? '***' : ''
        throw new Error(`cannot reach Redis at ${at.href}: ${err.message}`)
      })
      const { key, keyInfo } = state
      if (keyInfo.warning) log.warn({ event: 'ephemeral_signing_key' }, keyInfo.warning)
      else log.info({ event: 'signing_key', source: keyInfo.source, path: keyInfo.path, created: keyInfo.created, did: keyInfo.did }, 'signing key loaded')
      const srv = createHttpServer(opts, () => need(ctx, 'context'), (req, socket, head) => need(peerjs, 'peerjs').handleUpgrade(req, socket, head) || need(social, 'social').handleUpgrade(req, socket, head))
      server = srv
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject)
        srv.listen(opts.port, opts.host, () => {
          srv.off('error', reject)
          resolve()
        })
      })
      const address = srv.address() as AddressInfo
      const publicUrl = (opts.publicUrl ?? defaultPublicUrl(opts.host, address.port)).replace(/\/?$/, '/')
      const did = opts.serviceDid ?? didWebFromUrl(publicUrl)
      lobby = createLobby({ opts, did, key, log, metrics, router, ...(scale ? { rooms: scale.directory, queue: scale.queue } : {}) })
      if (scale) {
        const lb = lobby
        scale.queue.onOutcomes = () => lb.soon()
      }
      const tokenOptions = {
        serviceDid: did,
        serviceId: opts.serviceId,
        didMethods: opts.didMethods,
        clockSkewSec: opts.clockSkewSec,
        maxTokenLifetimeSec: opts.maxTokenLifetimeSec,
        keys,
        replay,
      }
      ctx = {
        opts,
        publicUrl,
        did,
        didDocument: relayDidDocument(did, key, publicUrl, opts.serviceId),
        key,
        previousKeys: state.previousKeys,
        admissions: state.admissions,
        log,
        metrics,
        slots,
        roomSlots,
        pending,
        router,
        handles,
        handshakes,
        clientAddress,
        evict: () => {},
        draining: false,
        joinsInFlight: 0,
        redisStatus: scale ? () => scale.instance.cmd.status : undefined,
        verifyToken: createTokenVerifier({ ...tokenOptions, lxm: opts.lxm, allowMissingLxm: opts.allowMissingLxm }),
        // Lobby calls have a method of their own: a token minted to join a room cannot create rooms or queue, nor
        // the reverse, and the OAuth scope names each capability (README "Lobbies and matchmaking").
        verifyLobbyToken: createTokenVerifier({ ...tokenOptions, lxm: opts.lobbyLxm, allowMissingLxm: false }),
        lobby,
        graph: socialLayer.graph,
        roomPolicies,
        presence: socialLayer.tracker,
      }
      peerjs = createPeerJsServer(ctx)
      const ps = peerjs
      ctx.evict = (peerId, room) => (ps.evict(peerId) ? undefined : scale?.rooms.evict(room, peerId))
      if (scale) scale.rooms.evictLocal = (peerId) => void ps.evict(peerId)
      // A join token never opens the social stream, nor a social token a room: each has its own lxm (no lxm-less ones).
      const ss = (social = socialLayer.listen(ctx, createTokenVerifier({ ...tokenOptions, lxm: opts.socialLxm, allowMissingLxm: false })))
      // The idle check runs at 1/20 of the timeout (a socket is closed at most 5 % late), pings on their own period.
      const lb = lobby
      timers = [
        setInterval(() => (ps.sweepIdle(Date.now()), ss.sweepIdle(Date.now())), Math.max(10, opts.idleTimeoutMs / 20)),
        setInterval(() => (ps.ping(), ss.ping()), opts.pingIntervalMs),
        setInterval(() => ss.revalidate(), opts.socialGraphCacheTtlMs),
        setInterval(() => lb.soon(), opts.matchTickMs),
      ]
      for (const t of timers) t.unref()
      log.info({ event: 'listening', publicUrl, did, auth: opts.auth, host: opts.host, port: address.port }, 'relay listening')
      return { url: publicUrl, did }
    },
    drain() {
      draining ??= (async () => {
        if (!ctx || !server || !peerjs) return
        const c = ctx
        c.draining = true
        log.info({ event: 'draining', sockets: peerjs.size, joinsInFlight: c.joinsInFlight }, 'draining: no more admissions, handing sockets over')
        // No new connections: the load balancer sends joins and sockets to the other processes.
        server.close()
        server.closeIdleConnections()
        const deadline = Date.now() + opts.drainTimeoutMs
        while (c.joinsInFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
        await peerjs.handover(Math.max(0, deadline - Date.now()))
        log.info({ event: 'drained' }, 'drained')
      })()
      return draining.then(() => relay.close())
    },
    close() {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t)
        lobby?.close()
        await Promise.all([peerjs?.closeAll(), socialLayer.close()])
        pending.clear()
        await scale?.stop()
        await state?.admissions.flush()
        if (server) {
          const srv = server
          await new Promise<void>((resolve) => {
            srv.close(() => resolve())
            srv.closeAllConnections()
          })
        }
        await safeFetch.close()
        log.info({ event: 'closed' }, 'relay closed')
      })()
      return closing
    },
    get url() {
      return need(ctx, 'url').publicUrl
    },
    get did() {
      return need(ctx, 'did').did
    },
    get didDocument() {
      return need(ctx, 'didDocument').didDocument
    },
    get signingKeyInfo() {
      return need(state, 'signingKeyInfo').keyInfo
    },
    get address() {
      return need(server, 'address').address() as AddressInfo
    },
    options: opts,
    metrics,
    logger: log,
    didKeyCache,
    stats() {
      const counts = router.counts()
      return {
        sockets: counts.peers,
        rooms: counts.rooms,
        slotsInUse: slots.inUse,
        roomSlotsInUse: roomSlots.total,
        pendingJoins: pending.size,
        handshakesInFlight: handshakes.inFlight,
      }
    },
  }
  return relay
}
