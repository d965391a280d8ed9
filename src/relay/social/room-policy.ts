/**
 * Friends-only rooms. A join may ask for one (`{ "friendsOnly": true }`) when it creates the room (the room has no
 * one in it, admitted or connected); the relay then admits only the creator and the creator's friends (mutual
 * follows, no block either way, checked on every join with the social graph), until the room is empty again.
 * Tickets and resume tokens carry the policy (`friendsOf`), so a relay restart restores it from the first resume.
 *
 * `RoomPolicies` is the seam (in-process default `LocalRoomPolicies`), kept with the room's slots: in one process,
 * or in Redis with `redis` (README "Scaling out").
 */
import type { SocialGraph } from '../../signaling/social-graph.js'
import { ErrorCode, RelayError } from '../errors.js'
import { friends } from './graph.js'

/**
 * Which rooms are friends-only, and whose friends they admit (the relay's seam; default {@link LocalRoomPolicies};
 * option `roomPolicies`). It only remembers: the relay checks each join against it and the social graph. Kept where
 * the room's slots are (one process, or Redis).
 */
export interface RoomPolicies {
  /** The DID whose friends `room` admits (its creator), or undefined: open to everyone. */
  friendsOf(room: string): string | undefined | Promise<string | undefined>
  /** Makes `room` friends-only, admitting `friendsOf` and their friends (called when a friends-only join creates it, or a resume restores it). */
  set(room: string, friendsOf: string): void | Promise<void>
  /** Opens `room` to everyone again (called when the room has no one left in it, admitted or connected). */
  delete(room: string): void | Promise<void>
}

/** The in-process room policies: a map from room to its creator's DID. */
export class LocalRoomPolicies implements RoomPolicies {
  private readonly rooms = new Map<string, string>()
  /** The DID whose friends `room` admits, or undefined: open to everyone. */
  friendsOf(room: string): string | undefined {
    return this.rooms.get(room)
  }
  /** Makes `room` friends-only for `friendsOf`'s friends (replacing any policy it had). */
  set(room: string, friendsOf: string): void {
    this.rooms.set(room, friendsOf)
  }
  /** Forgets `room`'s policy: open to everyone. */
  delete(room: string): void {
    this.rooms.delete(room)
  }
}

export interface RoomPolicyQuery {
  room: string
  /** The joiner (null: anonymous). */
  did: string | null
  /** The join asks for a friends-only room. */
  friendsOnly: boolean
  /** The policy in the joiner's resume token (a relay restart lost the room). */
  restored?: string
  /** The room has someone in it (admitted or connected). */
  exists: boolean
}

/**
 * The policy a joiner enters `room` under (the DID whose friends it admits, or undefined), or a refusal:
 * `ROOM_FRIENDS_ONLY` (anonymous, or not a friend of the creator), `ROOM_POLICY_MISMATCH` (asked friends-only of an
 * open room), `JOIN_BODY_INVALID` (an anonymous creator), `SOCIAL_GRAPH_UNAVAILABLE` (the graph cannot be read now).
 */
export async function admissionPolicy(policies: RoomPolicies, graph: SocialGraph, q: RoomPolicyQuery): Promise<string | undefined> {
  let friendsOf = await policies.friendsOf(q.room)
  if (!q.exists) {
    if (q.friendsOnly && !q.did) throw new RelayError(ErrorCode.JOIN_BODY_INVALID, 'a friends-only room needs a signed-in creator')
    // A resume restores what the room was; a fresh creator sets what it asks for.
    friendsOf = q.restored ?? (q.friendsOnly ? q.did! : undefined)
  } else if (q.friendsOnly && friendsOf === undefined) {
    throw new RelayError(ErrorCode.ROOM_POLICY_MISMATCH, `room ${q.room} exists and is open to everyone`)
  }
  if (friendsOf === undefined || friendsOf === q.did) return friendsOf
  if (!q.did) throw new RelayError(ErrorCode.ROOM_FRIENDS_ONLY, 'this room admits only friends of its creator: sign in')
  if (!(await friends(graph, friendsOf, q.did))) throw new RelayError(ErrorCode.ROOM_FRIENDS_ONLY, "this room admits only its creator's friends (mutual follows, no block either way)")
  return friendsOf
}
