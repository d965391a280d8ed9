/**
 * Hand-off to hosts: the registered hosts of this relay process (README "Hand-off to hosts"). A host registers with
 * `POST /v1/hosts` and keeps the answer open: a `text/event-stream` on which the relay hands it sessions. While the
 * stream is open and its heartbeats (`POST /v1/hosts/heartbeat`, its load) come within `hostTtlMs`, the host is in
 * the `HostRegistry`, and a match of a host-mode queue (`matchQueues.<name>.host`) goes to the least-loaded live host
 * of the players' `region` with enough free seats. The stream closing (the host stopped, crashed, or the relay
 * restarted) unregisters it at once; a host whose heartbeats stop is no longer picked after `hostTtlMs` (failover).
 *
 * A host's streams are held by the process it registered on, so with several relay processes each one hands
 * sessions only to the hosts registered on it (a shared `HostRegistry` with cross-process delivery is a seam left
 * for scale-out).
 */
import type { ServerResponse } from 'node:http'
import type { HostAnnouncementBody, HostEvent, HostSession } from '../../signaling/contract.js'
import type { HostRecord, HostRegistry } from './host-registry.js'

/** A registered host's open stream. */
interface HostStream {
  /** The DID it registered with, or null (the host secret). */
  did: string | null
  res: ServerResponse
  keepalive: NodeJS.Timeout
}

/** What a pick hands back: the host's record and the DID it registered with (null: the host secret). */
export interface PickedHost extends HostRecord {
  did: string | null
}

export class HostHandoff {
  private readonly streams = new Map<string, HostStream>()

  constructor(
    readonly registry: HostRegistry,
    private readonly opts: { hostTtlMs: number; matchKeepaliveMs: number },
  ) {}

  /** Hosts with an open stream here. */
  get size(): number {
    return this.streams.size
  }

  /** Puts `id` in the registry (before its stream opens); false when the registry is full. */
  async admit(id: string, body: HostAnnouncementBody, now: number): Promise<boolean> {
    return await this.registry.heartbeat(this.announcement(id, body), now)
  }

  /** Holds `res` as the stream of the admitted host `id` (an earlier stream of the same id is closed: the host came back). */
  hold(id: string, did: string | null, res: ServerResponse): void {
    const old = this.streams.get(id)
    if (old) this.drop(id, old)
    const keepalive = setInterval(() => res.write(': keep-alive\n\n'), this.opts.matchKeepaliveMs)
    keepalive.unref()
    const stream: HostStream = { did, res, keepalive }
    this.streams.set(id, stream)
    res.on('close', () => {
      if (this.streams.get(id) !== stream) return
      this.drop(id, stream)
      void this.registry.remove(id)
    })
    this.send(res, { event: 'registered', data: { id, ttlMs: this.opts.hostTtlMs } })
  }

  /** A heartbeat of a host registered here (with the DID it registered with); false when it has no stream here. */
  async heartbeat(id: string, did: string | null, body: HostAnnouncementBody, now: number): Promise<boolean> {
    const s = this.streams.get(id)
    if (!s || s.did !== did) return false
    await this.registry.heartbeat(this.announcement(id, body), now)
    return true
  }

  /** Unregisters the host `id` (registered with `did`) at once, ending its stream; nothing when it is not registered here. */
  async leave(id: string, did: string | null): Promise<void> {
    const s = this.streams.get(id)
    if (!s || s.did !== did) return
    this.drop(id, s)
    await this.registry.remove(id)
  }

  /** The host a session of `seats` players in `region` goes to (one with a stream here), or null. */
  async pick(region: string, seats: number, now: number): Promise<PickedHost | null> {
    const h = await this.registry.pick(region, seats, now)
    const s = h ? this.streams.get(h.id) : undefined
    return h && s ? { ...h, did: s.did } : null
  }

  /** Hands `session` to the host `id` on its stream; false when its stream is gone. */
  hand(id: string, session: HostSession): boolean {
    const s = this.streams.get(id)
    if (!s) return false
    this.send(s.res, { event: 'session', data: session })
    return true
  }

  /** Ends every stream (the relay is closing). */
  close(): void {
    for (const [id, s] of [...this.streams]) {
      this.drop(id, s)
      s.res.end()
    }
  }

  private announcement(id: string, b: HostAnnouncementBody) {
    return { id, region: b.region, capacity: b.capacity, load: b.load, ...(b.endpoint !== undefined ? { endpoint: b.endpoint } : {}) }
  }

  private drop(id: string, s: HostStream): void {
    clearInterval(s.keepalive)
    if (this.streams.get(id) === s) this.streams.delete(id)
    if (!s.res.writableEnded) s.res.end()
  }

  private send(res: ServerResponse, e: HostEvent): void {
    res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)
  }
}
