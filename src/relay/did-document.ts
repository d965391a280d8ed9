/** The relay's did:web document: its `#atproto` key (ticket signatures) and a `#<serviceId>` service entry. */
import type { Keypair } from '@atproto/crypto'

export interface RelayDidDocument {
  '@context': string[]
  id: string
  verificationMethod: Array<{ id: string; type: 'Multikey'; controller: string; publicKeyMultibase: string }>
  service: Array<{ id: string; type: string; serviceEndpoint: string }>
}

export function relayDidDocument(did: string, key: Keypair, publicUrl: string, serviceId: string): RelayDidDocument {
  const didKey = key.did()
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: didKey.slice('did:key:'.length) }],
    service: [{ id: `#${serviceId}`, type: 'BitecsMultiuserRelay', serviceEndpoint: publicUrl.replace(/\/$/, '') }],
  }
}
