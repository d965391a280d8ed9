/**
 * Admissions any process can open the socket of: each one is kept here (with the slots it holds) and written to
 * Redis as `join:<peerId>` (the token's SHA-256, never the token) expiring with the join token. A socket consumes it
 * atomically on whichever process it reaches (single use across processes); when that is not the process that
 * admitted it, that process takes a relay slot of its own and the room entry, and tells the admitting one, which
 * lets its own go.
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { PendingJoins, type PendingJoin, type PendingJoinStore } from '../join-tokens.js'
import { combine, type SlotPool } from '../slots.js'
import type { RedisInstance } from './redis-instance.js'
import type { ProcessMessage, RedisRooms } from './redis-rooms.js'

interface Stored {
  h: string
  i: string
  peerId: string
  room: string
  did: string | null
  handle?: string
  admittedAt: number
  ticket: string
}

// KEYS: join key. ARGV: token hash, consumer, key prefix, room entry expiry. Returns the admission, or false.
const CONSUME = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
local d = cjson.decode(v)
if d.h ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
redis.call('HSET', ARGV[3] .. 'room:' .. d.room, d.peerId, cjson.encode({ i = ARGV[2], s = 'p', x = tonumber(ARGV[4]) }))
return v`

type Scripted = Redis & { joinConsume(key: string, hash: string, consumer: string, prefix: string, exp: number): Promise<string | null> }

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex')

export class RedisPendingJoins implements PendingJoinStore {
  private readonly here: PendingJoins

  constructor(
    private readonly inst: RedisInstance,
    private readonly rooms: RedisRooms,
    private readonly slots: SlotPool,
    private readonly o: { ttlMs: number; prefix: string; onExpire: (join: PendingJoin) => void },
  ) {
    this.here = new PendingJoins(o.ttlMs, o.onExpire)
    inst.cmd.defineCommand('joinConsume', { numberOfKeys: 1, lua: CONSUME })
    // Our admission opened on another process: it holds the room entry now; our relay slot goes.
    rooms.onTaken = (peerId) => this.here.take(peerId)?.slot.release()
  }

  private key(peerId: string): string {
    return this.inst.key(`join:${peerId}`)
  }

  /** Admissions waiting in this process. */
  get size(): number {
    return this.here.size
  }

  /** Keeps the admission here and publishes it to every process. */
  async add(join: PendingJoin, token: string): Promise<void> {
    const stored: Stored = { h: hashOf(token), i: this.inst.id, peerId: join.peerId, room: join.room, did: join.did, ...(join.handle ? { handle: join.handle } : {}), admittedAt: join.admittedAt, ticket: join.ticket }
    await this.inst.cmd.set(this.key(join.peerId), JSON.stringify(stored), 'PX', this.o.ttlMs)
    this.here.add(join, token)
  }

  /** Consumes the admission on Redis (once, whichever process it reaches); null if gone, wrong token or no relay slot here. */
  async consume(peerId: string, token: string): Promise<PendingJoin | null> {
    let raw: string | null
    try {
      raw = await (this.inst.cmd as Scripted).joinConsume(this.key(peerId), hashOf(token), this.inst.id, this.o.prefix, Date.now() + this.o.ttlMs)
    } catch {
      return null
    }
    if (!raw) return null
    const d = JSON.parse(raw) as Stored
    const mine = d.i === this.inst.id ? this.here.take(peerId) : null
    if (mine) return mine
    const relaySlot = this.slots.tryAcquire()
    const roomSlot = this.rooms.slotOf(d.room, peerId)
    if (!relaySlot) {
      roomSlot.release()
      return null
    }
    if (d.i !== this.inst.id) void this.inst.publish(d.i, { k: 'taken', peerId } satisfies ProcessMessage).catch(() => {})
    return { peerId, room: d.room, did: d.did, ...(d.handle ? { handle: d.handle } : {}), admittedAt: d.admittedAt, ticket: d.ticket, slot: combine(relaySlot, roomSlot) }
  }

  /** Drops an admission (a resume replaces it), here and on Redis. */
  async drop(peerId: string): Promise<void> {
    this.here.drop(peerId)
    await this.inst.cmd.del(this.key(peerId))
  }

  /** Drops this process's admissions (shutdown). */
  clear(): void {
    this.here.clear()
  }
}
