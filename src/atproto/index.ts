/**
 * `bitecs-multiuser/atproto`: signing players in with their ATProto (Bluesky) identity. Needs the optional peer
 * dependencies `@atproto/api` and `@atproto/oauth-client-browser`; a game of guests never imports this entry, so
 * its bundle carries no ATProto code.
 */
export { atprotoTokenSource, type AtprotoSession, type AtprotoTokenSourceOptions } from './token-source.js'
