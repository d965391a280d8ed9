/**
 * Friends-only policies on Redis (`policy:<room>`), beside the room's entries (redis-rooms.ts drops it with the last
 * one). What this process set is remembered too, so a Redis restart is repaired from the rooms it still holds.
 */
import type { Redis } from 'ioredis'
import type { RoomPolicies } from '../social/room-policy.js'

export class RedisRoomPolicies implements RoomPolicies {
  private readonly known = new Map<string, string>()

  constructor(private readonly redis: Redis, private readonly keyOf: (room: string) => string) {}

  /** The DID whose friends `room` admits, or undefined. */
  async friendsOf(room: string): Promise<string | undefined> {
    return (await this.redis.get(this.keyOf(room))) ?? undefined
  }

  /** Makes `room` friends-only for `friendsOf`'s friends. */
  async set(room: string, friendsOf: string): Promise<void> {
    this.known.set(room, friendsOf)
    await this.redis.set(this.keyOf(room), friendsOf)
  }

  /** Opens `room` to everyone. */
  async delete(room: string): Promise<void> {
    this.known.delete(room)
    await this.redis.del(this.keyOf(room))
  }

  /** Writes back the policies of `rooms` (those this process still holds sockets of) after a Redis restart. */
  async rebuild(rooms: Set<string>): Promise<void> {
    for (const [room, did] of this.known) {
      if (rooms.has(room)) await this.redis.set(this.keyOf(room), did, 'NX')
      else this.known.delete(room)
    }
  }
}
