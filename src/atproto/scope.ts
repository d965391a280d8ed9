/** The OAuth scope a game asks for so that the player's PDS mints service-auth tokens for its relay, and nothing else. */
import { DEFAULT_LXM, DEFAULT_SERVICE_ID } from '../signaling/contract.js'

/** Options of {@link atprotoRelayScope} (and of the sign-in, which asks for that scope). */
export interface AtprotoRelayScopeOptions {
  /** The join method the relay expects (its `--lxm`; default `dev.bitecs.multiuser.join`). */
  lxm?: string
  /** The relay's service entry (its `--service-id`; default `bitecs_relay`). */
  serviceId?: string
}

/**
 * `atproto rpc:<lxm>?aud=<relay DID>#<service id>`, least privilege: the session can ask the PDS for tokens addressed
 * to this relay's join method only. The audience is percent-encoded as a whole (`did:web:localhost%3A8787` becomes
 * `did%3Aweb%3Alocalhost%253A8787`): written any other way, a DID with a port does not parse on the PDS, which then
 * silently grants `atproto` alone and refuses every token.
 */
export function atprotoRelayScope(relayDid: string, options: AtprotoRelayScopeOptions = {}): string {
  const lxm = options.lxm ?? DEFAULT_LXM
  const aud = `${relayDid}#${options.serviceId ?? DEFAULT_SERVICE_ID}`
  return `atproto rpc:${lxm}?aud=${encodeURIComponent(aud)}`
}
