/**
 * A loopback HTTP server of the test's own in front of the real PLC directory (test/helpers/pds.ts): it forwards
 * every request, or answers what the test says (429, 503, or headers and then nothing), and counts what it saw.
 * It stands for a PLC directory that rate-limits or fails, which an attacker can provoke.
 */
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type PlcMode = 'pass' | '429' | '503' | 'hang'

export interface PlcProxy {
  url: string
  mode: PlcMode
  /** Delay before forwarding (ms), so that concurrent lookups overlap. */
  delayMs: number
  /** Requests seen, per DID. */
  requests(did?: string): number
  /** Most requests in flight at once since the last reset. */
  maxInFlight: number
  reset(): void
  close(): Promise<void>
}

export async function startPlcProxy(plcUrl: string): Promise<PlcProxy> {
  const upstream = new URL(plcUrl)
  const seen = new Map<string, number>()
  let inFlight = 0
  let server: Server
  const proxy: PlcProxy = {
    url: '',
    mode: 'pass',
    delayMs: 0,
    maxInFlight: 0,
    requests: (did) => (did === undefined ? [...seen.values()].reduce((a, b) => a + b, 0) : seen.get(did) ?? 0),
    reset() {
      seen.clear()
      proxy.maxInFlight = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  server = createServer((req, res) => {
    const did = decodeURIComponent((req.url ?? '/').slice(1).split('/')[0])
    seen.set(did, (seen.get(did) ?? 0) + 1)
    inFlight++
    proxy.maxInFlight = Math.max(proxy.maxInFlight, inFlight)
    res.on('close', () => inFlight--)
    const mode = proxy.mode
    setTimeout(() => {
      if (mode === '429') return void res.writeHead(429, { 'retry-after': '60', 'content-type': 'application/json' }).end('{"message":"rate limited"}')
      if (mode === '503') return void res.writeHead(503).end()
      if (mode === 'hang') {
        res.writeHead(200, { 'content-type': 'application/json' })
        return void res.flushHeaders()
      }
      const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { accept: 'application/json' } }, (u) => {
        res.writeHead(u.statusCode ?? 502, { 'content-type': u.headers['content-type'] ?? 'application/json' })
        u.pipe(res)
      })
      up.on('error', () => res.destroy())
      up.end()
    }, proxy.delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return proxy
}
