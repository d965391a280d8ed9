/** The relay's own signing key (signs tickets, published in its DID document). P-256 so browsers verify it cheaply. */
import { readFile } from 'node:fs/promises'
import { P256Keypair, type Keypair } from '@atproto/crypto'

/** A keypair, a hex P-256 private key, or nothing (a fresh key in memory: tickets die with the process). */
export async function loadRelayKey(key: Keypair | string | undefined): Promise<Keypair> {
  if (key === undefined) return P256Keypair.create({ exportable: false })
  if (typeof key !== 'string') return key
  const hex = key.trim()
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError('relay signing key must be 64 hex characters (a P-256 private key)')
  return P256Keypair.import(hex, { exportable: false })
}

/** Reads a hex P-256 private key from a file (first line). */
export async function readRelayKeyFile(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).split('\n')[0].trim()
}

/** A new hex P-256 private key (for `bitecs-multiuser relay gen-key`). */
export async function generateRelayKeyHex(): Promise<string> {
  const kp = await P256Keypair.create({ exportable: true })
  return Buffer.from(await kp.export()).toString('hex')
}
