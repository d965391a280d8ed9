/**
 * The authority room: who may own what (createNetwork's `authority`), decided at each peer's hello.
 *
 * Owner authority (the default): every peer owns what it spawns; nothing here applies. Host mode: one peer, the host
 * (`host: true`), owns every replicated entity; its clients send inputs (inputs.ts) and predict (prediction.ts).
 * Each hello says which of the three a peer is (`Hello.authority`): owner authority and host mode refuse each other
 * (AUTHORITY_MISMATCH), so do two hosts; two clients drop their link without a word (star topology: a client talks
 * to its host only). A host that whitelists a session (`admit`) admits a client only once `admit` accepted the
 * session ticket of its hello: until then the hello stalls the client's reliable stream, so nothing of it reaches
 * the game (its unreliable packets are dropped as not ready); refused, or still undecided after `limits.maxStallMs`,
 * it is refused with NOT_IN_SESSION and disconnected (counted in `stats.host.refused`).
 *
 * Host migration (`hostMigration`): two clients keep their link idle instead of dropping it (`dormant`: hellos
 * exchanged, nothing else). When the host leaves, every client elects the same successor, the client admitted first
 * (`electHeir` over itself and its idle links), before the host's entities change hands: the successor becomes the
 * host and wakes every idle link (`peerJoined`), the others wake their link to it and make it their host; then the
 * ownership room passes every entity of the old host to it (all of them, persistent or not: ownership.ts), and
 * `hostChanged` tells the game.
 */
import type { BodyOf, MessageKind } from '../protocol/reliable-codec.js'
import { ErrorCode } from '../shared/errors.js'
import type { PeerIdentity } from '../transport/transport.js'
import { STALL, type NetContext } from './context.js'
import { electHeir } from './ownership.js'
import type { HostChange } from './network.js'
import type { PeerState } from './peers.js'

/** Who owns replicated entities: each peer its own (`'owner'`), or one host (`'host'`). */
export type Authority = 'owner' | 'host'

/**
 * A host's whitelist: resolves when `ticket` (the session ticket of the peer's hello, '' when it sent none) admits
 * `peer` to the host's session, rejects otherwise. `sessionWhitelist(...)` checks relay-signed session tickets.
 */
export type AdmitFn = (ticket: string, peer: PeerIdentity) => Promise<unknown>

/** `Hello.authority` on the wire. */
export const Role = { Owner: 0, Client: 1, Host: 2 } as const
export type Role = (typeof Role)[keyof typeof Role]

/** What a client may send a host: the handshake and events. The rest (spawns, components, ownership) is the host's. */
const FROM_CLIENT = new Set<MessageKind>(['hello', 'refusal', 'event'])

/** What `Authority.onHello` decided: admit, wait (STALL), or stop (the peer was refused or dropped). */
export type HelloVerdict = 'admit' | typeof STALL | 'stop'

export class HostAuthority {
  role: Role
  /** A client: the host's peer id, once its hello arrived. */
  hostId: string | null = null
  /** Host: each peer's admission, by peer id (whitelisting only). */
  private readonly admission = new Map<string, 'pending' | 'admitted' | 'refused'>()
  /** Peers refused for want of a valid session ticket. */
  refused = 0
  /** Links dropped because both ends were clients (star topology). */
  starDropped = 0
  /** Host migration: other clients whose link is kept idle, by peer id; and migrations seen. */
  private readonly dormant = new Set<string>()
  migrations = 0

  constructor(
    private readonly ctx: NetContext,
    authority: Authority,
    host: boolean,
    private readonly admit: AdmitFn | null,
    /** A client: the session ticket its hello carries. */
    readonly sessionTicket: string,
    /** Host migration: keep links between clients idle, for a successor to wake. */
    readonly migration: boolean,
  ) {
    this.role = authority === 'owner' ? Role.Owner : host ? Role.Host : Role.Client
  }

  get isHost(): boolean {
    return this.role === Role.Host
  }

  get isClient(): boolean {
    return this.role === Role.Client
  }

  /** A client's host, when it is connected and ready. */
  hostPeer(): PeerState | undefined {
    if (this.hostId === null) return undefined
    const p = this.ctx.peers.get(this.hostId)
    return p && p.ready && !p.gone ? p : undefined
  }

