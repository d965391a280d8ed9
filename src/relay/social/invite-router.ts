/**
 * Invite delivery, the seam in the Colyseus shape: `InviteRouter` is the interface, `LocalInviteRouter` the
 * in-process default (with `redis`: redis/redis-social.ts, a channel per DID that the processes holding its sockets read).
 * Who may invite whom (friends only, rate-limited) is checked before `send`, in the process that holds the sender.
 */
import type { Invite } from '../../signaling/social-contract.js'

/**
 * Carries an invite, once the relay has allowed it, to the social sockets of its recipient, wherever they are held
 * (the relay's seam; default {@link LocalInviteRouter}; option `inviteRouter`). It checks nothing itself: friendship,
 * the sender's rate limit and the recipient's presence are checked before `send`.
 */
export interface InviteRouter {
  /** Delivers invites addressed to `did` to `deliver` (one per social socket of that player); returns the stop function. */
  listen(did: string, deliver: (invite: Invite) => void): () => void
  /** Delivers `invite` to every socket of `to`; how many got it. */
  send(to: string, invite: Invite): number | Promise<number>
}

/** The in-process invite router: delivers to the social sockets this process holds. */
export class LocalInviteRouter implements InviteRouter {
  private readonly sockets = new Map<string, Set<(invite: Invite) => void>>()

  /** Adds `deliver` to `did`'s sockets until the returned function is called. */
  listen(did: string, deliver: (invite: Invite) => void): () => void {
    let set = this.sockets.get(did)
    if (!set) this.sockets.set(did, (set = new Set()))
    set.add(deliver)
    return () => {
      set.delete(deliver)
      if (set.size === 0 && this.sockets.get(did) === set) this.sockets.delete(did)
    }
  }

  /** Calls every listener of `to` now, synchronously; 0 when `to` has no social socket in this process (the sender is told offline). */
  send(to: string, invite: Invite): number {
    const set = this.sockets.get(to)
    for (const d of [...(set ?? [])]) d(invite)
    return set?.size ?? 0
  }
}
