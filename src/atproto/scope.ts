/** The OAuth scope a game asks for so that the player's PDS mints service-auth tokens for its relay, and nothing else. */
import { DEFAULT_LOBBY_LXM, DEFAULT_LXM, DEFAULT_SERVICE_ID } from '../signaling/contract.js'

export interface AtprotoRelayScopeOptions {
  /** The join method the relay expects (its `--lxm`; default `dev.bitecs.multiuser.join`). */
  lxm?: string
  /**
   * The lobby method the relay expects for room creation and matchmaking (its `--lobby-lxm`; default
   * `dev.bitecs.multiuser.lobby`); null for a game that does not use the lobby (the scope then allows joins only).
   */
  lobbyLxm?: string | null
  /** The relay's service entry (its `--service-id`; default `bitecs_relay`). */
  serviceId?: string
}

/**
 * `atproto rpc:<lxm>?aud=<relay DID>#<service id> rpc:<lobbyLxm>?aud=…`, least privilege: the session can ask the PDS
 * for tokens addressed to this relay's join and lobby methods only. The audience is percent-encoded as a whole (`did:web:localhost%3A8787` becomes
 * `did%3Aweb%3Alocalhost%253A8787`): written any other way, a DID with a port does not parse on the PDS, which then
 * silently grants `atproto` alone and refuses every token.
 */
export function atprotoRelayScope(relayDid: string, options: AtprotoRelayScopeOptions = {}): string {
  const lxm = options.lxm ?? DEFAULT_LXM
  const aud = encodeURIComponent(`${relayDid}#${options.serviceId ?? DEFAULT_SERVICE_ID}`)
  const lobby = options.lobbyLxm === undefined ? DEFAULT_LOBBY_LXM : options.lobbyLxm
  return `atproto rpc:${lxm}?aud=${aud}${lobby === null ? '' : ` rpc:${lobby}?aud=${aud}`}`
}