  /** Whether `p` may send us a message of `kind` (a host takes only the handshake and events from its clients). */
  accepts(kind: MessageKind): boolean {
    return this.role !== Role.Host || FROM_CLIENT.has(kind)
  }

  /** Decides a hello that passed the protocol and schema checks. */
  onHello(p: PeerState, h: BodyOf<'hello'>, overdue: boolean): HelloVerdict {
    const theirs = h.authority as Role
    const mine = this.role
    if ((mine === Role.Owner) !== (theirs === Role.Owner) || (mine === Role.Host && theirs === Role.Host)
      || (mine === Role.Client && theirs === Role.Host && this.hostId !== null && this.hostId !== p.id)) {
      const name = (r: Role): string => (r === Role.Owner ? 'owner authority' : r === Role.Host ? 'a host' : 'a host-mode client')
      this.ctx.peers.refuse(p, ErrorCode.AUTHORITY_MISMATCH, `${name(theirs)} met ${name(mine)}`)
      return 'stop'
    }
    if (mine === Role.Owner) return 'admit'
    if (mine === Role.Client) {
      if (theirs === Role.Client) {
        if (this.migration) {
          this.dormant.add(p.id)
          return 'stop'
        }
        this.starDropped++
        p.gone = true
        this.ctx.transport.disconnect(p.id, 'host mode: clients talk to the host only')
        return 'stop'
      }
      this.hostId = p.id
      return 'admit'
    }
    return this.admitClient(p, h.sessionTicket, overdue)
  }

  private admitClient(p: PeerState, ticket: string, overdue: boolean): HelloVerdict {
    if (!this.admit) return 'admit'
    const state = this.admission.get(p.id)
    if (state === 'admitted') return 'admit'
    if (state === undefined) {
      this.admission.set(p.id, 'pending')
      const identity: PeerIdentity = { id: p.id, did: p.did, ...(p.handle !== undefined ? { handle: p.handle } : {}), admittedAt: p.admittedAt }
      let verdict: Promise<unknown>
      try {
        verdict = Promise.resolve(this.admit(ticket, identity))
      } catch (e) {
        verdict = Promise.reject(e)
      }
      verdict.then(
        () => this.admission.get(p.id) === 'pending' && this.admission.set(p.id, 'admitted'),
        () => this.admission.get(p.id) === 'pending' && this.admission.set(p.id, 'refused'),
      )
      return STALL
    }
    if (state === 'pending' && !overdue) return STALL
    this.refused++
    this.ctx.peers.refuse(p, ErrorCode.NOT_IN_SESSION, state === 'pending' ? 'its session ticket was not checked in time' : ticket === '' ? 'no session ticket' : 'its session ticket is not valid for this session')
    return 'stop'
  }

  /** Whether the entities of a host that leaves pass to its successor, persistent or not. */
  get inheritsAll(): boolean {
    return this.migration && this.role !== Role.Owner
  }

  /**
   * `peerId` is leaving, before its entities change hands: when it is our host and migration is on, the successor
   * takes over (see the top of this file). Returns the change, or null.
   */
  hostLeaving(peerId: string): HostChange | null {
    if (this.role !== Role.Client || peerId !== this.hostId) return null
    this.hostId = null
    if (!this.migration) return null
    const { peers } = this.ctx
    const me = this.ctx.selfId() ?? ''
    const idle = [...this.dormant].map((id) => peers.get(id)).filter((p): p is PeerState => p !== undefined && !p.gone)
    const successor = electHeir([...idle.map((p) => ({ id: p.id, admittedAt: p.admittedAt })), { id: me, admittedAt: this.ctx.transport.self?.admittedAt ?? Number.POSITIVE_INFINITY }])!
    this.migrations++
    this.hostId = successor
    if (successor === me) {
      this.role = Role.Host
      this.ctx.prediction.clear()
      for (const p of idle) peers.activate(p)
      this.dormant.clear()
    } else {
      const p = peers.get(successor)!
      this.dormant.delete(successor)
      peers.activate(p)
    }
    return { previous: peerId, host: successor }
  }

  /** `peerId` left: forget its admission and its idle link (a client that loses its host waits for one again). */
  peerLeft(peerId: string): void {
    this.admission.delete(peerId)
    this.dormant.delete(peerId)
    if (this.hostId === peerId) this.hostId = null
  }
}
