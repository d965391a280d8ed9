import type { DataConnection, Peer as PeerType, PeerOptions } from 'peerjs'
import { ErrorCode, MultiuserError } from '../../shared/errors.js'
import type { Channel, PeerIdentity, Transport, TransportEvents } from '../transport.js'
import { BROADCAST } from '../transport.js'
import { Emitter } from '../../shared/emitter.js'
import { PeerLink, type LinkLimits } from './peer-link.js'
import type { JoinAnswer, RoomCredentials, RosterPeer } from '../../signaling/contract.js'
import type { RelayClient } from './relay-client.js'
import { isTransientJoinError } from '../../auth/transient.js'
import { generateDtlsCertificate, type DtlsCertificate } from './dtls-certificate.js'

type PeerConstructor = new (id: string, options: PeerOptions) => PeerType

/** Options of {@link peerJsTransport}. */
export interface PeerJsTransportOptions extends Partial<LinkLimits> {
  /** How to join a room at the relay and verify peers' tickets (see `relayClient`). */
  relay: RelayClient
  /** Join this room at once; else call `join(room)` later (e.g. after sign-in). */
  room?: string
  /** STUN/TURN servers; default: what the relay's join answer supplies (none on a LAN). */
  iceServers?: RTCIceServer[]
  /**
   * `'relay'`: connect only through TURN (the relay's `--turn-urls`, handed out with each join), so players never
   * learn each other's addresses; default `'all'` (direct where possible, TURN where not).
   */
  iceTransportPolicy?: RTCIceTransportPolicy
  /** Relay reconnect backoff: first delay and cap, in ms. */
  reconnectDelay?: number
  /** Relay reconnect backoff cap, ms. */
  reconnectMaxDelay?: number
  /** The PeerJS `Peer` class; default: imported from `peerjs` (pass it in Node, where peerjs needs WebRTC globals first). */
  Peer?: PeerConstructor
}

/** The defaults of {@link PeerJsTransportOptions}. */
export const PEERJS_TRANSPORT_DEFAULTS = {
  unreliableChannelId: 2,
  connectTimeout: 10_000,
  heartbeatInterval: 1_000,
  peerTimeout: 5_000,
  reliableQueueLimit: 16 * 1024 * 1024,
  unreliableHighWater: 64 * 1024,
  unreliableQueueLimit: 16 * 1024,
  maxReliableMessage: 1024 * 1024,
  reconnectDelay: 250,
  reconnectMaxDelay: 10_000,
} as const

/**
 * `idle`: never joined, or the last join failed for good (refused); `joining`: a join is under way, retried with
 * backoff while the relay is unreachable or busy; `joined`: admitted, the relay socket is open; `reconnecting`: the
 * relay socket dropped, peer links stay up while the transport rejoins with backoff; `left`: after `leave()`,
 * `close()` or the page being closed.
 */
export type TransportStatus = 'idle' | 'joining' | 'joined' | 'reconnecting' | 'left'

/** What a {@link PeerJsTransport} tells its listeners. */
export interface PeerJsTransportEvents extends TransportEvents {
  /** A roster peer could not be reached (timeout, ICE failure, bad ticket). */
  peerUnreachable: (peerId: string, reason: string) => void
  /** The transport's status changed (`detail`: why). */
  status: (status: TransportStatus, detail?: string) => void
  /** Non-fatal trouble worth showing (relay down, token refused while reconnecting, ...). */
  error: (error: MultiuserError) => void
}

/** The browser transport: a PeerJS mesh signalled by our relay. */
export interface PeerJsTransport extends Transport {
  /** The room joined, or null. */
  readonly room: string | null
  /** Where it is: idle, joining, joined, reconnecting, left. */
  readonly status: TransportStatus
  /** The peers the relay lists in our room, linked or not yet (with the time each was admitted). */
  readonly roster: ReadonlyMap<string, RosterPeer>
  /**
   * Joins a room (leaving the current one first). Resolves once the relay accepted us (peers then connect); while
   * the relay is unreachable or busy it retries with the rejoin backoff, reporting each failure as an `error` event.
   * Rejects on a refusal (a token refused, a full room, ...). A `leave()`, `close()` or another `join()` ends it.
   * `friendsOnly`: create the room friends only (the relay then admits only the player's friends; needs sign-in).
   * `password`, `invite`, `session`: what a room of the lobby needs (README "Lobbies and matchmaking"), shown again on
   * every rejoin.
   */
  join(room: string, options?: { friendsOnly?: boolean } & RoomCredentials): Promise<void>
  /** Leaves the room: closes every peer link and the relay socket. The transport can join again. */
  leave(): Promise<void>
  /** Listens to a {@link PeerJsTransportEvents} event; returns the unsubscribe function. */
  on<E extends keyof PeerJsTransportEvents>(event: E, listener: PeerJsTransportEvents[E]): () => void
  /** Per-peer link details, for HUDs and tests. */
  linkInfo(peerId: string): { unreliable: RTCDataChannelInit & { label: string; readyState: string }; unreliableDropped: number } | null
}

