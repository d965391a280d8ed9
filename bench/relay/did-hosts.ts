/** did:web identities on loopback for the relay bench, and the ES256 service-auth tokens they sign. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { P256Keypair } from '@atproto/crypto'

export interface DidHost {
  did: string
  keyHex: string
  server: Server
}

/** `n` did:web hosts on localhost, each serving its DID document with a fresh P-256 `#atproto` key. */
export async function startDidHosts(n: number): Promise<DidHost[]> {
  const { P256Keypair } = await import('@atproto/crypto')
  return Promise.all(
    Array.from({ length: n }, async () => {
      const key = await P256Keypair.create({ exportable: true })
      const host: DidHost = { did: '', keyHex: Buffer.from(await key.export()).toString('hex'), server: createServer() }
      host.server.on('request', (req, res) => {
        const doc = {
          '@context': ['https://www.w3.org/ns/did/v1'],
          id: host.did,
          verificationMethod: [{ id: `${host.did}#atproto`, type: 'Multikey', controller: host.did, publicKeyMultibase: key.did().slice('did:key:'.length) }],
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc))
      })
      await new Promise<void>((r) => host.server.listen(0, 'localhost', () => r()))
      host.did = `did:web:localhost%3A${(host.server.address() as AddressInfo).port}`
      return host
    }),
  )
}

export async function stopDidHosts(hosts: DidHost[]): Promise<void> {
  await Promise.all(hosts.map((d) => new Promise<void>((r) => d.server.close(() => r()))))
}

/** A compact ES256 service-auth JWT signed by `key`. */
export async function serviceJwt(key: P256Keypair, claims: { iss: string; aud: unknown; lxm: string; iat: number; exp: number; jti: string }): Promise<string> {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const signed = `${b64({ typ: 'JWT', alg: 'ES256' })}.${b64(claims)}`
  return `${signed}.${Buffer.from(await key.sign(new TextEncoder().encode(signed))).toString('base64url')}`
}
