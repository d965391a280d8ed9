// "Sign in with Bluesky": ATProto OAuth in the browser (@atproto/oauth-client-browser, loopback client for local
// development), then service-auth tokens for the relay minted from the session (atprotoTokenSource). Loaded only
// when a player signs in, so anonymous play never downloads the OAuth client.
import type { TokenSource } from 'bitecs-multiuser'
import { atprotoTokenSource } from 'bitecs-multiuser/atproto'

/** Where a sign-in happens: the real network by default; a local PDS + PLC for development and tests. */
export interface AuthConfig {
  relayUrl: string
  /** Handle resolver / PDS (default https://bsky.social). A local PDS URL allows http. */
  pds?: string
  /** PLC directory (default https://plc.directory). */
  plc?: string
}

const LXM = 'dev.bitecs.multiuser.join'
// Lets this client mint service-auth tokens for our relay's join method only (the token's aud is the relay).
const SCOPE = `atproto rpc:${LXM}?aud=*`
const SIGNED_IN = 'demo.signedIn'

async function client(cfg: AuthConfig) {
  const { BrowserOAuthClient, atprotoLoopbackClientMetadata } = await import('@atproto/oauth-client-browser')
  // Loopback client (no published metadata needed); the page must be served from http://127.0.0.1:<port>/.
  const clientId = `http://localhost?redirect_uri=${encodeURIComponent(location.origin + '/')}&scope=${encodeURIComponent(SCOPE)}`
  return new BrowserOAuthClient({
    clientMetadata: atprotoLoopbackClientMetadata(clientId),
    handleResolver: cfg.pds ?? 'https://bsky.social',
    ...(cfg.plc ? { plcDirectoryUrl: cfg.plc } : {}),
    allowHttp: cfg.pds?.startsWith('http:') ?? false,
  })
}

/** Starts the OAuth redirect (resolves never: the page navigates to the PDS's sign-in page). */
export async function signIn(cfg: AuthConfig, handleOrPds: string): Promise<void> {
  const c = await client(cfg)
  localStorage.setItem(SIGNED_IN, '1')
  await c.signInRedirect(handleOrPds.trim().replace(/^@/, ''), { scope: SCOPE })
}

/** True when this load comes back from the PDS or a session may be stored. */
export const mayHaveSession = (): boolean => /[#&?](state|code|error)=/.test(location.href) || localStorage.getItem(SIGNED_IN) === '1'

/** Finishes a redirect back, or restores the stored session; null when not signed in. */
export async function restore(cfg: AuthConfig): Promise<{ did: string; token: TokenSource; signOut(): Promise<void> } | null> {
  const c = await client(cfg)
  const result = await c.init()
  if (!result) {
    localStorage.removeItem(SIGNED_IN)
    return null
  }
  const session = result.session
  const relayDid = ((await (await fetch(new URL('.well-known/did.json', cfg.relayUrl))).json()) as { id: string }).id
  return {
    did: session.did,
    token: atprotoTokenSource(session, relayDid, { lxm: LXM }),
    async signOut() {
      localStorage.removeItem(SIGNED_IN)
      await session.signOut().catch(() => {})
    },
  }
}
