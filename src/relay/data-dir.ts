/**
 * The relay's state on disk, in its data directory (`--data-dir`):
 *
 *   signing-key       hex P-256 private key (mode 0600), created on the first start: tickets and resume tokens
 *                     stay valid across restarts, so a restart never splits a room
 *   previous-keys     did:key (public) of retired signing keys, one per line (`relay rotate-key` appends): resume
 *                     tokens they signed are still honoured
 *   admission-clock   the last admission time handed out (ms), so admission order stays monotonic across restarts
 *
 * Writes are atomic (a temporary file renamed, or linked for the key so two relays starting at once agree on one).
 */
import { randomBytes } from 'node:crypto'
import { chmod, link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { P256Keypair, type Keypair } from '@atproto/crypto'
import { generateRelayKeyHex, loadRelayKey } from './relay-key.js'

export const KEY_FILE = 'signing-key'
export const PREVIOUS_KEYS_FILE = 'previous-keys'
export const ADMISSION_CLOCK_FILE = 'admission-clock'
/** Retired keys kept in `previous-keys` by `rotateRelayKey`. */
const MAX_PREVIOUS_KEYS = 4

/** `$XDG_DATA_HOME/bitecs-multiuser/relay`, else `~/.local/share/bitecs-multiuser/relay` (the CLI's default). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(base, 'bitecs-multiuser', 'relay')
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT'

async function readKeyHex(path: string): Promise<string> {
  const hex = (await readFile(path, 'utf8')).split('\n')[0].trim()
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${path} does not hold a hex P-256 key (64 hex characters); fix or remove it`)
  return hex
}

/** Writes `text` to `path` atomically (temporary file + rename). */
async function writeAtomic(path: string, text: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, text, { mode })
  await rename(tmp, path)
}

/**
 * The data directory's signing key, created there on first use. Throws (with the file system's code) when the
 * directory cannot be created or written, and when the key file exists but is not a key (never replaced silently).
 */
export async function loadOrCreateDataDirKey(dir: string): Promise<{ hex: string; path: string; created: boolean }> {
  const path = join(dir, KEY_FILE)
  try {
    return { hex: await readKeyHex(path), path, created: false }
  } catch (err) {
    if (!isMissing(err)) throw err
  }
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const hex = await generateRelayKeyHex()
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, `${hex}\n`, { mode: 0o600 })
  try {
    await link(tmp, path) // fails if another relay created it meanwhile: then that key is the one
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return { hex: await readKeyHex(path), path, created: false }
  } finally {
    await unlink(tmp).catch(() => {})
  }
  await chmod(path, 0o600).catch(() => {})
  return { hex, path, created: true }
}

/** The did:keys listed in the data directory's `previous-keys` (none if it is absent). */
export async function readPreviousKeys(dir: string): Promise<string[]> {
  try {
    return (await readFile(join(dir, PREVIOUS_KEYS_FILE), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l.startsWith('did:key:'))
  } catch (err) {
    if (isMissing(err)) return []
    throw err
  }
}

/**
 * `relay rotate-key`: a new signing key in `dir`; the old one's public did:key goes to `previous-keys` (the last
 * four are kept), so peers already admitted keep their ids when they resume at the restarted relay.
 */
export async function rotateRelayKey(dir: string): Promise<{ did: string; retired: string | null }> {
  let retired: string | null = null
  try {
    const old = await readKeyHex(join(dir, KEY_FILE))
    retired = (await P256Keypair.import(Buffer.from(old, 'hex'))).did()
  } catch (err) {
    if (!isMissing(err)) throw err
  }
  await mkdir(dir, { recursive: true, mode: 0o700 })
  if (retired) {
    const previous = [...(await readPreviousKeys(dir)).filter((k) => k !== retired), retired].slice(-MAX_PREVIOUS_KEYS)
    await writeAtomic(join(dir, PREVIOUS_KEYS_FILE), previous.map((k) => `${k}\n`).join(''))
  }
  const hex = await generateRelayKeyHex()
  await writeAtomic(join(dir, KEY_FILE), `${hex}\n`, 0o600)
  return { did: (await P256Keypair.import(Buffer.from(hex, 'hex'))).did(), retired }
}

/**
 * Admission times: the relay's wall clock in ms, strictly increasing (two admissions in one millisecond get
 * consecutive values) and never below the last value handed out before a restart (read from the data directory,
 * written back at most once a second and at close), so a clock stepped back does not reorder a room.
 */
export class AdmissionClock {
  private last: number
  private timer: NodeJS.Timeout | null = null
  private written: number

  private constructor(private readonly file: string | null, last: number, private readonly now: () => number) {
    this.last = last
    this.written = last
  }

  static async open(dir: string | null, now: () => number = Date.now): Promise<AdmissionClock> {
    if (!dir) return new AdmissionClock(null, 0, now)
    const file = join(dir, ADMISSION_CLOCK_FILE)
    let last = 0
    try {
      const n = Number((await readFile(file, 'utf8')).trim())
      if (Number.isSafeInteger(n) && n > 0) last = n
    } catch (err) {
      if (!isMissing(err)) throw err
    }
    return new AdmissionClock(file, last, now)
  }

  next(): number {
    this.last = Math.max(Math.floor(this.now()), this.last + 1)
    if (this.file && !this.timer) {
      this.timer = setTimeout(() => void this.flush(), 1000)
      this.timer.unref()
    }
    return this.last
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (!this.file || this.written === this.last) return
    const value = this.last
    try {
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 })
      await writeAtomic(this.file, `${value}\n`)
      this.written = value
    } catch {
      /* best effort: the wall clock still orders admissions */
    }
  }
}

