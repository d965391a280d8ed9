/**
 * The room directory: rooms created with options (`POST /v1/rooms`), made for matches, or rebuilt after a restart
 * from the record their members' resume tokens carry. `RoomDirectory` is the seam (the Redis one, shared by every
 * process, comes with the `redis` option: redis/redis-room-directory.ts); `LocalRoomDirectory` is the in-process default. A room joined by name without being created (an ad-hoc
 * room, `#room=` links) is not in the directory: it has no options and is never listed.
 *
 * Contract for any implementation:
 * - `create` is atomic with its caps: never more than `maxRooms` rooms, never more than `maxPerCreator` rooms of one
 *   creator (null: no creator cap, for matchmade and rebuilt rooms), never two rooms of one name.
 * - `occupancy(name, players)` is the live count of connected players (every process's, with `redis`), reported on
 *   every socket open and close; a room whose count stays 0 for `emptyTtlMs` is dropped by
 *   `sweep` (a room just created counts as empty from its creation).
 * - `list` returns public rooms only, in a stable order (creation), filtered, one page after `cursor`.
 */
import type { JsonValue, RoomAccessMode, RoomInfo, RoomVisibility } from '../../signaling/contract.js'

/** What defines a room; immutable once created (it rides in its members' resume tokens). */
export interface RoomRecord {
  /** Random id of this room: invites and session tickets name it, so a room made again under the same name is another room. */
  id: string
  /** The room's name (unique in the directory). */
  name: string
  /** `public`: listed; `private`: joined by name only (every matchmade room). */
  visibility: RoomVisibility
  /** Players at once (connected + admitted). */
  maxPlayers: number
  /** Free-form JSON shown in the room list (at most `maxRoomMetadataBytes` as JSON). */
  metadata: { [key: string]: JsonValue }
  /** `did:…` of its creator, `anon:<hash of the address>` for an anonymous one, `match:<queue>` for a matchmade room. */
  creator: string
  /** SHA-256 of salt + password (base64url), when it has one. */
  password?: { salt: string; hash: string }
  /** A join needs an invite token, a session ticket of `session`, or a DID among `invited` or the creator's. */
  inviteOnly: boolean
  /** DIDs admitted to an invite-only room without a token. */
  invited: string[]
  /** The session whose tickets admit to a matchmade room. */
  session?: string
  /** Unix ms. */
  createdAt: number
}

/** A room as the directory holds it: its record and its live player count. */
export interface RoomEntry extends RoomRecord {
  /** Connected players. */
  players: number
}

/** `create`'s answer: created, or refused as a name in use, a directory of `maxRooms` rooms, or a creator holding `maxPerCreator`. */
export type CreateResult = 'created' | 'exists' | 'full' | 'creator-limit'

/** What `list` keeps of the public rooms (every field optional, all must hold). */
export interface RoomFilter {
  /** Only rooms with fewer connected players than `maxPlayers`. */
  available?: boolean
  /** Only rooms of this access mode. */
  access?: RoomAccessMode
  /** Only rooms whose top-level metadata values, as strings, equal these (objects, arrays and null never do). */
  metadata?: Record<string, string>
}

/** The room directory (the relay's seam, option `roomDirectory`; default {@link LocalRoomDirectory}); the contract is in the module comment. `now` is Unix ms. */
export interface RoomDirectory {
  /** Adds a room with 0 players (empty from `now`), atomically with `limits` (`maxPerCreator` null: no creator cap). */
  create(record: RoomRecord, limits: { maxRooms: number; maxPerCreator: number | null }, now: number): CreateResult | Promise<CreateResult>
  /** The room of that name, or undefined (an ad-hoc or dropped room). */
  get(name: string): RoomEntry | undefined | Promise<RoomEntry | undefined>
  /** Sets the connected players of a room (ignored for a room not in the directory); 0 starts its empty time at `now`. */
  occupancy(name: string, players: number, now: number): void | Promise<void>
  /** Up to `limit` public rooms matching `filter` after `cursor` (a previous page's `next`), in creation order; `next` is null on the last page. */
  list(filter: RoomFilter, limit: number, cursor: string | undefined): { rooms: RoomEntry[]; next: string | null } | Promise<{ rooms: RoomEntry[]; next: string | null }>
  /** Drops rooms empty for `emptyTtlMs` or longer; returns their names. */
  sweep(now: number, emptyTtlMs: number): string[] | Promise<string[]>
  /** Rooms held (this process). */
  readonly size: number
}

