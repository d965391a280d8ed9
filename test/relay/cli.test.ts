/** The CLI: flags and environment map to options; `relay` runs until SIGTERM and exits 0. */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { optionsFromArgs } from '../../src/relay/cli.js'

describe('relay CLI', () => {
  it('maps flags and env (flags win) to options', async () => {
    const { options } = await optionsFromArgs(
      ['--auth', 'optional', '--max-peers', '100', '--public-url', 'https://relay.example/', '--allow-private-did-hosts', '--handle-resolver', 'http://127.0.0.1:2583'],
      { BITECS_RELAY_MAX_PEERS: '5', BITECS_RELAY_LXM: 'com.example.join', BITECS_RELAY_PORT: '9999' },
    )
    expect(options).toMatchObject({ auth: 'optional', maxPeers: 100, publicUrl: 'https://relay.example/', lxm: 'com.example.join', port: 9999, allowPrivateDidHosts: true, verifyHandles: true, handleResolverUrl: 'http://127.0.0.1:2583' })
    const hardening = await optionsFromArgs(['--handshake-timeout', '9000', '--write-timeout', '2000', '--rate-limit-burst', '100'], { BITECS_RELAY_DID_FETCH_CONCURRENCY: '20', BITECS_RELAY_HEADERS_TIMEOUT: '5000' })
    expect(hardening.options).toMatchObject({ handshakeTimeoutMs: 9000, writeTimeoutMs: 2000, rateLimitBurst: 100, didFetchConcurrency: 20, headersTimeoutMs: 5000 })
    const gate = await optionsFromArgs(
      ['--max-handshakes-per-address', '4', '--did-fetch-max-waiters', '3', '--trusted-proxies', '10.0.0.1, 192.168.0.0/16', '--max-header-bytes', '8192'],
      { BITECS_RELAY_PLC_FETCH_CONCURRENCY: '12' },
    )
    expect(gate.options).toMatchObject({ maxHandshakesPerAddress: 4, didFetchMaxWaiters: 3, trustedProxies: ['10.0.0.1', '192.168.0.0/16'], maxHeaderBytes: 8192, plcFetchConcurrency: 12 })
    const lobby = await optionsFromArgs(
      ['--max-rooms-per-creator', '2', '--lobby-rate-per-sec', '0.5', '--match-queues', '{"duel":{"size":2,"timeoutMs":30000}}'],
      { BITECS_RELAY_MAX_QUEUED_PLAYERS: '100', BITECS_RELAY_LOBBY_LXM: 'com.example.lobby' },
    )
    expect(lobby.options).toMatchObject({ maxRoomsPerCreator: 2, lobbyRatePerSec: 0.5, matchQueues: { duel: { size: 2, timeoutMs: 30000 } }, maxQueuedPlayers: 100, lobbyLxm: 'com.example.lobby' })
    await expect(optionsFromArgs(['--match-queues', '[]'], {})).rejects.toThrow(/JSON object/)
    const scale = await optionsFromArgs(['--redis', 'redis://127.0.0.1:6390', '--drain-timeout', '4000'], { BITECS_RELAY_REDIS_KEY_PREFIX: 'game-a:', BITECS_RELAY_REDIS_INSTANCE_TTL: '2000' })
    expect(scale.options).toMatchObject({ redis: 'redis://127.0.0.1:6390', redisKeyPrefix: 'game-a:', redisInstanceTtlMs: 2000, drainTimeoutMs: 4000 })
    const social = await optionsFromArgs(
      ['--appview-url', 'https://public.api.bsky.app', '--max-watched-per-socket', '50', '--max-invites-per-minute', '3', '--social-graph-cache-ttl', '5000'],
      { BITECS_RELAY_SOCIAL_GRAPH_CACHE_SIZE: '99', BITECS_RELAY_MAX_SOCIAL_SOCKETS_PER_DID: '2', BITECS_RELAY_SOCIAL_LXM: 'com.example.social' },
    )
    expect(social.options).toMatchObject({ appViewUrl: 'https://public.api.bsky.app', maxWatchedPerSocket: 50, maxInvitesPerMinute: 3, socialGraphCacheTtlMs: 5000, socialGraphCacheMaxEntries: 99, maxSocialSocketsPerDid: 2, socialLxm: 'com.example.social' })
    const turn = await optionsFromArgs(['--turn-urls', 'turn:t.example:3478?transport=udp, turns:t.example:5349', '--turn-ttl', '600'], { BITECS_RELAY_TURN_SECRET: 'shh' })
    expect(turn.options).toMatchObject({ turnUrls: ['turn:t.example:3478?transport=udp', 'turns:t.example:5349'], turnSecret: 'shh', turnTtlSec: 600 })
    await expect(optionsFromArgs(['--turn-urls', 'turn:t.example'], {})).rejects.toThrow(/turn-secret-file or BITECS_RELAY_TURN_SECRET/)
    await expect(optionsFromArgs(['--auth', 'maybe'], {})).rejects.toThrow(/auth/)
    await expect(optionsFromArgs(['--bogus'], {})).rejects.toThrow()
  })

  it('data directory: --data-dir (default under $XDG_DATA_HOME), --ephemeral-key; --signing-key-file wins', async () => {
    const home = { XDG_DATA_HOME: '/xdg' }
    expect((await optionsFromArgs([], home)).options.dataDir).toBe('/xdg/bitecs-multiuser/relay')
    expect((await optionsFromArgs(['--data-dir', '/srv/relay'], home)).options.dataDir).toBe('/srv/relay')
    expect((await optionsFromArgs([], { ...home, BITECS_RELAY_DATA_DIR: '/env/relay' })).options.dataDir).toBe('/env/relay')
    expect((await optionsFromArgs(['--ephemeral-key'], home)).options.dataDir).toBeUndefined()
    const dir = await mkdtemp(join(tmpdir(), 'relay-cli-'))
    try {
      await writeFile(join(dir, 'k'), `${'ab'.repeat(32)}\n`)
      expect((await optionsFromArgs(['--signing-key-file', join(dir, 'k')], home)).options).toMatchObject({ signingKey: 'ab'.repeat(32), dataDir: '/xdg/bitecs-multiuser/relay' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('runs a relay until SIGTERM; its key persists in the data directory across runs; rotate-key; --ephemeral-key warns', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'relay-cli-'))
    try {
      const first = await runRelay(['--data-dir', dataDir])
      expect(first.stderr).toContain(`signing key ${join(dataDir, 'signing-key')} (created)`)
      expect(first.stderr).not.toContain('WARNING')
      const second = await runRelay(['--data-dir', dataDir])
      expect(second.stderr).toContain(`signing key ${join(dataDir, 'signing-key')}`)
      expect(second.stderr).not.toContain('(created)')
      expect(second.key).toBe(first.key)
      const rotated = spawnSync(process.execPath, [bin, 'relay', 'rotate-key', '--data-dir', dataDir], { encoding: 'utf8' })
      expect(rotated.status).toBe(0)
      expect(rotated.stdout.trim()).toMatch(/^did:key:z/)
      expect(rotated.stderr).toContain('stays valid for resumes')
      const third = await runRelay(['--data-dir', dataDir])
      expect(`did:key:${third.key}`).toBe(rotated.stdout.trim())
      const ephemeral = await runRelay(['--ephemeral-key'])
      expect(ephemeral.stderr).toMatch(/WARNING: the relay's signing key lives in memory only/)
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 40_000)
})

it('refuses to start when --redis cannot be reached: exit 1 at once, the password never printed', async () => {
  const child = spawn(process.execPath, [bin, 'relay', '--port', '0', '--auth', 'off', '--ephemeral-key', '--log-level', 'silent', '--redis', 'redis://relay:s3cret@127.0.0.1:1'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  expect(code).toBe(1)
  expect(err).toMatch(/cannot start: cannot reach Redis at redis:\/\/relay:\*\*\*@127\.0\.0\.1:1/)
  expect(err).not.toContain('s3cret')
}, 20_000)

const bin = fileURLToPath(new URL('../../bin/bitecs-multiuser.js', import.meta.url))

/** Starts the CLI relay, joins once, reads its DID document's key, stops it with SIGTERM (exit 0). */
async function runRelay(args: string[]): Promise<{ stderr: string; key: string }> {
  const child = spawn(process.execPath, [bin, 'relay', '--port', '0', '--auth', 'off', '--log-level', 'silent', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /relay: (http:\/\/\S+) \(did:web:/.exec(err)
      if (m && /signing key/.test(err)) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)))
  })
  const res = await fetch(`${url}v1/rooms/cli/join`, { method: 'POST' })
  expect(res.status).toBe(200)
  const doc = (await (await fetch(`${url}.well-known/did.json`)).json()) as { verificationMethod: { publicKeyMultibase: string }[] }
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  expect(await exit).toBe(0)
  return { stderr: err, key: doc.verificationMethod[0].publicKeyMultibase }
}
