/**
 * Presence of signed-in players, the seam in the Colyseus shape: `PresenceStore` is the interface, `LocalPresenceStore`
 * the in-process default (a Redis one would keep each DID's state in a hash and publish changes on a channel per DID).
 * The store holds what a friend may see; who may see it (friends only) is decided by the social socket of each
 * watcher, never by the store.
 */

/** A player who is online and visible. */
export interface PresenceState {
  did: string
  handle?: string
  /** The room the player's peer socket is in on this relay, or null. */
  room: string | null
  joinable: boolean
  /** Since when (Unix ms). */
  since: number
}

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

export class LocalPresenceStore implements PresenceStore {
  private readonly states = new Map<string, PresenceState>()
  private readonly listeners = new Map<string, Set<(p: PresenceState | null) => void>>()
  private watches = 0

  publish(did: string, presence: PresenceState | null): void {
    if (presence) this.states.set(did, presence)
    else if (!this.states.delete(did)) return
    for (const l of [...(this.listeners.get(did) ?? [])]) l(presence)
  }

  get(did: string): PresenceState | null {
    return this.states.get(did) ?? null
  }

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

  counts(): { online: number; watches: number } {
    return { online: this.states.size, watches: this.watches }
  }
}
