/**
 * `bitecs-multiuser/social`: friends from follows, presence and invites through the relay, sessions published as
 * records. For signed-in players (`bitecs-multiuser/atproto`); it imports no ATProto library itself, and a game of
 * guests never imports this entry. README "Friends, presence and invites".
 */
export { socialClient, SOCIAL_CLIENT_DEFAULTS, type SocialClient, type SocialClientOptions, type SocialClientEvents, type SocialStatus, type SocialWebSocket } from './social-client.js'
export { sessionPublisher, listSessions, trackSession, SESSION_COLLECTION } from './session-records.js'
export type { SessionRecord, PublishedSession, SessionPublisher, SessionPublisherOptions, ListSessionsOptions, SessionTransport } from './session-records.js'
export { pdsResolver, type PdsResolver, type PdsResolverOptions } from './did-pds.js'
export { areFriends, friendsOf, type SocialGraph, type Relationship, type GraphFetch } from '../signaling/social-graph.js'
export { pdsSocialGraph, type PdsSocialGraphOptions } from '../signaling/pds-graph.js'
export { appViewSocialGraph, type AppViewSocialGraphOptions } from '../signaling/appview-graph.js'
export { DEFAULT_SOCIAL_LXM, type FriendPresence, type Invite } from '../signaling/social-contract.js'
export { SocialError } from '../shared/errors.js'
