/**
 * Invite delivery, the seam in the Colyseus shape: `InviteRouter` is the interface, `LocalInviteRouter` the
 * in-process default (a Redis one would publish on a channel per DID that the instance holding its sockets reads).
 * Who may invite whom (friends only, rate-limited) is checked before `send`, in the process that holds the sender.
 */
import type { Invite } from '../../signaling/social-contract.js'

export interface InviteRouter {
  /** Delivers invites addressed to `did` to `deliver` (one per social socket of that player); returns the stop function. */
  listen(did: string, deliver: (invite: Invite) => void): () => void
  /** Delivers `invite` to every socket of `to`; how many got it. */
  send(to: string, invite: Invite): number | Promise<number>
}

export class LocalInviteRouter implements InviteRouter {
  private readonly sockets = new Map<string, Set<(invite: Invite) => void>>()

  listen(did: string, deliver: (invite: Invite) => void): () => void {
    let set = this.sockets.get(did)
    if (!set) this.sockets.set(did, (set = new Set()))
    set.add(deliver)
    return () => {
      set.delete(deliver)
      if (set.size === 0 && this.sockets.get(did) === set) this.sockets.delete(did)
    }
  }

  send(to: string, invite: Invite): number {
    const set = this.sockets.get(to)
    for (const d of [...(set ?? [])]) d(invite)
    return set?.size ?? 0
  }
}
