/**
 * The social stream's wire contract, shared by the relay (src/relay/social) and its client (src/social): one
 * WebSocket per signed-in player at `<relay>/v1/social`, JSON text messages. The socket is authenticated by its first
 * message, `AUTH` with a service-auth token scoped to the social method (`lxm` = `dev.bitecs.multiuser.social` by
 * default, audience the relay), never by the URL.
 *
 *   client -> relay                                  relay -> client
 *   AUTH { token }                                   READY { did, handle?, limits }
 *   SET { visible?, joinable? }                      PRESENCE { did, handle?, online, room, joinable, since }
 *   WATCH { dids }  (replaces the list)              INVITE { id, from, handle?, room, at }
 *   INVITE { id, to, room }                          INVITED { id }            (delivered)
 *                                                    ERROR { code, message, id? } (id: which INVITE)
 *
 * Privacy: presence reaches only friends (mutual follows, no block either way) of the player. Every watched account
 * gets a PRESENCE answer; one that is not a friend, not online, or appearing offline reads `online: false`, the same
 * answer in every case.
 */

/** Default method name (`lxm`) of social stream tokens. */
export const DEFAULT_SOCIAL_LXM = 'dev.bitecs.multiuser.social'
/** The collection (NSID) of session records (lexicons/dev/bitecs/multiuser/session.json). */
export const SESSION_COLLECTION = 'dev.bitecs.multiuser.session'
/** The social socket's path under the relay's public URL. */
export const SOCIAL_PATH = 'v1/social'

/** What a friend sees of a player. */
export interface FriendPresence {
  did: string
  /** The player's handle, when the relay verified it. */
  handle?: string
  /** Connected to the social stream and not appearing offline. */
  online: boolean
  /** The room the player is in on this relay (null when in none, or offline). */
  room: string | null
  /** The player welcomes friends in that room (they still pass the room's policy). */
  joinable: boolean
  /** Since when this presence holds (relay clock, Unix ms). */
  since: number
}

/** An invite as its recipient gets it. */
export interface Invite {
  /** Chosen by the sender (its `INVITED` / `ERROR` answer carries it). */
  id: string
  /** The inviter's DID (verified by the relay). */
  from: string
  handle?: string
  /** The room on this relay to join. */
  room: string
  /** When the relay delivered it (Unix ms). */
  at: number
}

export type SocialClientMessage =
  | { type: 'AUTH'; token: string }
  | { type: 'SET'; visible?: boolean; joinable?: boolean }
  | { type: 'WATCH'; dids: string[] }
  | { type: 'INVITE'; id: string; to: string; room: string }

export type SocialServerMessage =
  | { type: 'READY'; did: string; handle?: string; limits: { maxWatched: number; invitesPerMinute: number } }
  | ({ type: 'PRESENCE' } & FriendPresence)
  | ({ type: 'INVITE' } & Invite)
  | { type: 'INVITED'; id: string }
  | { type: 'ERROR'; code: string; message: string; id?: string }
