/**
 * Rooms shared by every relay process on one Redis: the room's members and slots in one hash, so any process admits
 * any player to any room and signals reach their target wherever its socket is. It is the `SignalRouter` and the
 * `RoomSlotPool` of a process started with `redis`.
 *
 *   room:<room>    HASH peerId -> { i: process id, s: 'p' (admitted, socket not open yet; x: expiry ms) | 'o' (open; e: roster entry) }
 *   ipeers:<id>    HASH peerId -> room: the open sockets of process <id> (what a survivor cleans up if it dies)
 *   policy:<room>  the room's friends-only policy (see RoomPolicies), dropped with the room's last entry
 *
 * A slot is the peer's entry: taking one for a peer id that has one (a resume, on any process) replaces it without
 * counting twice; releasing removes it only if this process still owns it. Signals to a peer on another process are
 * published on that process's channel (redis-instance.ts), which calls the endpoint's `deliver` there, so every
 * per-socket limit stays where it was: the sender's in its process, the target's write queue in its own. A published
 * signal counts as delivered (the target's queue verdict is not sent back).
 */
import type { Redis } from 'ioredis'
import type { RosterEntry } from '../../signaling/contract.js'
import type { RoomSlot, RoomSlotPool } from '../slots.js'
import { LocalSignalRouter, toRosterEntry, type OutboundMessage, type PeerEndpoint, type RouteOutcome, type SignalRouter } from '../signal-router.js'
import type { RedisInstance } from './redis-instance.js'
import type { QueueOutcome } from '../lobby/match-queue.js'

/** A member entry of a room hash. */
interface Entry {
  i: string
  s: 'p' | 'o'
  x?: number
  e?: RosterEntry
}

/** What processes send each other on their channels. */
export type ProcessMessage =
  | { k: 'signal'; room: string; msg: OutboundMessage & { dst: string } }
  | { k: 'broadcast'; room: string; msg: OutboundMessage; except?: string }
  | { k: 'evict'; room: string; peerId: string }
  | { k: 'taken'; peerId: string }
  | { k: 'match'; outcome: QueueOutcome }

// KEYS: room hash, policy. ARGV: peerId, limit, owner, now, expiry. Returns the count with this entry, or -1: full.
const ACQUIRE = `
local n = 0
local all = redis.call('HGETALL', KEYS[1])
for k = 1, #all, 2 do
  local f = all[k]
  local v = cjson.decode(all[k + 1])
  if v.s == 'p' and tonumber(v.x) < tonumber(ARGV[4]) then redis.call('HDEL', KEYS[1], f)
  elseif f ~= ARGV[1] then n = n + 1 end
end
if n >= tonumber(ARGV[2]) then return -1 end
if n == 0 then redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({ i = ARGV[3], s = 'p', x = tonumber(ARGV[5]) }))
return n + 1`

// KEYS: room hash, policy, the owner's ipeers. ARGV: peerId, owner. Removes the entry if the owner still holds it.
const RELEASE = `
redis.call('HDEL', KEYS[3], ARGV[1])
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v or cjson.decode(v).i ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
return 1`

type Scripted = Redis & {
  roomAcquire(room: string, policy: string, peerId: string, limit: number, owner: string, now: number, exp: number): Promise<number>
  roomRelease(room: string, policy: string, ipeers: string, peerId: string, owner: string): Promise<number>
}

export class RedisRooms implements SignalRouter, RoomSlotPool {
  private readonly local = new LocalSignalRouter()
  private held = 0
  /** Set by the relay: closes a socket of this process (a resume elsewhere). */
  evictLocal: (peerId: string) => void = () => {}
  /** Set by the relay: an admission of this process was consumed by another's socket. */
  onTaken: (peerId: string) => void = () => {}

  constructor(private readonly inst: RedisInstance, private readonly o: { maxPeersPerRoom: number; pendingTtlMs: number; onError: (what: string, err: Error) => void }) {
    inst.cmd.defineCommand('roomAcquire', { numberOfKeys: 2, lua: ACQUIRE })
    inst.cmd.defineCommand('roomRelease', { numberOfKeys: 3, lua: RELEASE })
  }

  private get redis(): Scripted {
    return this.inst.cmd as Scripted
  }

  private roomKey(room: string): string {
    return this.inst.key(`room:${room}`)
  }

  /** The key of `room`'s friends-only policy. */
  policyKey(room: string): string {
    return this.inst.key(`policy:${room}`)
  }

  private ipeersKey(id: string): string {
    return this.inst.key(`ipeers:${id}`)
  }

  // --- RoomSlotPool ---

  /** Takes `peerId`'s entry in `room` (replacing the one it had), capped at `limit`; null: full. */
  async tryAcquire(room: string, peerId: string, limit = this.o.maxPeersPerRoom): Promise<RoomSlot | null> {
    const now = Date.now()
    const n = await this.redis.roomAcquire(this.roomKey(room), this.policyKey(room), peerId, Math.min(limit, this.o.maxPeersPerRoom), this.inst.id, now, now + this.o.pendingTtlMs)
    if (n < 0) return null
    return { first: n === 1, ...this.slotOf(room, peerId) }
  }

  /** A release of `peerId`'s entry in `room` by this process (what a socket consumed from another process's admission holds). */
  slotOf(room: string, peerId: string): { release(): void } {
    this.held++
    let on = true
    return {
      release: () => {
        if (!on) return
        on = false
        this.held--
        this.release(room, peerId)
      },
    }
  }

  private release(room: string, peerId: string, owner = this.inst.id): Promise<boolean> {
    return this.redis.roomRelease(this.roomKey(room), this.policyKey(room), this.ipeersKey(owner), peerId, owner).then(
      (n) => n === 1,
      (err: Error) => (this.o.onError('room_release', err), false),
    )
  }

