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
  close(): Promise<void>
}

export async function startDidWebHost(key: Keypair, handle?: string): Promise<DidWebHost> {
  let current = key
  let server: Server
  const host: DidWebHost = {
    did: '',
    fetches: 0,
    delayMs: 0,
    setKey(k) {
      current = k
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
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
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc)), host.delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, 'localhost', () => resolve()))
  host.did = `did:web:localhost%3A${(server.address() as AddressInfo).port}`
  return host
}
