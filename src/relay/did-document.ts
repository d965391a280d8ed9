/** The relay's did:web document: its `#atproto` key (ticket signatures) and a `#<serviceId>` service entry. */
import type { Keypair } from '@atproto/crypto'

/** The relay's own DID document (`/.well-known/did.json`): its did:web, signing key and service entry. */
export interface RelayDidDocument {
  /** The JSON-LD contexts of a DID document. */
  '@context': string[]
  /** Its DID. */
  id: string
  /** Its signing key (`#atproto`, Multikey). */
  verificationMethod: Array<{ id: string; type: 'Multikey'; controller: string; publicKeyMultibase: string }>
  /** Its service entry (`#bitecs_relay`), which OAuth scopes name. */
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
