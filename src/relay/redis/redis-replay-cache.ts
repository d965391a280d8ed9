/**
 * The `jti` replay cache on Redis: `SET jti:<iss jti> 1 NX PXAT <exp>`, atomic across processes, so a service-auth
 * token is admitted once by the whole deployment. Redis unreachable: 'full' (the join is refused with RELAY_BUSY,
 * fail closed, never admitted twice).
 */
import type { Redis } from 'ioredis'
import type { ReplayCache, ReplayCheck } from '../replay-cache.js'

/** A {@link ReplayCache} every relay process on one Redis shares (used with the `redis` option). */
export class RedisReplayCache implements ReplayCache {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  /** Records `key` until `expiresAtMs` unless it is already there. */
  async checkAndStore(key: string, expiresAtMs: number): Promise<ReplayCheck> {
    try {
      const ok = await this.redis.set(`${this.prefix}jti:${key}`, '1', 'PXAT', Math.max(Date.now() + 1000, Math.ceil(expiresAtMs)), 'NX')
      return ok === 'OK' ? 'fresh' : 'replayed'
    } catch {
      return 'full'
    }
  }
}
