/** The OAuth scope a game asks for so that the player's PDS mints service-auth tokens for its relay, and nothing else. */
import { DEFAULT_LOBBY_LXM, DEFAULT_LXM, DEFAULT_SERVICE_ID } from '../signaling/contract.js'
import { DEFAULT_SOCIAL_LXM, SESSION_COLLECTION } from '../signaling/social-contract.js'

/** Options of {@link atprotoRelayScope} (and of the sign-in, which asks for that scope). */
export interface AtprotoRelayScopeOptions {
  /** The join method the relay expects (its `--lxm`; default `dev.bitecs.multiuser.join`). */
  lxm?: string
  /** Also tokens for the relay's lobby calls: creating rooms and matchmaking (README "Lobbies and matchmaking"). */
  lobby?: boolean
  /** The lobby method the relay expects (its `--lobby-lxm`; default `dev.bitecs.multiuser.lobby`). */
  lobbyLxm?: string
  /** The relay's service entry (its `--service-id`; default `bitecs_relay`). */
  serviceId?: string
  /**
   * Also what `bitecs-multiuser/social` needs: tokens for the relay's social method (its `--social-lxm`) and writes
   * of the player's session records (`repo:dev.bitecs.multiuser.session`: create, update, delete, that collection only).
   */
  social?: boolean
  /** The social method the relay expects (its `--social-lxm`; default `dev.bitecs.multiuser.social`). */
  socialLxm?: string
}

/**
 * `atproto rpc:<lxm>?aud=<relay DID>#<service id>`, least privilege: the session can ask the PDS for tokens addressed
 * to this relay's join method only. With `lobby` and/or `social`, one `rpc?lxm=<lxm>&lxm=<lobby lxm>&lxm=<social lxm>&aud=…`
 * names those methods besides, and `social` adds `repo:dev.bitecs.multiuser.session` (session records, no other
 * collection). The audience is percent-encoded as a whole (`did:web:localhost%3A8787` becomes
 * `did%3Aweb%3Alocalhost%253A8787`): written any other way, a DID with a port does not parse on the PDS, which then
 * silently grants `atproto` alone and refuses every token.
 */
export function atprotoRelayScope(relayDid: string, options: AtprotoRelayScopeOptions = {}): string {
  const lxm = options.lxm ?? DEFAULT_LXM
  const aud = encodeURIComponent(`${relayDid}#${options.serviceId ?? DEFAULT_SERVICE_ID}`)
  const lxms = [lxm, ...(options.lobby ? [options.lobbyLxm ?? DEFAULT_LOBBY_LXM] : []), ...(options.social ? [options.socialLxm ?? DEFAULT_SOCIAL_LXM] : [])]
  const rpc = lxms.length === 1 ? `rpc:${lxm}?aud=${aud}` : `rpc?${lxms.map((m) => `lxm=${m}`).join('&')}&aud=${aud}`
  return `atproto ${rpc}${options.social ? ` repo:${SESSION_COLLECTION}` : ''}`
}