export function accessOf(r: RoomRecord): RoomAccessMode {
  return r.password ? 'password' : r.inviteOnly ? 'invite' : 'open'
}

export function roomInfo(r: RoomEntry): RoomInfo {
  return { name: r.name, players: r.players, maxPlayers: r.maxPlayers, access: accessOf(r), metadata: r.metadata, createdAt: r.createdAt }
}

interface Held extends RoomEntry {
  seq: number
  emptySince: number | null
}

/** The in-process room directory (a `Map` by name; cursors are creation sequence numbers in base 36). */
export class LocalRoomDirectory implements RoomDirectory {
  private readonly rooms = new Map<string, Held>()
  private readonly byCreator = new Map<string, number>()
  private seq = 0

  /** Rooms held. */
  get size(): number {
    return this.rooms.size
  }

  /** Adds `record` with 0 players; checks the name, then `maxRooms`, then the creator's count. */
  create(record: RoomRecord, limits: { maxRooms: number; maxPerCreator: number | null }, now: number): CreateResult {
    if (this.rooms.has(record.name)) return 'exists'
    if (this.rooms.size >= limits.maxRooms) return 'full'
    const mine = this.byCreator.get(record.creator) ?? 0
    if (limits.maxPerCreator !== null && mine >= limits.maxPerCreator) return 'creator-limit'
    this.rooms.set(record.name, { ...record, players: 0, seq: ++this.seq, emptySince: now })
    this.byCreator.set(record.creator, mine + 1)
    return 'created'
  }

  /** A shallow copy of the room `name`, or undefined. */
  get(name: string): RoomEntry | undefined {
    const r = this.rooms.get(name)
    if (!r) return undefined
    const { seq: _seq, emptySince: _empty, ...entry } = r
    return entry
  }

  /** Sets the room's players; the first report of 0 after players starts its empty time. */
  occupancy(name: string, players: number, now: number): void {
    const r = this.rooms.get(name)
    if (!r) return
    r.players = players
    if (players > 0) r.emptySince = null
    else r.emptySince ??= now
  }

  /** One page of matching public rooms in creation order; `next` is set only when another matching room follows. */
  list(filter: RoomFilter, limit: number, cursor: string | undefined): { rooms: RoomEntry[]; next: string | null } {
    const after = cursor === undefined ? 0 : parseInt(cursor, 36)
    const rooms: RoomEntry[] = []
    let last = 0
    for (const r of this.rooms.values()) {
      if (r.seq <= after || !matchesFilter(r, filter)) continue
      if (rooms.length === limit) return { rooms, next: last.toString(36) }
      rooms.push(this.get(r.name)!)
      last = r.seq
    }
    return { rooms, next: null }
  }

  /** Drops the rooms empty for `emptyTtlMs` ms or more (their names are free again); returns their names. */
  sweep(now: number, emptyTtlMs: number): string[] {
    const dropped: string[] = []
    for (const r of this.rooms.values()) {
      if (r.emptySince === null || now - r.emptySince < emptyTtlMs) continue
      this.rooms.delete(r.name)
      const n = (this.byCreator.get(r.creator) ?? 1) - 1
      if (n <= 0) this.byCreator.delete(r.creator)
      else this.byCreator.set(r.creator, n)
      dropped.push(r.name)
    }
    return dropped
  }
}

/** Whether a room is listed under `f`: public, and matching its availability, access and metadata filters. */
export function matchesFilter(r: RoomEntry, f: RoomFilter): boolean {
  if (r.visibility !== 'public') return false
  if (f.available && r.players >= r.maxPlayers) return false
  if (f.access && accessOf(r) !== f.access) return false
  for (const [k, want] of Object.entries(f.metadata ?? {})) {
    const v = Object.prototype.hasOwnProperty.call(r.metadata, k) ? r.metadata[k] : undefined
    if (v === undefined || v === null || typeof v === 'object' || String(v) !== want) return false
  }
  return true
}
