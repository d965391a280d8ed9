/** The CLI: flags and environment map to options; `relay` runs until SIGTERM and exits 0. */
import { spawn } from 'node:child_process'
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
    await expect(optionsFromArgs(['--auth', 'maybe'], {})).rejects.toThrow(/auth/)
    await expect(optionsFromArgs(['--bogus'], {})).rejects.toThrow()
  })

  it('runs a relay until SIGTERM', async () => {
    const bin = fileURLToPath(new URL('../../bin/bitecs-multiuser.js', import.meta.url))
    const child = spawn(process.execPath, [bin, 'relay', '--port', '0', '--auth', 'off', '--log-level', 'silent'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString()
        const m = /relay: (http:\/\/\S+) \(did:web:/.exec(err)
        if (m) resolve(m[1])
      })
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)))
    })
    const res = await fetch(`${url}v1/rooms/cli/join`, { method: 'POST' })
    expect(res.status).toBe(200)
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
  }, 20_000)
})
