/**
 * The matchmaking tests (matchmaking.test.ts) again, on relays started with `redis`: the shared
 * match queue (one matchmaker under a lock), directory and rooms on a real Redis keep the contract of the in-process ones.
 */
import { afterAll } from 'vitest'
import { startRedis } from '../helpers/redis.js'
import { useRedis } from './lobby-helpers.js'

const redis = await startRedis()
useRedis(redis.url)
afterAll(async () => {
  await redis.stop()
})
await import('./matchmaking.test.js')
