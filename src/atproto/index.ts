/**
 * `bitecs-multiuser/atproto`: signing players in with their ATProto (Bluesky) identity. Needs the optional peer
 * dependency `@atproto/oauth-client-browser`; a game of guests never imports this entry, so its bundle carries no
 * ATProto code.
 *
 * @packageDocumentation
 */
export { atprotoSignIn, type AtprotoSignIn, type AtprotoSignInOptions } from './sign-in.js'
export { atprotoRelayScope, type AtprotoRelayScopeOptions } from './scope.js'
export { atprotoTokenSource, type AtprotoSession, type AtprotoTokenSourceOptions } from './token-source.js'
