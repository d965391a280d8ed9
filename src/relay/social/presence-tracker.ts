/**
 * A player's presence, as this relay process sees it: online while one of their social sockets is connected and
 * not appearing offline; in the room of their latest peer socket (the room the relay admitted them to, not one they
 * claim); joinable when a visible socket says so. Every change is published to the `PresenceStore`.
 */
import type { PresenceState, PresenceStore } from './presence-store.js'

/** What one social socket says of its player. */
export interface SocketPresence {
  /** False: appear offline. */
  visible: boolean
  joinable: boolean
  handle?: string
}

export class PresenceTracker {
  private readonly sockets = new Map<string, Set<SocketPresence>>()
  /** did -> peer id -> the room of that peer socket, and when it opened. */
  private readonly peers = new Map<string, Map<string, { room: string; at: number }>>()
  private readonly shown = new Map<string, PresenceState>()

  constructor(private readonly store: PresenceStore, private readonly now: () => number = Date.now) {}

  addSocket(did: string, s: SocketPresence): void {
    let set = this.sockets.get(did)
    if (!set) this.sockets.set(did, (set = new Set()))
    set.add(s)
    this.update(did)
  }

  /** Call after changing a socket's `visible` / `joinable`. */
  changed(did: string): void {
    this.update(did)
  }

  removeSocket(did: string, s: SocketPresence): void {
    const set = this.sockets.get(did)
    set?.delete(s)
    if (set?.size === 0) this.sockets.delete(did)
    this.update(did)
  }

  /** Social sockets `did` holds in this process. */
  socketCount(did: string): number {
    return this.sockets.get(did)?.size ?? 0
  }

  peerOpened(did: string, peerId: string, room: string): void {
    let rooms = this.peers.get(did)
    if (!rooms) this.peers.set(did, (rooms = new Map()))
    rooms.set(peerId, { room, at: this.now() })
    this.update(did)
  }

  peerClosed(did: string, peerId: string): void {
    const rooms = this.peers.get(did)
    if (!rooms?.delete(peerId)) return
    if (rooms.size === 0) this.peers.delete(did)
    this.update(did)
  }

  private update(did: string): void {
    const visible = [...(this.sockets.get(did) ?? [])].filter((s) => s.visible)
    const prev = this.shown.get(did)
    if (visible.length === 0) {
      if (!prev) return
      this.shown.delete(did)
      void this.store.publish(did, null)
      return
    }
    let latest: { room: string; at: number } | undefined
    for (const r of this.peers.get(did)?.values() ?? []) if (!latest || r.at >= latest.at) latest = r
    const room = latest?.room ?? null
    const joinable = room !== null && visible.some((s) => s.joinable)
    const handle = visible.find((s) => s.handle)?.handle
    if (prev && prev.room === room && prev.joinable === joinable && prev.handle === handle) return
    const state: PresenceState = { did, ...(handle ? { handle } : {}), room, joinable, since: this.now() }
    this.shown.set(did, state)
    void this.store.publish(did, state)
  }
}
