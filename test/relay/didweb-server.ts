/** A tiny did:web host on loopback for tests: serves a mutable DID document at /.well-known/did.json. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Keypair } from '@atproto/crypto'

export interface DidWebHost {
  did: string
  /** Number of document fetches served. */
  fetches: number
  /** Replaces the `#atproto` key of the document. */
  setKey(key: Keypair): void
  /** Delay before answering (ms), to make concurrent lookups overlap. */
  delayMs: number
  /**
   * What to answer: the document, a redirect to a metadata address, a 404, a streamed body over 256 KiB, or
   * headers and then nothing (a tarpit: the body never comes).
   */
  mode: 'doc' | 'redirect' | 'notfound' | 'huge' | 'hang'
  close(): Promise<void>
}

export async function startDidWebHost(key: Keypair, handle?: string): Promise<DidWebHost> {
  let current = key
  let server: Server
  const host: DidWebHost = {
    did: '',
    fetches: 0,
    delayMs: 0,
    mode: 'doc',
    setKey(k) {
      current = k
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  server = createServer((req, res) => {
    if (req.url !== '/.well-known/did.json') {
      res.writeHead(404).end()
      return
    }
    host.fetches++
    const doc = {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: host.did,
      ...(handle ? { alsoKnownAs: [`at://${handle}`] } : {}),
      verificationMethod: [{ id: `${host.did}#atproto`, type: 'Multikey', controller: host.did, publicKeyMultibase: current.did().slice('did:key:'.length) }],
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'http://localhost:1' }],
    }
    setTimeout(() => {
      if (host.mode === 'redirect') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end()
      if (host.mode === 'notfound') return void res.writeHead(404).end()
      if (host.mode === 'hang') {
        res.writeHead(200, { 'content-type': 'application/json' })
        return void res.flushHeaders()
      }
      if (host.mode === 'huge') {
        // valid JSON start, no content-length: the cap must be enforced while streaming
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write(JSON.stringify(doc).slice(0, -1) + ',"pad":"')
        for (let i = 0; i < 5; i++) res.write('x'.repeat(64 * 1024))
        return void res.end('"}')
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc))
    }, host.delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, 'localhost', () => resolve()))
  host.did = `did:web:localhost%3A${(server.address() as AddressInfo).port}`
  return host
}
