/**
 * Short-lived TURN credentials in the join answer, in the scheme coturn's `use-auth-secret` implements (the "TURN REST
 * API"): username = `<expiry unix seconds>:<peer id>`, password = base64(HMAC-SHA1(shared secret, username)). The TURN
 * server checks the HMAC with the same secret and refuses an expired username, so the relay hands out access without
 * ever talking to it, and a leaked credential dies on its own.
 *
 * A TURN allocation is refreshed with the credentials it was made with, so they must outlive a session (hence hours,
 * not seconds, by default); a player who rejoins gets fresh ones.
 */
import { createHmac } from 'node:crypto'
import type { IceServer } from '../signaling/contract.js'

export interface TurnOptions {
  /** TURN URLs handed to clients, e.g. `turn:turn.example:3478?transport=udp`, `turns:turn.example:5349`. */
  urls: string[]
  /** The secret shared with the TURN server (coturn: `static-auth-secret`). */
  secret: string
  /** How long a credential is valid, seconds. */
  ttlSec: number
}

/** The ICE server entry with fresh credentials for `peerId`, valid `ttlSec` from `nowMs`. */
export function turnServerFor(turn: TurnOptions, peerId: string, nowMs: number): IceServer {
  const username = `${Math.floor(nowMs / 1000) + turn.ttlSec}:${peerId}`
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64')
  return { urls: turn.urls, username, credential }
}
