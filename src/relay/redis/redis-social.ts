/**
 * The social layer across processes on one Redis: presence, invites, and the peer sockets presence is made of.
 *
 *   presence:<did>   HASH process id -> that process's view of the player (PresenceState); the player's presence is
 *                    the latest of them, offline when none is left
 *   ppeers:<did>     HASH peerId -> { room, i }: the player's peer sockets, wherever they are (a player's social
 *                    socket and peer socket may be on different processes)
 *   ipres:<id>, ipp:<id>   SETs of the DIDs process <id> wrote into those, for the survivor that cleans up after it
 *   topics presence:<did>, ppeer:<did>, invite:<did>   pub/sub, listened to by the processes that need them
 */
import type { Invite } from '../../signaling/social-contract.js'
import type { InviteRouter } from '../social/invite-router.js'
import type { PresenceState, PresenceStore } from '../social/presence-store.js'
import { PresenceTracker, type SocketPresence } from '../social/presence-tracker.js'
import type { RedisInstance } from './redis-instance.js'

const latest = (views: Record<string, string>): PresenceState | null => {
  let best: PresenceState | null = null
  for (const v of Object.values(views)) {
    const s = JSON.parse(v) as PresenceState
    if (!best || s.since > best.since) best = s
  }
  return best
}

/** A {@link PresenceStore} every relay process on one Redis shares (used with the `redis` option). */
export class RedisPresenceStore implements PresenceStore {
  /** What this process shows of each player (written back after a Redis restart). */
  private readonly mine = new Map<string, PresenceState>()
  private watches = 0

  constructor(private readonly inst: RedisInstance) {}

  /** Sets this process's view of `did` (null: none), then tells the processes watching `did`. */
  async publish(did: string, presence: PresenceState | null): Promise<void> {
    const key = this.inst.key(`presence:${did}`)
    if (presence) {
      this.mine.set(did, presence)
      await this.inst.cmd.multi().hset(key, this.inst.id, JSON.stringify(presence)).sadd(this.inst.key(`ipres:${this.inst.id}`), did).exec()
    } else {
      if (!this.mine.delete(did)) return
      await this.inst.cmd.multi().hdel(key, this.inst.id).srem(this.inst.key(`ipres:${this.inst.id}`), did).exec()
    }
    await this.tell(did)
  }

  private async tell(did: string): Promise<void> {
    await this.inst.announce(`presence:${did}`, await this.get(did))
  }

  /** `did`'s presence (the latest view of any process), or null. */
  async get(did: string): Promise<PresenceState | null> {
    return latest(await this.inst.cmd.hgetall(this.inst.key(`presence:${did}`)))
  }

  /** Calls `listener` on every later change of `did`'s presence, whichever process made it. */
  watch(did: string, listener: (presence: PresenceState | null) => void): () => void {
    this.watches++
    const stop = this.inst.listen(`presence:${did}`, (m) => listener(m as PresenceState | null))
    let on = true
    return () => {
      if (!on) return
      on = false
      this.watches--
      stop()
    }
  }

  /** Players this process shows online, and its watches. */
  counts(): { online: number; watches: number } {
    return { online: this.mine.size, watches: this.watches }
  }

  /** Removes a dead process's views and tells their watchers. */
  async reap(id: string): Promise<void> {
    const set = this.inst.key(`ipres:${id}`)
    for (const did of await this.inst.cmd.smembers(set)) {
      if ((await this.inst.cmd.hdel(this.inst.key(`presence:${did}`), id)) > 0) await this.tell(did)
    }
    await this.inst.cmd.del(set)
  }

  /** Writes this process's views back (Redis restarted empty). */
  async rebuild(): Promise<void> {
    for (const [did, state] of [...this.mine]) await this.publish(did, state)
  }
}

/** An {@link InviteRouter} across processes: invites to a player go to the processes holding their social sockets. */
export class RedisInviteRouter implements InviteRouter {
  constructor(private readonly inst: RedisInstance) {}

  /** Delivers invites to `did` to `deliver` until stopped. */
  listen(did: string, deliver: (invite: Invite) => void): () => void {
    return this.inst.listen(`invite:${did}`, (m) => deliver(m as Invite))
  }

  /** Publishes the invite; resolves with how many processes hold a social socket of `to` (0: the sender is told offline). */
  send(to: string, invite: Invite): Promise<number> {
    return this.inst.announce(`invite:${to}`, invite)
  }
}

interface PeerNote {
  op: 'open' | 'close'
  peerId: string
  room?: string
  i: string
}

/**
 * The presence tracker of a process on a shared Redis: its own peer sockets are written to Redis, and for the players
 * whose social sockets it holds it also follows their peer sockets on the other processes.
 */
