/**
 * Capacity accounting. A peer holds one relay-wide slot from the moment its join request starts verification
 * (before any DID resolution) until its socket closes or its join token expires, and one room slot from admission
 * on. Releases are idempotent, so every exit path can release without double counting.
 */
export interface Slot {
  release(): void
}

export class SlotPool {
  private used = 0
  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used
  }

  tryAcquire(): Slot | null {
    if (this.used >= this.capacity) return null
    this.used++
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        this.used--
      },
    }
  }
}

/** A room slot; `first`: its room had no one else in it (admitted or connected) when it was taken. */
export interface RoomSlot extends Slot {
  readonly first: boolean
}

/**
 * Room slots (the relay's seam: {@link RoomSlots} in one process, the Redis room hashes with `redis`). A peer id holds
 * at most one slot of a room: taking it again (a resume) replaces the one it held, without counting twice.
 */
export interface RoomSlotPool {
  /** A slot in `room` for `peerId`, whose cap is `limit` (a lobby room's `maxPlayers`) but never above `maxPeersPerRoom`; null: full. */
  tryAcquire(room: string, peerId: string, limit?: number): RoomSlot | null | Promise<RoomSlot | null>
  /** Slots held in `room` (every process). */
  inUse(room: string): number | Promise<number>
  /** Slots held by this process, all rooms. */
  readonly total: number
}

/** One pool per room, created on demand and dropped when empty (`onEmpty` is then told). */
export class RoomSlots implements RoomSlotPool {
  private readonly used = new Map<string, number>()
  constructor(readonly perRoom: number, private readonly onEmpty: (room: string) => void = () => {}) {}

  inUse(room: string): number {
    return this.used.get(room) ?? 0
  }

  get total(): number {
    let n = 0
    for (const v of this.used.values()) n += v
    return n
  }

  /** A slot in `room`, whose cap is `limit` (a lobby room's `maxPlayers`) but never above `perRoom`. */
  tryAcquire(room: string, _peerId: string, limit = this.perRoom): RoomSlot | null {
    const n = this.used.get(room) ?? 0
    if (n >= Math.min(limit, this.perRoom)) return null
    this.used.set(room, n + 1)
    let held = true
    return {
      first: n === 0,
      release: () => {
        if (!held) return
        held = false
        const m = (this.used.get(room) ?? 1) - 1
        if (m > 0) return void this.used.set(room, m)
        this.used.delete(room)
        this.onEmpty(room)
      },
    }
  }
}

/** Releases several slots as one. */
export function combine(...slots: Slot[]): Slot {
  return { release: () => slots.forEach((s) => s.release()) }
}
