/**
 * What a relay process started with `redis` uses instead of its in-process defaults: the shared rooms (signal router
 * and room slots), admissions any process can open, the replay cache and the friends-only policies, all on one Redis
 * (README "Scaling out").
 */
import type { Logger } from 'pino'
import type { PendingJoin } from '../join-tokens.js'
import type { ResolvedRelayOptions } from '../options.js'
import type { SlotPool } from '../slots.js'
import { RedisInstance } from './redis-instance.js'
import { RedisPendingJoins } from './redis-pending-joins.js'
import { RedisReplayCache } from './redis-replay-cache.js'
import { RedisRoomPolicies } from './redis-room-policies.js'
import { RedisRoomDirectory } from './redis-room-directory.js'
import { RedisMatchQueue } from './redis-match-queue.js'
import { newLobbyId } from '../lobby/lobby.js'
import { RedisInviteRouter, RedisPresenceStore, SharedPresenceTracker } from './redis-social.js'
import type { SharedSocial } from '../social/social-layer.js'
import { RedisRooms, type ProcessMessage } from './redis-rooms.js'

export interface RedisScaleOut {
  readonly instance: RedisInstance
  readonly rooms: RedisRooms
  readonly pending: RedisPendingJoins
  readonly replay: RedisReplayCache
  readonly policies: RedisRoomPolicies
  readonly directory: RedisRoomDirectory
  readonly queue: RedisMatchQueue
  readonly social: SharedSocial
  /** Connects, subscribes, registers this process. Rejects when Redis cannot be reached. */
  start(): Promise<void>
  stop(): Promise<void>
}

export function createRedisScaleOut(
  url: string,
  opts: ResolvedRelayOptions,
  deps: {
    log: Logger
    slots: SlotPool
    onPendingExpire: (join: PendingJoin) => void
    peerLeft: (room: string, peerId: string) => void
    /** After a Redis restart, once the rooms are written back: report their occupancy again. */
    rebuilt: (rooms: Set<string>) => void
  },
): RedisScaleOut {
  const prefix = opts.redisKeyPrefix
  const onError = (what: string, err: Error) => deps.log.warn({ event: 'redis_write_failed', what, err: err.message }, 'redis write failed')
  const instance: RedisInstance = new RedisInstance({
    url,
    prefix,
    ttlMs: opts.redisInstanceTtlMs,
    log: deps.log,
    onMessage: (raw) => {
      const m = raw as ProcessMessage
      if (m.k === 'match') queue.received(m.outcome)
      else rooms.onMessage(m)
    },
    onReady: async () => {
      const local = new Set([...rooms.localRooms()])
      await rooms.rebuild()
      await policies.rebuild(local)
      await directory.rebuild(local, opts.maxRooms, Date.now())
      await presence.rebuild()
      await tracker.rebuild()
      deps.rebuilt(local)
    },
    onDead: async (id) => {
      await rooms.reap(id, deps.peerLeft)
      await queue.reap(id)
      await presence.reap(id)
      await tracker.reap(id)
    },
  })
  const rooms = new RedisRooms(instance, { maxPeersPerRoom: opts.maxPeersPerRoom, pendingTtlMs: opts.joinTokenTtlSec * 1000, onError })
  const pending = new RedisPendingJoins(instance, rooms, deps.slots, { ttlMs: opts.joinTokenTtlSec * 1000, prefix, onExpire: deps.onPendingExpire })
  const policies = new RedisRoomPolicies(instance.cmd, (room) => rooms.policyKey(room))
  const directory = new RedisRoomDirectory(instance.cmd, prefix)
  const queue = new RedisMatchQueue(instance, newLobbyId)
  const presence = new RedisPresenceStore(instance)
  const tracker = new SharedPresenceTracker(presence, instance, (err) => onError('presence', err))
  return {
    instance,
    rooms,
    pending,
    replay: new RedisReplayCache(instance.cmd, prefix),
    policies,
    directory,
    queue,
    social: { store: presence, invites: new RedisInviteRouter(instance), tracker },
    start: () => instance.start(),
    stop: () => instance.stop(),
  }
}
