/**
 * The room directory's tests (lobby-rooms.test.ts) again, on relays started with `redis`: the shared directory, room
 * slots, admissions and policies on a real Redis keep the same contract as the in-process defaults.
 */
import { afterAll } from 'vitest'
import { startRedis } from '../helpers/redis.js'
import { useRedis } from './lobby-helpers.js'

const redis = await startRedis()
useRedis(redis.url)
afterAll(async () => {
  await redis.stop()
})
await import('./lobby-rooms.test.js')
