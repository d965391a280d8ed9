/**
 * The registry of host processes the matchmaker hands sessions to (host-handoff.ts, README "Hand-off to hosts").
 * `HostRegistry` is the seam; `LocalHostRegistry` the in-process default (option `hostRegistry`).
 *
 * How it is used: a host heartbeats `{ id, region, capacity, load }` (routes in host-routes.ts); when a queue's rules
 * ask for a host, the matchmaker calls `pick(region, seats)` and hands the chosen host the session (its members: the
 * same `{ id, did }` list as the session ticket's `members`), and every session ticket names the host (`host`
 * claim); the host admits only peers presenting a session ticket of that session whose holder is a member. A host
 * that stops heartbeating for `ttlMs` is no longer picked (failover to the next least-loaded one).
 *
 * Contract for any implementation: `heartbeat` upserts (the last one wins); `pick` returns a live host (heard from
 * within `ttlMs`) of that region with at least `seats` free (`capacity - load`), the least loaded by
 * `load / capacity` (ties: the smaller id), and counts the seats as taken until the host's next heartbeat, so two sessions
 * picked at once do not overfill one host; the number of hosts held is bounded.
 */

/** What a host says of itself in each heartbeat. */
export interface HostAnnouncement {
  /** Stable id of the host process (its DID when it authenticates with one). */
  id: string
  /** The region it serves (compared as is with the region `pick` asks for, e.g. a match's `region` attribute). */
  region: string
  /** Players it can hold. */
  capacity: number
  /** Players it holds now. */
  load: number
  /** Where clients reach it (its PeerJS id or URL), as host mode defines it. */
  endpoint?: string
}

/** A host as the registry holds it: its last announcement (with the seats `pick` took since) and when it was heard. */
export interface HostRecord extends HostAnnouncement {
  /** Last heartbeat (ms, the caller's clock). */
  lastSeen: number
}

/** The registry of host processes (the seam for host mode; default {@link LocalHostRegistry}). `now` is ms on the caller's clock. */
export interface HostRegistry {
  /** Records a heartbeat; false when the registry is full of live hosts and this one is new. */
  heartbeat(host: HostAnnouncement, now: number): boolean | Promise<boolean>
  /** Forgets a host at once (it signed off); unknown ids are ignored. */
  remove(id: string): void | Promise<void>
  /** The host a session of `seats` players in `region` goes to, or null. */
  pick(region: string, seats: number, now: number): HostRecord | null | Promise<HostRecord | null>
  /** Live hosts. */
  list(now: number): HostRecord[] | Promise<HostRecord[]>
}

/** The in-process host registry: at most `maxHosts` hosts, each live for `ttlMs` after its last heartbeat. */
export class LocalHostRegistry implements HostRegistry {
  private readonly hosts = new Map<string, HostRecord>()

  /** `ttlMs`: how long a host stays live after a heartbeat, ms; `maxHosts`: hosts held at most (expired ones make room). */
  constructor(private readonly opts: { ttlMs: number; maxHosts: number }) {}

  /** Upserts the host with `lastSeen = now` (its `load` replaces the seats taken by `pick`); false when new and `maxHosts` live hosts are held. */
  heartbeat(host: HostAnnouncement, now: number): boolean {
    if (!this.hosts.has(host.id) && this.hosts.size >= this.opts.maxHosts) {
      this.expire(now)
      if (this.hosts.size >= this.opts.maxHosts) return false
    }
    this.hosts.set(host.id, { ...host, lastSeen: now })
    return true
  }

  /** Forgets the host `id`. */
  remove(id: string): void {
    this.hosts.delete(id)
  }

  /** The least loaded live host of `region` with `seats` free, its `load` raised by `seats` until its next heartbeat; a copy, or null. */
  pick(region: string, seats: number, now: number): HostRecord | null {
    this.expire(now)
    let best: HostRecord | null = null
    for (const h of this.hosts.values()) {
      if (h.region !== region || h.capacity - h.load < seats) continue
      if (!best || h.load / h.capacity < best.load / best.capacity || (h.load / h.capacity === best.load / best.capacity && h.id < best.id)) best = h
    }
    if (best) best.load += seats
    return best ? { ...best } : null
  }

  /** Copies of the live hosts (expired ones are dropped first). */
  list(now: number): HostRecord[] {
    this.expire(now)
    return [...this.hosts.values()].map((h) => ({ ...h }))
  }

  private expire(now: number): void {
    for (const h of [...this.hosts.values()]) if (now - h.lastSeen >= this.opts.ttlMs) this.hosts.delete(h.id)
  }
}
