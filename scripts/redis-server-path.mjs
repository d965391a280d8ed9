// Where the scale-out tests find redis-server: $REDIS_SERVER_PATH, else Debian's /usr/bin/redis-server.
import { existsSync } from 'node:fs'

/** @returns {string | null} */
export function redisServerPath() {
  const fromEnv = process.env.REDIS_SERVER_PATH
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ?? null
}
