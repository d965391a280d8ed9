/** The handshake budget (relay-wide and per client address) and how a join's client address is found. */
import { createServer, request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { clientAddressResolver } from '../../src/relay/client-address.js'
import { addressKey, handshakeGate, LocalHandshakeBudget } from '../../src/relay/handshake-budget.js'

describe('LocalHandshakeBudget', () => {
  it('refuses over the per-address cap and over the relay-wide cap, and gives places back exactly once', () => {
    const b = new LocalHandshakeBudget({ relay: 3, perAddress: 2 })
    const a1 = b.tryAcquire('10.0.0.1')
    const a2 = b.tryAcquire('10.0.0.1')
    expect(b.tryAcquire('10.0.0.1')).toBe('address')
    const c1 = b.tryAcquire('10.0.0.2')
    expect(b.tryAcquire('10.0.0.3')).toBe('relay')
    expect(b.inFlight).toBe(3)
    for (const s of [a1, a2, c1]) if (typeof s !== 'string') s.release()
    if (typeof a1 !== 'string') a1.release() // idempotent
    expect(b.inFlight).toBe(0)
    expect(typeof b.tryAcquire('10.0.0.1')).toBe('object')
  })

  it('an IPv6 client counts per /64 (an attacker has the whole /64), IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:ffff:1:2:3'))
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'))
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7')
    const b = new LocalHandshakeBudget({ relay: 10, perAddress: 1 })
    b.tryAcquire('2001:db8:1:2::1')
    expect(b.tryAcquire('2001:db8:1:2::dead:beef')).toBe('address')
  })

  it('a gate takes its place on the first network wait only, once; after release it never takes one again', () => {
    const b = new LocalHandshakeBudget({ relay: 1, perAddress: 1 })
    const limited: string[] = []
    const g = handshakeGate(b, '10.0.0.1', (s) => limited.push(s))
    expect(b.inFlight).toBe(0) // a join that never waits on the network holds nothing
    g.enter()
    g.enter()
    expect(b.inFlight).toBe(1)
    const other = handshakeGate(b, '10.0.0.2', (s) => limited.push(s))
    expect(() => other.enter()).toThrow(expect.objectContaining({ code: 'RELAY_BUSY' }))
    expect(limited).toEqual(['relay'])
    g.release()
    expect(b.inFlight).toBe(0)
    expect(() => g.enter()).toThrow(expect.objectContaining({ code: 'RELAY_BUSY' }))
    expect(b.inFlight).toBe(0)
  })
})

describe('client address', () => {
  /** The address `trustedProxies` makes of a real request from `from` carrying `xff`. */
  async function seen(trustedProxies: string[], from: string, xff?: string[]): Promise<string> {
    const of = clientAddressResolver(trustedProxies)
    let got = ''
    const server = createServer((req: IncomingMessage, res) => {
      got = of(req)
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    await new Promise<void>((resolve, reject) => {
      const headers = xff ? { 'x-forwarded-for': xff } : {}
      const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, localAddress: from, headers, agent: false }, (res) => res.resume().on('end', resolve))
      req.on('error', reject)
      req.end()
    })
    await new Promise<void>((r) => server.close(() => r()))
    return got
  }

  it('is the socket address unless the socket is a trusted proxy; then the right-most untrusted X-Forwarded-For hop', async () => {
    expect(await seen([], '127.0.5.1', ['203.0.113.9'])).toBe('127.0.5.1') // no trusted proxy: the header is ignored
    expect(await seen(['127.0.5.2'], '127.0.5.1', ['203.0.113.9'])).toBe('127.0.5.1') // not from the proxy
    expect(await seen(['127.0.5.0/24'], '127.0.5.1', ['203.0.113.9'])).toBe('203.0.113.9')
    // a client-written entry left of the proxy's own is ignored; chained trusted proxies are skipped
    expect(await seen(['127.0.5.1', '10.0.0.0/8'], '127.0.5.1', ['198.51.100.1, 203.0.113.9, 10.1.1.1'])).toBe('203.0.113.9')
    expect(await seen(['127.0.5.1'], '127.0.5.1', ['198.51.100.1', '203.0.113.9'])).toBe('203.0.113.9') // two header lines
    expect(await seen(['127.0.5.1'], '127.0.5.1', ['not-an-address'])).toBe('127.0.5.1')
    expect(await seen(['127.0.5.1'], '127.0.5.1')).toBe('127.0.5.1')
    expect(() => clientAddressResolver(['proxy.example'])).toThrow(/trustedProxies/)
  })
})
