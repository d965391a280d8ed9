// Where the browser tests find Chromium: $CHROMIUM_PATH, else Debian's /usr/bin/chromium, else common names.
import { existsSync } from 'node:fs'

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable']

/** @returns {string | null} */
export function chromiumPath() {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null
  return CANDIDATES.find((p) => existsSync(p)) ?? null
}