  /** Entries of `room` (admitted or connected), every process. */
  async inUse(room: string): Promise<number> {
    const now = Date.now()
    return (await this.entries(room)).filter(([, v]) => v.s === 'o' || (v.x ?? 0) >= now).length
  }

  /** Room slots held by this process. */
  get total(): number {
    return this.held
  }

  private async entries(room: string): Promise<[string, Entry][]> {
    const all = await this.redis.hgetall(this.roomKey(room))
    return Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as Entry])
  }

  // --- SignalRouter ---

  /** Attaches the socket here and records it open in the room's hash. */
  attach(peer: PeerEndpoint): void {
    this.local.attach(peer)
    this.record(peer).catch((err: Error) => this.o.onError('attach', err))
  }

  private record(peer: PeerEndpoint): Promise<unknown> {
    const entry: Entry = { i: this.inst.id, s: 'o', e: toRosterEntry(peer) }
    return this.redis.multi().hset(this.roomKey(peer.room), peer.peerId, JSON.stringify(entry)).hset(this.ipeersKey(this.inst.id), peer.peerId, peer.room).exec()
  }

  /** Detaches the socket here; its entry goes too unless it is handed over (drain) to the process it resumes on. */
  detach(peer: PeerEndpoint, handover = false): void {
    if (this.local.endpoint(peer.room, peer.peerId) !== peer) return
    this.local.detach(peer)
    if (!handover) void this.release(peer.room, peer.peerId)
  }

  /** Delivers here if the target's socket is here, else publishes it to the process holding it. */
  async route(from: PeerEndpoint, msg: OutboundMessage & { dst: string }): Promise<RouteOutcome> {
    const here = this.local.route(from, msg)
    if (here !== 'unknown-target' && here !== 'cross-room') return here
    const raw = await this.redis.hget(this.roomKey(from.room), msg.dst)
    const entry = raw ? (JSON.parse(raw) as Entry) : null
    if (!entry || entry.s !== 'o' || entry.i === this.inst.id) return 'unknown-target'
    const out: ProcessMessage = { k: 'signal', room: from.room, msg: { type: msg.type, src: from.peerId, dst: msg.dst, payload: msg.payload } }
    return (await this.inst.publish(entry.i, out)) > 0 ? 'delivered' : 'unknown-target'
  }

  /** Delivers to this process's sockets of `room`, and publishes to every other process holding one. */
  async broadcast(room: string, msg: OutboundMessage, exceptPeerId?: string): Promise<number> {
    let n = this.local.broadcast(room, msg, exceptPeerId)
    try {
      const others = new Map<string, number>()
      for (const [peerId, v] of await this.entries(room)) {
        if (v.s === 'o' && v.i !== this.inst.id && peerId !== exceptPeerId) others.set(v.i, (others.get(v.i) ?? 0) + 1)
      }
      const out: ProcessMessage = { k: 'broadcast', room, msg, ...(exceptPeerId ? { except: exceptPeerId } : {}) }
      await Promise.all([...others].map(async ([id, count]) => ((await this.inst.publish(id, out)) > 0 ? (n += count) : 0)))
    } catch (err) {
      this.o.onError('broadcast', err as Error) // Redis away: this process's sockets were told, the others are not
    }
    return n
  }

  /** The open sockets of `room`, every process. */
  async roster(room: string): Promise<RosterEntry[]> {
    return (await this.entries(room)).flatMap(([, v]) => (v.s === 'o' && v.e ? [v.e] : []))
  }

  /** Sockets and rooms of this process. */
  counts(): { peers: number; rooms: number } {
    return this.local.counts()
  }

  /** Whether `peerId` has a socket in this process. */
  has(peerId: string): boolean {
    return this.local.has(peerId)
  }

  // --- across processes ---

  /** Closes `peerId`'s socket in `room` wherever it is (a resume): here at once, elsewhere through its process's channel. */
  async evict(room: string, peerId: string): Promise<void> {
    if (this.local.endpoint(room, peerId)) return this.evictLocal(peerId)
    const raw = await this.redis.hget(this.roomKey(room), peerId)
    const entry = raw ? (JSON.parse(raw) as Entry) : null
    if (entry && entry.s === 'o' && entry.i !== this.inst.id) await this.inst.publish(entry.i, { k: 'evict', room, peerId } satisfies ProcessMessage)
  }

  /** A message from another process. */
  onMessage(m: ProcessMessage): void {
    if (m.k === 'signal') this.local.endpoint(m.room, m.msg.dst)?.deliver(m.msg)
    else if (m.k === 'broadcast') this.local.broadcast(m.room, m.msg, m.except)
    else if (m.k === 'evict') {
      if (this.local.endpoint(m.room, m.peerId)) this.evictLocal(m.peerId)
    } else if (m.k === 'taken') this.onTaken(m.peerId)
  }

  /** Rooms with a socket in this process. */
  *localRooms(): IterableIterator<string> {
    for (const p of this.local.endpoints()) yield p.room
  }

  /** Writes this process's sockets back (Redis restarted empty). */
  async rebuild(): Promise<void> {
    await Promise.all([...this.local.endpoints()].map((p) => this.record(p)))
  }

  /** Removes the entries a dead process still owns (its peers that did not resume elsewhere) and tells their rooms. */
  async reap(id: string, peerLeft: (room: string, peerId: string) => void): Promise<void> {
    const peers = await this.redis.hgetall(this.ipeersKey(id))
    for (const [peerId, room] of Object.entries(peers)) {
      if (await this.release(room, peerId, id)) peerLeft(room, peerId)
    }
    await this.redis.del(this.ipeersKey(id))
  }
}
