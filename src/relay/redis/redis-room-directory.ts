/**
 * The room directory on Redis: one room list for every process, with the caps of the `RoomDirectory` contract kept
 * atomically by Lua scripts (never more than `maxRooms`, nor `maxPerCreator` rooms of one creator, nor two rooms of
 * one name).
 *
 *   dir:rooms     HASH name -> record (JSON)
 *   dir:order     ZSET name by creation sequence (the list's stable order; cursors are sequence numbers)
 *   dir:seq       the sequence
 *   dir:players   HASH name -> connected players (every process: the shared roster's count)
 *   dir:empty     ZSET name by the time it became empty (what `sweep` drops after `emptyTtlMs`)
 *   dir:creators  HASH creator -> rooms held
 *
 * Records this process created or read are remembered while it holds sockets of their room, so a Redis restart is
 * repaired from the live rooms (`rebuild`).
 */
import type { Redis } from 'ioredis'
import { matchesFilter, type CreateResult, type RoomDirectory, type RoomEntry, type RoomFilter, type RoomRecord } from '../lobby/room-directory.js'

// KEYS: rooms, order, seq, players, empty, creators. ARGV: name, record, creator, maxRooms, maxPerCreator ('' none), now.
const CREATE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'exists' end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 'full' end
if ARGV[5] ~= '' and tonumber(redis.call('HGET', KEYS[6], ARGV[3]) or '0') >= tonumber(ARGV[5]) then return 'creator-limit' end
local seq = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], 0)
redis.call('ZADD', KEYS[5], ARGV[6], ARGV[1])
redis.call('HINCRBY', KEYS[6], ARGV[3], 1)
return 'created'`

// KEYS: rooms, players, empty. ARGV: name, players, now.
const OCCUPANCY = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if tonumber(ARGV[2]) > 0 then redis.call('ZREM', KEYS[3], ARGV[1]) else redis.call('ZADD', KEYS[3], 'NX', ARGV[3], ARGV[1]) end
return 1`

// KEYS: rooms, order, players, empty, creators. ARGV: name, creator, latest emptySince allowed. 1 if this call dropped it.
const DROP = `
local since = redis.call('ZSCORE', KEYS[4], ARGV[1])
if not since or tonumber(since) > tonumber(ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('HINCRBY', KEYS[5], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[5], ARGV[2]) end
return 1`

type Scripted = Redis & {
  dirCreate(...args: (string | number)[]): Promise<CreateResult>
  dirOccupancy(...args: (string | number)[]): Promise<number>
  dirDrop(...args: (string | number)[]): Promise<number>
}

/** A {@link RoomDirectory} every relay process on one Redis shares (used with the `redis` option). */
export class RedisRoomDirectory implements RoomDirectory {
  private readonly known = new Map<string, RoomRecord>()
  private count = 0
  private readonly k: Record<'rooms' | 'order' | 'seq' | 'players' | 'empty' | 'creators', string>

  constructor(private readonly redis: Redis, prefix: string) {
    this.k = { rooms: `${prefix}dir:rooms`, order: `${prefix}dir:order`, seq: `${prefix}dir:seq`, players: `${prefix}dir:players`, empty: `${prefix}dir:empty`, creators: `${prefix}dir:creators` }
    redis.defineCommand('dirCreate', { numberOfKeys: 6, lua: CREATE })
    redis.defineCommand('dirOccupancy', { numberOfKeys: 3, lua: OCCUPANCY })
    redis.defineCommand('dirDrop', { numberOfKeys: 5, lua: DROP })
  }

  private get r(): Scripted {
    return this.redis as Scripted
  }

  /** Rooms in the directory (every process), as of the last sweep. */
  get size(): number {
    return this.count
  }

  /** Creates the room unless a cap or its name forbids it (atomically). */
  async create(record: RoomRecord, limits: { maxRooms: number; maxPerCreator: number | null }, now: number): Promise<CreateResult> {
    const k = this.k
    const result = await this.r.dirCreate(k.rooms, k.order, k.seq, k.players, k.empty, k.creators, record.name, JSON.stringify(record), record.creator, limits.maxRooms, limits.maxPerCreator ?? '', now)
    if (result === 'created') this.known.set(record.name, record)
    return result
  }

  /** The room and its connected players, or undefined. */
  async get(name: string): Promise<RoomEntry | undefined> {
    const [raw, players] = await Promise.all([this.redis.hget(this.k.rooms, name), this.redis.hget(this.k.players, name)])
    if (!raw) return undefined
    const record = JSON.parse(raw) as RoomRecord
    this.known.set(name, record)
    return { ...record, players: Number(players ?? 0) }
  }

  /** Records the room's connected players (every process's sockets). */
  async occupancy(name: string, players: number, now: number): Promise<void> {
    await this.r.dirOccupancy(this.k.rooms, this.k.players, this.k.empty, name, players, now)
  }

  /** Public rooms matching `filter`, in creation order, `limit` after `cursor`. */
  async list(filter: RoomFilter, limit: number, cursor: string | undefined): Promise<{ rooms: RoomEntry[]; next: string | null }> {
    let after = cursor === undefined ? 0 : parseInt(cursor, 36)
    const rooms: RoomEntry[] = []
    for (;;) {
      const batch = await this.redis.zrangebyscore(this.k.order, `(${after}`, '+inf', 'WITHSCORES', 'LIMIT', 0, 256)
      if (batch.length === 0) return { rooms, next: null }
      const names = batch.filter((_, i) => i % 2 === 0)
      const [records, players] = await Promise.all([this.redis.hmget(this.k.rooms, ...names), this.redis.hmget(this.k.players, ...names)])
      for (const [i, name] of names.entries()) {
        const seq = Number(batch[2 * i + 1])
        const raw = records[i]
        if (raw) {
          const entry: RoomEntry = { ...(JSON.parse(raw) as RoomRecord), players: Number(players[i] ?? 0) }
          if (matchesFilter(entry, filter)) {
            if (rooms.length === limit) return { rooms, next: after.toString(36) }
            rooms.push(entry)
          }
        }
        after = seq
      }
    }
  }

  /** Drops rooms empty for `emptyTtlMs` (each by exactly one process); returns the names this process dropped. */
  async sweep(now: number, emptyTtlMs: number): Promise<string[]> {
    const k = this.k
    const due = await this.redis.zrangebyscore(k.empty, '-inf', now - emptyTtlMs)
    const dropped: string[] = []
    for (const name of due) {
      const raw = await this.redis.hget(k.rooms, name)
      const creator = raw ? (JSON.parse(raw) as RoomRecord).creator : ''
      if ((await this.r.dirDrop(k.rooms, k.order, k.players, k.empty, k.creators, name, creator, now - emptyTtlMs)) === 1) {
        dropped.push(name)
        this.known.delete(name)
      }
    }
    this.count = await this.redis.hlen(k.rooms)
    return dropped
  }

  /** Puts back the records of `rooms` (those this process holds sockets of) after a Redis restart. */
  async rebuild(rooms: Set<string>, maxRooms: number, now: number): Promise<void> {
    for (const [name, record] of this.known) {
      if (!rooms.has(name)) {
        this.known.delete(name)
        continue
      }
      await this.create(record, { maxRooms, maxPerCreator: null }, now)
    }
  }
}