/** Where the relay's signing key came from (`relay.signingKeyInfo`). */
export interface SigningKeyInfo {
  /** The key's public did:key (also in the DID document as `#atproto`). */
  did: string
  /** `option`: `signingKey` / `--signing-key-file`; `data-dir`: `<dataDir>/signing-key`; `ephemeral`: in memory only. */
  source: 'option' | 'data-dir' | 'ephemeral'
  /** The key file (source `data-dir`). */
  path?: string
  /** The key file was created by this start. */
  created?: boolean
  /** Set when the key is ephemeral: why, and what it costs. Logged at `warn` and printed by the CLI. */
  warning?: string
}

/** What the relay keeps across restarts, opened at `listen()`. */
export interface RelayState {
  key: Keypair
  keyInfo: SigningKeyInfo
  /** did:keys whose resume tokens are honoured besides the current key's. */
  previousKeys: string[]
  admissions: AdmissionClock
}

const UNWRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC'])

export async function openRelayState(o: { signingKey?: Keypair | string; dataDir?: string; previousKeys?: string[] }): Promise<RelayState> {
  let usableDir = o.dataDir ?? null
  let key: Keypair
  let keyInfo: Omit<SigningKeyInfo, 'did'>
  if (o.signingKey !== undefined) {
    key = await loadRelayKey(o.signingKey)
    keyInfo = { source: 'option' }
  } else if (usableDir) {
    try {
      const stored = await loadOrCreateDataDirKey(usableDir)
      key = await loadRelayKey(stored.hex)
      keyInfo = { source: 'data-dir', path: stored.path, created: stored.created }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (!code || !UNWRITABLE.has(code)) throw err
      key = await loadRelayKey(undefined)
      keyInfo = { source: 'ephemeral', warning: ephemeralWarning(`data directory ${usableDir} is not writable (${code})`) }
      usableDir = null
    }
  } else {
    key = await loadRelayKey(undefined)
    keyInfo = { source: 'ephemeral', warning: ephemeralWarning('no data directory and no signing key given') }
  }
  let previous: string[] = []
  let admissions: AdmissionClock
  try {
    previous = usableDir ? await readPreviousKeys(usableDir) : []
    admissions = await AdmissionClock.open(usableDir)
  } catch {
    admissions = await AdmissionClock.open(null)
  }
  const previousKeys = [...new Set([...(o.previousKeys ?? []), ...previous])].filter((k) => k !== key.did())
  return { key, keyInfo: { did: key.did(), ...keyInfo }, previousKeys, admissions }
}

function ephemeralWarning(reason: string): string {
  return `the relay's signing key lives in memory only (${reason}): tickets and resume tokens die with this process, so a restart gives every player a new peer id and splits the rooms. Give it a data directory (--data-dir, where the key is created on the first start) or a key file (--signing-key-file).`
}
