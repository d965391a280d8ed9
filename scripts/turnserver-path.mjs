// Where the TURN test finds coturn's turnserver: $TURNSERVER_PATH, else Debian's /usr/bin/turnserver.
import { existsSync } from 'node:fs'

/** @returns {string | null} */
export function turnserverPath() {
  const fromEnv = process.env.TURNSERVER_PATH
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null
  return ['/usr/bin/turnserver', '/usr/local/bin/turnserver'].find((p) => existsSync(p)) ?? null
}
