// coturn's turnserver for the TURN test (installed by `npm test` / .ci/run from Debian's `coturn`).
// @ts-expect-error plain .mjs helper shared with scripts/test.mjs
import { turnserverPath as find } from '../../scripts/turnserver-path.mjs'

export function turnserverPath(): string {
  const path = (find as () => string | null)()
  if (!path) throw new Error('no turnserver found: run `npm test`, which installs Debian\'s coturn, or set TURNSERVER_PATH')
  return path
}
