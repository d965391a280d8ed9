/**
 * Presence of signed-in players, the seam in the Colyseus shape: `PresenceStore` is the interface, `LocalPresenceStore`
 * the in-process default (with `redis`: redis/redis-social.ts, each process's view of a DID in a hash, changes on a channel per DID).
 * The store holds what a friend may see; who may see it (friends only) is decided by the social socket of each
 * watcher, never by the store.
 */

/** A player who is online and visible. */
export interface PresenceState {
  /** The player's DID (verified from their social token). */
  did: string
  /** The player's handle, when the relay verified it. */
  handle?: string
  /** The room the player's peer socket is in on this relay, or null. */
  room: string | null
  /** The player welcomes friends in `room` (a visible social socket said so); false when in no room. */
  joinable: boolean
  /** Since when (Unix ms). */
  since: number
}

/**
 * Where the presence of online players is kept and watched (the relay's seam; default {@link LocalPresenceStore};
 * option `presenceStore`). It holds what a friend may see and never decides who sees it: every social socket checks
 * friendship before showing a watched player's state.
 */
export interface PresenceStore {
  /** Sets `did`'s presence; null: offline (or appearing offline). */
  publish(did: string, presence: PresenceState | null): void | Promise<void>
  /** `did`'s presence now (null: offline). */
  get(did: string): PresenceState | null | Promise<PresenceState | null>
  /** Calls `listener` on every change of `did`'s presence; returns the function that stops it. */
  watch(did: string, listener: (presence: PresenceState | null) => void): () => void
  /** Players online and watches held (this process), for metrics. */
  counts(): { online: number; watches: number }
}

/** The in-process presence store: one relay process's players, watched by its own social sockets. */
export class LocalPresenceStore implements PresenceStore {
  private readonly states = new Map<string, PresenceState>()
  private readonly listeners = new Map<string, Set<(p: PresenceState | null) => void>>()
  private watches = 0

  /** Stores `presence` and calls `did`'s listeners synchronously; an offline player who was already offline calls none. */
  publish(did: string, presence: PresenceState | null): void {
    if (presence) this.states.set(did, presence)
    else if (!this.states.delete(did)) return
    for (const l of [...(this.listeners.get(did) ?? [])]) l(presence)
  }

  /** `did`'s presence now (null: offline). */
  get(did: string): PresenceState | null {
    return this.states.get(did) ?? null
  }

  /** Calls `listener` on each later `publish` for `did` (not with the current state); the stop function is idempotent. */
  watch(did: string, listener: (p: PresenceState | null) => void): () => void {
    let set = this.listeners.get(did)
    if (!set) this.listeners.set(did, (set = new Set()))
    set.add(listener)
    this.watches++
    let on = true
    return () => {
      if (!on) return
      on = false
      this.watches--
      set.delete(listener)
      if (set.size === 0) this.listeners.delete(did)
    }
  }

  /** Players online and visible, and listeners registered, in this process. */
  counts(): { online: number; watches: number } {
    return { online: this.states.size, watches: this.watches }
  }
}