export class SharedPresenceTracker extends PresenceTracker {
  private readonly follows = new Map<string, { stop: () => void; remote: Set<string> }>()
  /** This process's peer sockets of signed-in players: peerId -> did and room. */
  private readonly own = new Map<string, { did: string; room: string }>()
  /** How many of `own` each player has. */
  private readonly ownOf = new Map<string, number>()

  constructor(store: RedisPresenceStore, private readonly inst: RedisInstance, private readonly onError: (err: Error) => void) {
    super(store)
  }

  /** A peer socket of `did` opened in this process. */
  override peerOpened(did: string, peerId: string, room: string): void {
    super.peerOpened(did, peerId, room)
    if (!this.own.has(peerId)) this.ownOf.set(did, (this.ownOf.get(did) ?? 0) + 1)
    this.own.set(peerId, { did, room })
    this.write(did, peerId, room).catch(this.onError)
  }

  private async write(did: string, peerId: string, room: string): Promise<void> {
    const note: PeerNote = { op: 'open', peerId, room, i: this.inst.id }
    await this.inst.cmd.multi().hset(this.inst.key(`ppeers:${did}`), peerId, JSON.stringify({ room, i: this.inst.id })).sadd(this.inst.key(`ipp:${this.inst.id}`), did).exec()
    await this.inst.announce(`ppeer:${did}`, note)
  }

  /** Writes this process's peer sockets back (Redis restarted empty). */
  async rebuild(): Promise<void> {
    for (const [peerId, { did, room }] of [...this.own]) await this.write(did, peerId, room)
  }

  /** A peer socket of `did` closed in this process. */
  override peerClosed(did: string, peerId: string): void {
    super.peerClosed(did, peerId)
    if (!this.own.delete(peerId)) return
    const left = (this.ownOf.get(did) ?? 1) - 1
    const last = left <= 0
    if (last) this.ownOf.delete(did)
    else this.ownOf.set(did, left)
    const m = this.inst.cmd.multi().hdel(this.inst.key(`ppeers:${did}`), peerId)
    if (last) m.srem(this.inst.key(`ipp:${this.inst.id}`), did)
    m.exec().then(() => this.inst.announce(`ppeer:${did}`, { op: 'close', peerId, i: this.inst.id } satisfies PeerNote)).catch(this.onError)
  }

  /** A social socket of `did` opened here: follow their peer sockets on every process. */
  override addSocket(did: string, s: SocketPresence): void {
    super.addSocket(did, s)
    if (this.follows.has(did)) return
    const f = { remote: new Set<string>(), stop: () => {} }
    this.follows.set(did, f)
    const apply = (n: PeerNote) => {
      if (n.i === this.inst.id || this.follows.get(did) !== f) return
      if (n.op === 'open' && n.room) {
        f.remote.add(n.peerId)
        super.peerOpened(did, n.peerId, n.room)
      } else if (f.remote.delete(n.peerId)) super.peerClosed(did, n.peerId)
    }
    f.stop = this.inst.listen(`ppeer:${did}`, (m) => apply(m as PeerNote))
    this.inst.cmd.hgetall(this.inst.key(`ppeers:${did}`)).then((all) => {
      for (const [peerId, v] of Object.entries(all)) {
        const { room, i } = JSON.parse(v) as { room: string; i: string }
        if (!f.remote.has(peerId)) apply({ op: 'open', peerId, room, i })
      }
    }, this.onError)
  }

  /** A social socket of `did` closed here: when it was the last, stop following their peer sockets. */
  override removeSocket(did: string, s: SocketPresence): void {
    super.removeSocket(did, s)
    const f = this.follows.get(did)
    if (!f || this.socketCount(did) > 0) return
    this.follows.delete(did)
    f.stop()
    for (const peerId of f.remote) super.peerClosed(did, peerId)
  }

  /** Removes a dead process's peer sockets and tells the followers. */
  async reap(id: string): Promise<void> {
    const set = this.inst.key(`ipp:${id}`)
    for (const did of await this.inst.cmd.smembers(set)) {
      for (const [peerId, v] of Object.entries(await this.inst.cmd.hgetall(this.inst.key(`ppeers:${did}`)))) {
        if ((JSON.parse(v) as { i: string }).i !== id) continue
        await this.inst.cmd.hdel(this.inst.key(`ppeers:${did}`), peerId)
        await this.inst.announce(`ppeer:${did}`, { op: 'close', peerId, i: id } satisfies PeerNote)
      }
    }
    await this.inst.cmd.del(set)
  }
}
