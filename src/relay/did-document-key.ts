/** The `#atproto` signing key of a player's DID document (P-256 or secp256k1), for verifying their tokens. */
import { formatDidKey, parseMultikey, multibaseToBytes, P256_JWT_ALG, SECP256K1_JWT_ALG } from '@atproto/crypto'
import type { DidDocumentLike } from '../signaling/ticket.js'

/**
 * Extracts the `#atproto` signing key of a DID document as a `did:key`. Accepts `Multikey` and the legacy
 * `EcdsaSecp256r1VerificationKey2019` / `EcdsaSecp256k1VerificationKey2019` types. Returns undefined if absent.
 */
export function atprotoKeyFromDidDocument(doc: DidDocumentLike): string | undefined {
  const vm = doc.verificationMethod?.find((m) => m.id === '#atproto' || m.id === `${doc.id}#atproto`)
  if (!vm?.publicKeyMultibase) return undefined
  try {
    if (vm.type === 'Multikey') {
      const parsed = parseMultikey(vm.publicKeyMultibase)
      return formatDidKey(parsed.jwtAlg, parsed.keyBytes)
    }
    if (vm.type === 'EcdsaSecp256r1VerificationKey2019') return formatDidKey(P256_JWT_ALG, multibaseToBytes(vm.publicKeyMultibase))
    if (vm.type === 'EcdsaSecp256k1VerificationKey2019') return formatDidKey(SECP256K1_JWT_ALG, multibaseToBytes(vm.publicKeyMultibase))
  } catch {
    return undefined
  }
  return undefined
}
