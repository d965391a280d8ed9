/**
 * One relay process on a shared Redis: its two connections (commands, and the subscriber of its own channel), its
 * liveness key refreshed by a heartbeat, and the sweep that finds processes whose key expired (killed, or cut off
 * from Redis) so the survivors clean up after them.
 *
 * Keys, all under `redisKeyPrefix`:
 *
 *   inst:<id>     "1", expiring after `redisInstanceTtlMs`; refreshed every third of it
 *   instances     SET of the ids that registered
 *   reap:<id>     lock: one survivor cleans up after a dead process
 *   ch:<id>       the process's pub/sub channel (signals, broadcasts, evictions for its sockets)
 *   <topic>       channels a process listens to while it needs them (a watched player's presence, invites)
 *
 * After a Redis restart (empty), ioredis reconnects and resubscribes; the first beat then finds this process's key
 * gone and `onReady` writes back what it holds (its sockets' room entries), so rooms are rebuilt from the live
 * sockets. The same happens when the process itself was stalled or cut off past the TTL and a survivor removed them.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'

/** The connections and identity of this process on Redis. */
export interface RedisInstanceOptions {
  url: string
  prefix: string
  ttlMs: number
  log: Logger
  /** A message on this process's channel. */
  onMessage(msg: unknown): void
  /** Redis is (again) reachable: write back local state. */
  onReady(): Promise<void>
  /** Another process's key expired: clean up after it (called on one survivor only). */
  onDead(id: string): Promise<void>
}

export class RedisInstance {
  /** This process's id on Redis (random per start). */
  readonly id = randomBytes(8).toString('hex')
  readonly cmd: Redis
  private readonly sub: Redis
  private timer: NodeJS.Timeout | undefined
  private beating = false
  private connectedOnce = false
  private registered = false
  private stopped = false
  private readonly topics = new Map<string, Set<(msg: unknown) => void>>()

  constructor(private readonly o: RedisInstanceOptions) {
    // Commands fail fast while Redis is away (the relay refuses the join, or the signal is dropped and counted) rather
    // than queueing behind a dead connection; ioredis keeps reconnecting.
    const common = { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(50 * n, 1000) }
    // Auto-pipelining: the commands of every join and socket in one tick go out in one write.
    this.cmd = new Redis(o.url, { ...common, enableAutoPipelining: true, connectionName: `bitecs-relay-${this.id}` })
    this.sub = new Redis(o.url, { ...common, connectionName: `bitecs-relay-${this.id}-sub` })
    for (const c of [this.cmd, this.sub]) c.on('error', (err: Error) => o.log.warn({ event: 'redis_error', err: err.message }, 'redis error'))
    this.sub.on('message', (channel: string, text: string) => {
      let msg: unknown
      try {
        msg = JSON.parse(text)
      } catch {
        return
      }
      if (channel === this.channel(this.id)) o.onMessage(msg)
      else for (const h of [...(this.topics.get(channel) ?? [])]) h(msg)
    })
    // Back after a disconnection: beat at once; if our key is gone (Redis restarted empty, or we were counted as gone),
    // the beat writes our rooms back.
    this.cmd.on('ready', () => {
      if (!this.connectedOnce || this.stopped) return
      o.log.warn({ event: 'redis_reconnected' }, 'redis reachable again')
      void this.beat().catch((err: Error) => o.log.error({ event: 'redis_rebuild_failed', err: err.message }, 'redis rebuild failed'))
    })
  }

  /** A key under the prefix. */
  key(name: string): string {
    return this.o.prefix + name
  }

  /** The pub/sub channel of process `id`. */
  channel(id: string): string {
    return this.key(`ch:${id}`)
  }

  /** Connects both clients, subscribes, registers and starts the heartbeat. Rejects if Redis cannot be reached. */
  async start(): Promise<void> {
    await Promise.all([this.cmd.connect(), this.sub.connect()])
    await this.sub.subscribe(this.channel(this.id))
    this.connectedOnce = true
    await this.beat()
    this.timer = setInterval(() => void this.beat().catch(() => {}), Math.max(50, Math.floor(this.o.ttlMs / 3)))
    this.timer.unref()
  }

  /** Refreshes this process's key, then looks for processes whose key is gone. */
  private async beat(): Promise<void> {
    if (this.beating || this.stopped) return
    this.beating = true
    try {
      const [[, prev]] = (await this.cmd.multi().set(this.key(`inst:${this.id}`), '1', 'PX', this.o.ttlMs, 'GET').sadd(this.key('instances'), this.id).exec()) as [[Error | null, string | null]]
      // Our key had expired (this process was stalled, or cut off, longer than the TTL): a survivor may have removed
      // our sockets' entries. Write them back, as after a Redis restart.
      if (prev === null && this.registered && !this.stopped) {
        this.o.log.warn({ event: 'redis_key_expired' }, 'this process was counted as gone: writing back its rooms')
        await this.o.onReady()
      }
      this.registered = true
      const ids = (await this.cmd.smembers(this.key('instances'))).filter((id) => id !== this.id)
      if (ids.length === 0) return
      const alive = await this.cmd.mget(ids.map((id) => this.key(`inst:${id}`)))
      for (const [i, id] of ids.entries()) {
        if (alive[i] !== null) continue
        if ((await this.cmd.set(this.key(`reap:${id}`), this.id, 'PX', 60_000, 'NX')) !== 'OK') continue
        this.o.log.warn({ event: 'relay_process_gone', instance: id }, 'a relay process stopped beating: cleaning up after it')
        await this.o.onDead(id)
        await this.cmd.srem(this.key('instances'), id)
      }
    } finally {
      this.beating = false
    }
  }

  /**
   * Calls `handler` with every message on `topic` (a channel under the prefix, e.g. a player's presence), subscribing
   * while it has a handler in this process; returns the function that stops it.
   */
  listen(topic: string, handler: (msg: unknown) => void): () => void {
    const channel = this.key(topic)
    let set = this.topics.get(channel)
    if (!set) {
      this.topics.set(channel, (set = new Set()))
      void this.sub.subscribe(channel).catch(() => {})
    }
    set.add(handler)
    let on = true
    return () => {
      if (!on) return
      on = false
      set.delete(handler)
      if (set.size > 0 || this.topics.get(channel) !== set) return
      this.topics.delete(channel)
      if (!this.stopped) void this.sub.unsubscribe(channel).catch(() => {})
    }
  }

  /** Publishes `msg` on `topic`; resolves with how many processes listen to it. */
  announce(topic: string, msg: unknown): Promise<number> {
    return this.cmd.publish(this.key(topic), JSON.stringify(msg))
  }

  /** Publishes `msg` on process `id`'s channel; resolves with how many subscribers got it (0: that process is gone). */
  publish(id: string, msg: unknown): Promise<number> {
    return this.cmd.publish(this.channel(id), JSON.stringify(msg))
  }

  /** Stops the heartbeat (the key then expires and a survivor cleans up what was not handed over) and disconnects. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.timer)
    for (const c of [this.cmd, this.sub]) {
      await c.quit().catch(() => c.disconnect())
    }
  }
}
