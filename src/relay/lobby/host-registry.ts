/**
 * For host mode (issue 17, not built yet): the registry of host processes the matchmaker will hand sessions to.
 * `HostRegistry` is the seam; `LocalHostRegistry` the in-process default. Nothing in the relay calls it yet: the
 * routes a host registers and heartbeats through (authenticated with a service-auth JWT from the host's own DID, or
 * a shared secret for self-hosting) and the hand-off itself come with host mode.
 *
 * How it will be used: a host heartbeats `{ id, region, capacity, load }` every few seconds; when a queue's rules ask
 * for a host, the matchmaker calls `pick(region, seats)` and hands the chosen host the session (its id and members:
 * the same `{ id, did }` list as the session ticket's `members`), and the session ticket names the host (`host`
 * claim); the host admits only peers presenting a session ticket of that session whose holder is a member. A host
 * that stops heartbeating for `ttlMs` is no longer picked (failover to the next least-loaded one).
 *
 * Contract for any implementation: `heartbeat` upserts (the last one wins); `pick` returns a live host (heard from
 * within `ttlMs`) of that region with at least `seats` free (`capacity - load`), the least loaded by
 * `load / capacity` (ties: the smaller id), and counts the seats as taken until the host's next heartbeat, so two sessions
 * picked at once do not overfill one host; the number of hosts held is bounded.
 */

export interface HostAnnouncement {
  /** Stable id of the host process (its DID when it authenticates with one). */
  id: string
  /** Where it runs (sessions go to a host of their queue's region). */
  region: string
  /** Players it can hold. */
  capacity: number
  /** Players it holds now. */
  load: number
  /** Where clients reach it (its PeerJS id or URL), as host mode defines it. */
  endpoint?: string
}

/** A host as the registry holds it. */
export interface HostRecord extends HostAnnouncement {
  /** Last heartbeat (ms, the caller's clock). */
  lastSeen: number
}

/** The registry of hosts (the seam; default {@link LocalHostRegistry}); its contract is above. */
export interface HostRegistry {
  /** Records a heartbeat; false when the registry is full of live hosts and this one is new. */
  heartbeat(host: HostAnnouncement, now: number): boolean | Promise<boolean>
  /** Forgets a host (it said goodbye). */
  remove(id: string): void | Promise<void>
  /** The host a session of `seats` players in `region` goes to, or null. */
  pick(region: string, seats: number, now: number): HostRecord | null | Promise<HostRecord | null>
  /** Live hosts. */
  list(now: number): HostRecord[] | Promise<HostRecord[]>
}

/** The in-process host registry (bounded by `maxHosts`; a host silent for `ttlMs` is gone). */
export class LocalHostRegistry implements HostRegistry {
  private readonly hosts = new Map<string, HostRecord>()

  constructor(private readonly opts: { ttlMs: number; maxHosts: number }) {}

  /** Records a heartbeat; false when full of live hosts and this one is new. */
  heartbeat(host: HostAnnouncement, now: number): boolean {
    if (!this.hosts.has(host.id) && this.hosts.size >= this.opts.maxHosts) {
      this.expire(now)
      if (this.hosts.size >= this.opts.maxHosts) return false
    }
    this.hosts.set(host.id, { ...host, lastSeen: now })
    return true
  }

  /** Forgets a host. */
  remove(id: string): void {
    this.hosts.delete(id)
  }

  /** The least-loaded live host of `region` with `seats` free (counted as taken until its next heartbeat), or null. */
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

  /** Live hosts. */
  list(now: number): HostRecord[] {
    this.expire(now)
    return [...this.hosts.values()].map((h) => ({ ...h }))
  }

  private expire(now: number): void {
    for (const h of [...this.hosts.values()]) if (now - h.lastSeen >= this.opts.ttlMs) this.hosts.delete(h.id)
  }
}