/** The PeerJS transport: a mesh of WebRTC links, a reliable and a truly unreliable channel per link. */
export function peerJsTransport(options: PeerJsTransportOptions): PeerJsTransport {
  const limits: LinkLimits = {
    unreliableChannelId: options.unreliableChannelId ?? PEERJS_TRANSPORT_DEFAULTS.unreliableChannelId,
    connectTimeout: options.connectTimeout ?? PEERJS_TRANSPORT_DEFAULTS.connectTimeout,
    heartbeatInterval: options.heartbeatInterval ?? PEERJS_TRANSPORT_DEFAULTS.heartbeatInterval,
    peerTimeout: options.peerTimeout ?? PEERJS_TRANSPORT_DEFAULTS.peerTimeout,
    reliableQueueLimit: options.reliableQueueLimit ?? PEERJS_TRANSPORT_DEFAULTS.reliableQueueLimit,
    unreliableHighWater: options.unreliableHighWater ?? PEERJS_TRANSPORT_DEFAULTS.unreliableHighWater,
    unreliableQueueLimit: options.unreliableQueueLimit ?? PEERJS_TRANSPORT_DEFAULTS.unreliableQueueLimit,
    maxReliableMessage: options.maxReliableMessage ?? PEERJS_TRANSPORT_DEFAULTS.maxReliableMessage,
  }
  if (!(limits.unreliableChannelId >= 2 && limits.unreliableChannelId <= 1022)) {
    throw new MultiuserError(ErrorCode.SCHEMA_INVALID, `unreliableChannelId must be in 2..1022 (got ${limits.unreliableChannelId})`)
  }
  const reconnectDelay = options.reconnectDelay ?? PEERJS_TRANSPORT_DEFAULTS.reconnectDelay
  const reconnectMaxDelay = options.reconnectMaxDelay ?? PEERJS_TRANSPORT_DEFAULTS.reconnectMaxDelay
  const relay = options.relay
  const emitter = new Emitter<PeerJsTransportEvents>()
  const peers = new Map<string, PeerIdentity>()
  /** Every link, up or not, by remote peer id. */
  const links = new Map<string, PeerLink>()
  /** Peers the relay says are in our room. */
  const roster = new Map<string, RosterPeer>()
  /** Peers whose link dropped while they stayed in the room: re-dialled (by the smaller id of the pair). */
  const lost = new Set<string>()
  /** Peers we dropped on purpose (`disconnect`: refused, or another client in host mode): never re-dialled while in the room. */
  const dropped = new Set<string>()

  let peer: PeerType | null = null
  let answer: JoinAnswer | null = null
  let room: string | null = null
  /** What the room needs (lobby rooms), shown again on every rejoin. */
  let credentials: RoomCredentials | undefined
  let status: TransportStatus = 'idle'
  let self: PeerIdentity | null = null
  let generation = 0
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null
  let redialTimer: ReturnType<typeof setInterval> | null = null
  /** A ROSTER arrived on the current relay socket. */
  let socketRoster = false
  /** Ends the wait of a join retry (teardown). */
  let wakeRetry: (() => void) | null = null
  /** The room is to be created friends only (kept for rejoins). */
  let friendsOnly = false
  /** The certificate of every connection of this transport, made before the first join (null: the platform makes none). */
  let dtls: Promise<DtlsCertificate | null> | null = null

  const setStatus = (s: TransportStatus, detail?: string) => {
    status = s
    emitter.emit('status', s, detail)
  }

  const linkEvents = {
    verify: (peerId: string, ticket: string) => relay.verifyTicket(ticket, { room: room ?? '', peerId }),
    up(link: PeerLink) {
      if (links.get(link.peerId) !== link || !link.identity) return
      peers.set(link.peerId, link.identity)
      emitter.emit('peerJoined', link.identity)
    },
    message(link: PeerLink, channel: Channel, data: Uint8Array) {
      if (links.get(link.peerId) === link) emitter.emit('message', link.peerId, channel, data)
    },
    down(link: PeerLink, reason: string, wasUp: boolean) {
      if (links.get(link.peerId) !== link) return
      links.delete(link.peerId)
      if (reason === ErrorCode.SEND_QUEUE_FULL) {
        emitter.emit('error', new MultiuserError(ErrorCode.SEND_QUEUE_FULL, `peer ${link.peerId} could not keep up: more than ${limits.reliableQueueLimit} bytes queued on the reliable channel; link dropped`))
      }
      if (roster.has(link.peerId) && !dropped.has(link.peerId)) lost.add(link.peerId)
      if (wasUp) {
        peers.delete(link.peerId)
        emitter.emit('peerLeft', link.peerId, reason)
      } else emitter.emit('peerUnreachable', link.peerId, reason)
    },
  }

  /**
   * Takes a new connection to `conn.peer`. If both sides dialled at once (glare), both keep the connection dialled
   * by the smaller id. A new connection from a peer whose link was up means it lost that link: the old one ends
   * (peerLeft) and the new one starts over (peerJoined).
   */
  function adopt(conn: DataConnection, outgoing: boolean): void {
    if (!answer || !self) return void conn.close()
    const old = links.get(conn.peer)
    if (old && old.state !== 'up' && old.outgoing !== outgoing) {
      const keepOutgoing = self.id < conn.peer
      if (keepOutgoing === old.outgoing) return void conn.close()
      links.delete(conn.peer) // silent: the link never came up
      old.close('glare')
    } else if (old) old.close('replaced by a new connection')
    lost.delete(conn.peer)
    links.set(conn.peer, new PeerLink(conn.peer, conn, answer.ticket, limits, linkEvents, outgoing))
  }

  function dial(peerId: string): void {
    if (!peer || peer.destroyed || links.has(peerId) || peerId === self?.id || dropped.has(peerId)) return
    adopt(peer.connect(peerId, { reliable: true, serialization: 'raw', label: 'bitecs-multiuser' }), true)
  }

  /** Re-dials links that dropped while the peer stayed in the room; of the pair, the smaller id dials. */
  function redialLost(): void {
    if (!self) return
    for (const id of lost) {
      if (!roster.has(id)) lost.delete(id)
      else if (!links.has(id) && self.id < id) dial(id)
    }
  }

  async function connectPeer(join: JoinAnswer, gen: number): Promise<void> {
    const Peer = options.Peer ?? ((await import('peerjs')).Peer as unknown as PeerConstructor)
    if (gen !== generation) return
    const cert = await dtls
    if (gen !== generation) return
    const p = new Peer(join.peerId, {
      ...join.peerjs,
      token: join.joinToken,
      // The certificate whose fingerprint the join sent (and the relay signed into our ticket).
      config: {
        iceServers: options.iceServers ?? join.iceServers ?? [],
        iceTransportPolicy: options.iceTransportPolicy ?? 'all',
        ...(cert ? { certificates: [cert.certificate] } : {}),
      },
      debug: 0,
    })
    peer = p
    // Before 'open': the relay sends ROSTER right after OPEN, and in Node both may be handled in one go.
    listenRelayControl(p, gen)
    await new Promise<void>((resolve, reject) => {
      p.once('open', () => resolve())
      p.once('error', (e) => reject(new MultiuserError(ErrorCode.TRANSPORT_CLOSED, `relay refused the PeerJS socket: ${e.message}`, { cause: e })))
    })
    // The relay routes signals only within our room, so any caller is a room peer (its roster entry may still be in flight).
    p.on('connection', (conn) => adopt(conn, false))
    p.on('disconnected', () => {
      if (gen === generation && status !== 'left') scheduleRejoin(gen, reconnectDelay)
    })
    p.on('error', (e) => {
      const t = (e as { type?: string }).type
      if (t === 'peer-unavailable') {
        const id = /peer (\S+)/.exec(e.message)?.[1]
        if (id) links.get(id)?.close('peer unavailable')
      }
    })
  }

  function listenRelayControl(p: PeerType, gen: number): void {
    const socket = (p as unknown as { socket?: { on(ev: 'message', f: (m: { type?: string; payload?: unknown }) => void): void } }).socket
    socket?.on('message', (m) => {
      if (gen !== generation) return
      const update = relay.parseControl(m)
      if (!update) return
      if (update.kind === 'roster') {
        socketRoster = true
        roster.clear()
        for (const e of update.entries) if (e.peerId !== self?.id) roster.set(e.peerId, e)
        // Sent when our socket opens: these peers were connected before us, so we dial them (the join answer's
        // roster may have missed a peer admitted just before us whose socket was not open yet).
        for (const id of roster.keys()) dial(id)
      } else if (update.kind === 'joined') {
        if (update.entry.peerId !== self?.id) roster.set(update.entry.peerId, update.entry)
      } else {
        // Its relay socket is gone: a closed tab, or only a network blip or a relay restart. Stop re-dialling it;
        // a live link is asked to answer at once and ends if it stays silent for a heartbeat interval.
        roster.delete(update.peerId)
        lost.delete(update.peerId)
        dropped.delete(update.peerId)
        links.get(update.peerId)?.relayLeft()
      }
    })
  }

  async function doJoin(target: string, gen: number, resume: boolean): Promise<void> {
    const prev = resume && answer ? { peerId: answer.peerId, token: answer.resumeToken } : undefined
    const cert = await (dtls ??= generateDtlsCertificate())
    if (gen !== generation) return
    const join = await relay.join(target, {
      ...(prev ? { resume: prev } : {}), ...(cert ? { fingerprint: cert.fingerprint } : {}), ...(friendsOnly ? { friendsOnly } : {}),
      ...(credentials ? { credentials } : {}),
    })
    if (gen !== generation) return
    const identity = { id: join.peerId, did: join.did ?? null, ...(join.handle ? { handle: join.handle } : {}), admittedAt: join.admittedAt }
    socketRoster = false
    if (prev && peer && join.peerId === prev.peerId && !peer.destroyed) {
      // Same id: reopen the relay socket with the fresh single-use token; peer links stay up.
      answer = join
      self = identity
      ;(peer.options as { token?: string }).token = join.joinToken
      peer.reconnect()
      await new Promise<void>((resolve, reject) => {
        peer!.once('open', () => resolve())
        peer!.once('error', (e) => reject(e))
      })
    } else {
      if (prev && join.peerId !== prev.peerId) {
        // The relay could not resume our id (it restarted with a key it never had): to everyone we are a new peer,
        // so links made under the old id end now rather than linger beside new ones.
        emitter.emit('error', new MultiuserError(ErrorCode.PEER_ID_CHANGED, `the relay did not resume peer id ${prev.peerId} (did it restart with a new signing key and not the old one in previousKeys?): rejoined as ${join.peerId}`))
        for (const link of [...links.values()]) link.close('rejoined under a new peer id', true)
        lost.clear()
      }
      peer?.destroy()
      answer = join
      self = identity
      await connectPeer(join, gen)
    }
    if (gen !== generation) return
    if (!socketRoster) {
      // The socket's ROSTER (who is connected now) supersedes the join answer's (who was, a moment before).
      roster.clear()
      for (const entry of join.roster) if (entry.peerId !== join.peerId) roster.set(entry.peerId, entry)
    }
    setStatus('joined')
    // The newcomer dials everyone already there (those already linked are kept); they learn of it by its call.
    for (const id of roster.keys()) dial(id)
  }

  function scheduleRejoin(gen: number, delay: number): void {
    if (reconnectTimer || gen !== generation || !room) return
    setStatus('reconnecting')
    reconnectTimer = setTimeout(async () => {
      reconnectTimer = null
      if (gen !== generation || !room) return
      try {
        await doJoin(room, gen, true)
      } catch (e) {
        const err = asError(e)
        emitter.emit('error', err)
        if (isTransientJoinError(err)) scheduleRejoin(gen, Math.min(delay * 2, reconnectMaxDelay))
        else refused(err)
      }
    }, delay)
  }

  /** Waits `ms` before a join retry; false if a teardown came first. */
  function retryPause(ms: number, gen: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wakeRetry = null
        resolve(gen === generation)
      }, ms)
      wakeRetry = () => {
        clearTimeout(timer)
        wakeRetry = null
        resolve(false)
      }
    })
  }

  function asError(e: unknown): MultiuserError {
    return e instanceof MultiuserError ? e : new MultiuserError(ErrorCode.TRANSPORT_CLOSED, String((e as Error)?.message ?? e), { cause: e })
  }

  /** A final refusal (first join or rejoin): out of the room, status `left` with the code, no more attempts. */
  function refused(err: MultiuserError): void {
    teardown(`refused: ${err.code}`)
    room = null
    setStatus('left', `${err.code}: ${err.message}`)
  }

  function teardown(reason: string): void {
    generation++
    if (reconnectTimer) clearTimeout(reconnectTimer)
    reconnectTimer = null
    wakeRetry?.()
    for (const link of [...links.values()]) link.close(reason, true)
    links.clear()
    peers.clear()
    roster.clear()
    lost.clear()
    dropped.clear()
    peer?.destroy()
    peer = null
    answer = null
    self = null
  }

  const transport: PeerJsTransport = {
    get self() {
      return self
    },
    get peers() {
      return peers
    },
    get room() {
      return room
    },
    get status() {
      return status
    },
    get roster() {
      return roster
    },
    send(to, channel, data) {
      if (to === BROADCAST) {
        for (const link of links.values()) link.send(channel, data)
        return
      }
      links.get(to)?.send(channel, data)
    },
    on(event, listener) {
      return emitter.on(event, listener)
    },
    disconnect(peerId, reason) {
      dropped.add(peerId)
      links.get(peerId)?.close(reason, true)
    },
    close() {
      teardown('closed')
      if (redialTimer) clearInterval(redialTimer)
      redialTimer = null
      removePageHide?.()
      emitter.clear()
      status = 'left'
    },
    async join(target, joinOptions = {}) {
      teardown('switching rooms')
      const gen = generation
      room = target
      friendsOnly = joinOptions.friendsOnly === true
      const { friendsOnly: _f, ...given } = joinOptions
      credentials = Object.keys(given).length > 0 ? given : undefined
      setStatus('joining')
      for (let delay = reconnectDelay; ; delay = Math.min(delay * 2, reconnectMaxDelay)) {
        try {
          await doJoin(target, gen, false)
          break
        } catch (e) {
          if (gen !== generation) return
          const err = asError(e)
          if (!isTransientJoinError(err)) {
            refused(err)
            throw err
          }
          // The relay is down or busy (e.g. not started yet): the same backoff as a rejoin.
          emitter.emit('error', err)
          setStatus('joining', `retrying in ${delay} ms: ${err.message}`)
          if (!(await retryPause(delay, gen))) return
        }
      }
      redialTimer ??= setInterval(redialLost, limits.heartbeatInterval)
    },
    async leave() {
      teardown('left')
      room = null
      setStatus('left')
    },
    linkInfo(peerId) {
      const link = links.get(peerId)
      const dc = link?.unreliable
      if (!link || !dc) return null
      return {
        unreliable: {
          label: dc.label, ordered: dc.ordered, maxRetransmits: dc.maxRetransmits ?? undefined,
          maxPacketLifeTime: dc.maxPacketLifeTime ?? undefined, negotiated: dc.negotiated, id: dc.id ?? undefined,
          readyState: dc.readyState,
        },
        unreliableDropped: link.counters.unreliableDropped,
      }
    },
  }
  // A closing tab says goodbye: BYE on every link and the relay socket closed (the relay tells the room at once),
  // instead of leaving a ghost until the peer timeout.
  const onPageHide = () => {
    if (status === 'left' || status === 'idle') return
    teardown('page closed')
    room = null
    setStatus('left', 'page closed')
  }
  const g = globalThis as { addEventListener?: (t: string, f: () => void) => void; removeEventListener?: (t: string, f: () => void) => void }
  g.addEventListener?.('pagehide', onPageHide)
  const removePageHide = g.removeEventListener ? () => g.removeEventListener!('pagehide', onPageHide) : null

  if (options.room) void transport.join(options.room).catch((e: unknown) => emitter.emit('error', e as MultiuserError))
  return transport
}
