/**
 * The match queue on Redis: one matchmaker for every process. Entries wait in Redis; whoever holds the lock
 * (`mq:lock`, one process at a time) enqueues, cancels or ticks, running the very rules of `LocalMatchQueue` over
 * the entries read back in their order, so matches are the same as in one process. A tick's outcomes go to the
 * processes that enqueued their entries (their matchmaking streams are there), over their channels.
 *
 *   mq:queues    SET of queue names with entries
 *   mq:q:<name>  HASH id -> { entry, rules, owner, order }
 *   mq:index     HASH id -> queue name
 *   mq:seq       enqueue order
 */
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { LocalMatchQueue, type EnqueueResult, type MatchQueue, type MatchQueueRules, type QueueEntry, type QueueOutcome } from '../lobby/match-queue.js'
import { ErrorCode, RelayError } from '../errors.js'
import type { RedisInstance } from './redis-instance.js'

interface Stored {
  entry: QueueEntry
  rules: MatchQueueRules
  owner: string
  order: number
}

const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`
// KEYS: queue hash, index. ARGV: the ids of one outcome. Removes all of them, or none if one was cancelled meanwhile.
const TAKE = `
for _, id in ipairs(ARGV) do if redis.call('HEXISTS', KEYS[1], id) == 0 then return 0 end end
redis.call('HDEL', KEYS[1], unpack(ARGV))
redis.call('HDEL', KEYS[2], unpack(ARGV))
return 1`

type Scripted = Redis & { mqUnlock(key: string, token: string): Promise<number>; mqTake(queue: string, index: string, ...ids: string[]): Promise<number> }

/** A {@link MatchQueue} every relay process on one Redis shares (used with the `redis` option). */
export class RedisMatchQueue implements MatchQueue {
  private inbox: QueueOutcome[] = []
  private counts = new Map<string, number>()
  /** Set by the relay: outcomes arrived for this process (deliver them soon). */
  onOutcomes: () => void = () => {}

  constructor(private readonly inst: RedisInstance, private readonly newId: () => string) {
    inst.cmd.defineCommand('mqUnlock', { numberOfKeys: 1, lua: UNLOCK })
    inst.cmd.defineCommand('mqTake', { numberOfKeys: 2, lua: TAKE })
  }

  private get redis(): Redis {
    return this.inst.cmd
  }

  private k(name: string): string {
    return this.inst.key(`mq:${name}`)
  }

  /** Runs `fn` holding the queue lock; null if it stayed taken for `waitMs`. */
  private async locked<T>(waitMs: number, fn: () => Promise<T>): Promise<T | null> {
    const token = randomBytes(8).toString('hex')
    const end = Date.now() + waitMs
    while ((await this.redis.set(this.k('lock'), token, 'PX', 5000, 'NX')) !== 'OK') {
      if (Date.now() >= end) return null
      await new Promise((r) => setTimeout(r, 5))
    }
    try {
      return await fn()
    } finally {
      await (this.redis as Scripted).mqUnlock(this.k('lock'), token)
    }
  }

  /** The queue's entries, in enqueue order, as a LocalMatchQueue holding them. */
  private async load(name: string): Promise<{ local: LocalMatchQueue; stored: Map<string, Stored> }> {
    const raw = await this.redis.hvals(this.k(`q:${name}`))
    const stored = new Map<string, Stored>()
    for (const s of raw.map((v) => JSON.parse(v) as Stored).sort((a, b) => a.order - b.order)) stored.set(s.entry.id, s)
    const local = new LocalMatchQueue(this.newId)
    for (const s of stored.values()) local.enqueue(s.entry, s.rules)
    return { local, stored }
  }

  /** Queues `entry` (caps and party rules checked against every process's entries, under the lock). */
  async enqueue(entry: QueueEntry, rules: MatchQueueRules): Promise<EnqueueResult> {
    const result = await this.locked(5000, async () => {
      const { local } = await this.load(entry.queue)
      const r = local.enqueue(entry, rules)
      if (r !== 'queued') return r
      const order = await this.redis.incr(this.k('seq'))
      const s: Stored = { entry, rules, owner: this.inst.id, order }
      await this.redis.multi().hset(this.k(`q:${entry.queue}`), entry.id, JSON.stringify(s)).hset(this.k('index'), entry.id, entry.queue).sadd(this.k('queues'), entry.queue).exec()
      this.counts.set(entry.queue, (this.counts.get(entry.queue) ?? 0) + 1)
      return r
    })
    if (result === null) throw new RelayError(ErrorCode.RELAY_BUSY, 'the matchmaker is busy, retry')
    return result
  }

  /**
   * Removes a waiting entry (false: matched, expired or unknown). No lock: a tick computing a match with it drops
   * that match when it finds the entry gone (TAKE), so a cancelled player is never matched.
   */
  async cancel(id: string): Promise<boolean> {
    try {
      const name = await this.redis.hget(this.k('index'), id)
      if (name === null) return false
      const [[, n]] = (await this.redis.multi().hdel(this.k(`q:${name}`), id).hdel(this.k('index'), id).exec()) as [[Error | null, number]]
      return n === 1
    } catch {
      return false // Redis away: the entry stays until it times out (its stream is gone)
    }
  }

  /** Ticks every queue if no other process is (its outcomes go to their owners); returns this process's outcomes. */
  async tick(now: number): Promise<QueueOutcome[]> {
    await this.locked(0, async () => {
      for (const name of await this.redis.smembers(this.k('queues'))) {
        const { local, stored } = await this.load(name)
        for (const o of local.tick(now)) {
          const ids = (o.kind === 'expired' ? [o.entry] : o.members).map((e) => e.id)
          // All its entries still waiting, or the outcome is void (one was cancelled since the load).
          if ((await (this.redis as Scripted).mqTake(this.k(`q:${name}`), this.k('index'), ...ids)) !== 1) continue
          const owners = new Set((o.kind === 'expired' ? [o.entry] : o.members).map((e) => stored.get(e.id)!.owner))
          for (const owner of owners) {
            if (owner === this.inst.id) this.inbox.push(o)
            else await this.inst.publish(owner, { k: 'match', outcome: o })
          }
        }
        if ((await this.redis.hlen(this.k(`q:${name}`))) === 0) await this.redis.srem(this.k('queues'), name)
      }
    })
    await this.refreshCounts()
    const out = this.inbox
    this.inbox = []
    return out
  }

  /** Removes the entries a dead process enqueued (their streams died with it). */
  async reap(owner: string): Promise<void> {
    await this.locked(2000, async () => {
      for (const name of await this.redis.smembers(this.k('queues'))) {
        const { stored } = await this.load(name)
        const gone = [...stored.values()].filter((s) => s.owner === owner).map((s) => s.entry.id)
        if (gone.length > 0) await this.redis.multi().hdel(this.k(`q:${name}`), ...gone).hdel(this.k('index'), ...gone).exec()
      }
    })
  }

  /** Outcomes the ticking process sent this one. */
  received(outcome: QueueOutcome): void {
    this.inbox.push(outcome)
    this.onOutcomes()
  }

  private async refreshCounts(): Promise<void> {
    const names = await this.redis.smembers(this.k('queues'))
    const lens = names.length ? await Promise.all(names.map((n) => this.redis.hlen(this.k(`q:${n}`)))) : []
    this.counts = new Map(names.map((n, i) => [n, lens[i]]))
  }

  /** Entries waiting (every process), as of this process's last tick. */
  waiting(queue?: string): number {
    if (queue !== undefined) return this.counts.get(queue) ?? 0
    let n = 0
    for (const v of this.counts.values()) n += v
    return n
  }

  /** Queue names with entries waiting (every process), as of the last tick. */
  queueCount(): number {
    return this.counts.size
  }
}
