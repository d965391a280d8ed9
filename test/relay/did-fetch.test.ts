/** The SSRF-safe fetch used for DID documents: address policy, no redirects, body cap, timeout, schemes. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSafeFetch } from '../../src/relay/did-fetch.js'
import { FetchLimiter, isTransientFetchError } from '../../src/relay/fetch-limiter.js'
import { isPrivateAddress } from '../../src/relay/ip-policy.js'

let server: Server
let base: string
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end()
    else if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' }) // no content-length: streamed
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      for (let i = 0; i < 8; i++) res.write(chunk)
      res.end()
    } else if (req.url === '/slow') setTimeout(() => res.end('{}'), 2000)
    else if (req.url === '/held') setTimeout(() => res.end('{}'), 200)
    else if (/^\/status\/\d+$/.test(req.url ?? '')) res.writeHead(Number(req.url?.slice(8))).end('{}')
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"did:web:x"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', true], ['10.1.2.3', true], ['172.16.0.1', true], ['192.168.1.1', true], ['169.254.169.254', true],
    ['100.64.0.1', true], ['0.0.0.0', true], ['::1', true], ['::', true], ['fe80::1', true], ['fd00::1', true],
    ['::ffff:127.0.0.1', true], ['::ffff:7f00:1', true], ['224.0.0.1', true], ['not-an-ip', true],
    ['8.8.8.8', false], ['1.1.1.1', false], ['2606:4700:4700::1111', false], ['::ffff:8.8.8.8', false],
  ])('%s -> %s', (ip, priv) => expect(isPrivateAddress(ip)).toBe(priv))
})

describe('createSafeFetch', () => {
  it('refuses loopback (IP literal and a name resolving to it) unless private hosts are allowed', async () => {
    const strict = createSafeFetch({ allowPrivateHosts: false, timeoutMs: 1000, maxBodyBytes: 1024 })
    await expect(strict.fetch(`${base}/doc`)).rejects.toThrow(/private/)
    await expect(strict.fetch(base.replace('127.0.0.1', 'localhost') + '/doc')).rejects.toThrow(/private/)
    await strict.close()
    const open = createSafeFetch({ allowPrivateHosts: true, timeoutMs: 1000, maxBodyBytes: 1024 })
    expect(await (await open.fetch(`${base}/doc`)).json()).toEqual({ id: 'did:web:x' })
    await open.close()
  })

  it('trusted origins (the PLC directory) bypass the address check', async () => {
    const f = createSafeFetch({ allowPrivateHosts: false, trustedOrigins: [base], timeoutMs: 1000, maxBodyBytes: 1024 })
    expect((await f.fetch(`${base}/doc`)).status).toBe(200)
    await f.close()
  })

  it('never follows redirects, caps the streamed body, times out, refuses other schemes', async () => {
    const f = createSafeFetch({ allowPrivateHosts: true, timeoutMs: 300, maxBodyBytes: 256 * 1024 })
    await expect(f.fetch(`${base}/redirect`)).rejects.toThrow(/redirect/)
    await expect(f.fetch(`${base}/big`)).rejects.toThrow(/larger than 262144/)
    const t0 = Date.now()
    await expect(f.fetch(`${base}/slow`)).rejects.toThrow()
    expect(Date.now() - t0).toBeLessThan(1500)
    await expect(f.fetch('file:///etc/passwd')).rejects.toThrow(/file:/)
    await expect(f.fetch(`http://user:pw@127.0.0.1:1/`)).rejects.toThrow(/credentials/)
    await f.close()
  })
})

describe('failure classes (what the DID cache may remember)', () => {
  const classify = async (p: Promise<unknown>) => {
    try {
      await p
      return 'answered'
    } catch (err) {
      return isTransientFetchError(err) ? 'transient' : 'definite'
    }
  }

  it('an upstream that cannot answer now (429, 5xx, timeout, refused connection) is transient; our refusals and a 404 are not', async () => {
    const f = createSafeFetch({ allowPrivateHosts: true, timeoutMs: 300, maxBodyBytes: 256 * 1024 })
    for (const status of [429, 500, 502, 503]) expect(await classify(f.fetch(`${base}/status/${status}`))).toBe('transient')
    expect(await classify(f.fetch(`${base}/slow`))).toBe('transient')
    expect(await classify(f.fetch('http://127.0.0.1:1/'))).toBe('transient')
    expect((await f.fetch(`${base}/status/404`)).status).toBe(404) // an answer: the resolver reads it as "not found"
    expect(await classify(f.fetch(`${base}/redirect`))).toBe('definite')
    expect(await classify(f.fetch(`${base}/big`))).toBe('definite')
    await f.close()
    const strict = createSafeFetch({ allowPrivateHosts: false, timeoutMs: 300, maxBodyBytes: 1024 })
    expect(await classify(strict.fetch(base.replace('127.0.0.1', 'localhost') + '/doc'))).toBe('definite') // private address
    await strict.close()
  })

  it('the trusted origin has a cap of its own: over it a fetch is refused at once (transient), and untrusted hosts keep theirs', async () => {
    const limited: string[] = []
    const limiter = new FetchLimiter({ perHost: 10, global: 10, trusted: 2 }, (scope) => limited.push(scope))
    const f = createSafeFetch({ allowPrivateHosts: true, trustedOrigins: [base], timeoutMs: 1000, maxBodyBytes: 1024, limiter })
    const held = [f.fetch(`${base}/held`), f.fetch(`${base}/held`)]
    const third = await f.fetch(`${base}/held`).catch((e: unknown) => e)
    expect(isTransientFetchError(third)).toBe(true)
    expect(limited).toEqual(['plc'])
    expect((await f.fetch(base.replace('127.0.0.1', 'localhost') + '/doc')).status).toBe(200) // untrusted: its own budget
    await Promise.all(held)
    expect(limiter.inFlight).toBe(0)
    await f.close()
  })
})
