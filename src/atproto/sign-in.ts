/**
 * "Sign in with Bluesky" in one call: the OAuth client (production or loopback), the redirect there and back with
 * the page's own URL restored, the session restored on reload, the relay's DID discovered from its URL, the
 * least-privilege scope, a token source for the transport, and sign-out.
 */
import { BrowserOAuthClient, atprotoLoopbackClientMetadata, type OAuthSession } from '@atproto/oauth-client-browser'
import { AuthErrorCode, MultiuserAuthError } from '../shared/errors.js'
import type { TokenSource } from '../auth/token-source.js'
import { atprotoRelayScope, type AtprotoRelayScopeOptions } from './scope.js'
import { atprotoTokenSource, type AtprotoSession } from './token-source.js'
import { DEFAULT_SOCIAL_LXM } from '../signaling/social-contract.js'

/** Options of {@link atprotoSignIn}: the relay to sign in for, and the OAuth client. */
export interface AtprotoSignInOptions extends AtprotoRelayScopeOptions {
  /** The relay's URL; its DID is read from `<relay>/.well-known/did.json`. */
  relay: string
  /**
   * Your published OAuth client metadata (`https://game.example/client-metadata.json`; its `scope` must include
   * {@link AtprotoSignIn.scope}). Omitted: a loopback client for development, which needs the page served from
   * `http://127.0.0.1:<port>/` (not `localhost`).
   */
  clientId?: string
  /** Resolves handles to accounts (default `https://bsky.social`); a local PDS's URL for development. */
  handleResolver?: string
  /** PLC directory (default `https://plc.directory`). */
  plcDirectoryUrl?: string
  /** Allow `http:` servers (default: only for the loopback client or an `http:` handle resolver). */
  allowHttp?: boolean
}

/** The sign-in state of the page, from {@link atprotoSignIn}. */
export interface AtprotoSignIn {
  /** The signed-in player's DID, or null. */
  readonly did: string | null
  /** The relay's DID (from its DID document). */
  readonly relayDid: string
  /** The OAuth scope asked for: {@link atprotoRelayScope} of the relay. */
  readonly scope: string
  /** For `relayClient(url, { token })`: a service-auth token while signed in, null (a guest) otherwise. */
  readonly token: TokenSource
  /** For `socialClient({ token })` (needs `social: true`): tokens for the relay's social method while signed in. */
  readonly socialToken: TokenSource
  /** The OAuth session while signed in (for `sessionPublisher`), else null. */
  readonly session: AtprotoSession | null
  /**
   * Goes to the player's PDS to sign in (a handle such as `alice.bsky.social`, or a PDS URL) and comes back to this
   * page with its URL as it was (query and hash included). Never resolves: the page navigates away.
   */
  signIn(handleOrPds: string): Promise<never>
  /** Ends the session at the PDS; `token` then yields null. Rejoin (`transport.join(room)`) to play on as a guest. */
  signOut(): Promise<void>
}

const STATE_VERSION = 1

/** Reads the relay's DID from its DID document, bypassing HTTP caches (a relay may have changed keys). */
async function relayDidOf(relay: string, doFetch: typeof fetch): Promise<string> {
  const url = new URL('.well-known/did.json', relay.endsWith('/') ? relay : `${relay}/`)
  try {
    const res = await doFetch(url, { cache: 'no-store', credentials: 'omit' })
    const doc = (await res.json()) as { id?: unknown }
    if (!res.ok || typeof doc.id !== 'string' || !doc.id.startsWith('did:')) throw new Error(`HTTP ${res.status}, no DID`)
    return doc.id
  } catch (e) {
    throw new MultiuserAuthError(AuthErrorCode.RELAY_DID_UNAVAILABLE, `could not read the relay's DID from ${url.href}: ${(e as Error).message}`, { cause: e })
  }
}

/**
 * Sets up sign-in for a game: call it once at page load, before the page reads its fragment (`#room=…`: the redirect
 * back from the PDS replaces it, and this puts it back as it was). With the loopback client the query survives the
 * redirect too; a published client's redirect URI is fixed, so keep what must survive in the fragment. Resolves
 * with the restored session, if any.
 */
export async function atprotoSignIn(options: AtprotoSignInOptions): Promise<AtprotoSignIn> {
  const relayDid = await relayDidOf(options.relay, (input, init) => fetch(input, init))
  const scope = atprotoRelayScope(relayDid, options)
  const loopback = options.clientId === undefined
  const handleResolver = options.handleResolver ?? 'https://bsky.social'
  const common = {
    handleResolver,
    ...(options.plcDirectoryUrl ? { plcDirectoryUrl: options.plcDirectoryUrl } : {}),
    allowHttp: options.allowHttp ?? (loopback || handleResolver.startsWith('http:')),
  }
  let client: BrowserOAuthClient
  try {
    client = loopback
      ? new BrowserOAuthClient({
          // The page's own query is part of the redirect address, so the page comes back with it (options such as a
          // development PDS live there); the answer comes in the fragment, and the fragment we had is in the state.
          clientMetadata: atprotoLoopbackClientMetadata(`http://localhost?redirect_uri=${encodeURIComponent(location.origin + location.pathname + location.search)}&scope=${encodeURIComponent(scope)}`),
          responseMode: 'fragment',
          ...common,
        })
      : await BrowserOAuthClient.load({ clientId: options.clientId!, ...common })
  } catch (e) {
    throw new MultiuserAuthError(AuthErrorCode.SIGNIN_FAILED, `could not set up the OAuth client: ${(e as Error).message}`, { cause: e })
  }

  let session: OAuthSession | null = null
  try {
    const result = await client.init()
    session = result?.session ?? null
    if (result && 'state' in result && typeof result.state === 'string') restoreUrl(result.state)
  } catch (e) {
    throw new MultiuserAuthError(AuthErrorCode.SIGNIN_FAILED, `sign-in did not complete: ${(e as Error).message}`, { cause: e })
  }

  let tokens = session ? atprotoTokenSource(session, relayDid, options) : null
  let socialTokens = session ? atprotoTokenSource(session, relayDid, { ...options, lxm: options.socialLxm ?? DEFAULT_SOCIAL_LXM }) : null
  return {
    get did() {
      return session?.did ?? null
    },
    relayDid,
    scope,
    token: (request) => (tokens ? tokens(request) : Promise.resolve(null)),
    socialToken: () => (socialTokens ? socialTokens() : Promise.resolve(null)),
    get session() {
      return session
    },
    async signIn(handleOrPds) {
      const state = JSON.stringify({ v: STATE_VERSION, href: location.href })
      try {
        return await client.signInRedirect(handleOrPds.trim().replace(/^@/, ''), { scope, state })
      } catch (e) {
        throw new MultiuserAuthError(AuthErrorCode.SIGNIN_FAILED, `could not sign in as ${handleOrPds}: ${(e as Error).message}`, { cause: e })
      }
    },
    async signOut() {
      const s = session
      session = null
      tokens = null
      socialTokens = null
      await s?.signOut().catch(() => undefined)
    },
  }
}

/** Puts back the URL the player signed in from (same origin only), replacing the OAuth callback's. */
function restoreUrl(state: string): void {
  let href: unknown
  try {
    const parsed = JSON.parse(state) as { v?: unknown; href?: unknown }
    href = parsed.v === STATE_VERSION ? parsed.href : undefined
  } catch {
    return
  }
  if (typeof href !== 'string') return
  const url = new URL(href, location.href)
  if (url.origin === location.origin) history.replaceState(history.state, '', url.href)
}
