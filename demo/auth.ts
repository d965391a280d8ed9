// "Sign in with Bluesky" through bitecs-multiuser/atproto (loopback OAuth client for local development: the page is
// served from http://127.0.0.1). Imported only when a player signs in or may have a session, so anonymous play never
// downloads the OAuth client.
import { atprotoSignIn, type AtprotoSignIn } from 'bitecs-multiuser/atproto'

/** Where a sign-in happens: the real network by default; a local PDS + PLC for development and tests. */
export interface AuthConfig {
  relayUrl: string
  /** Handle resolver / PDS (default https://bsky.social). A local PDS URL allows http. */
  pds?: string
  /** PLC directory (default https://plc.directory). */
  plc?: string
}

/** Set while a session may be stored (main.ts reads it before loading this module). */
const SIGNED_IN = 'demo.signedIn'

/** Finishes a redirect back (putting the page's fragment back) or restores the stored session. */
export async function setUpSignIn(cfg: AuthConfig): Promise<AtprotoSignIn> {
  // social: tokens for the relay's social stream and writes of our session records, besides the join.
  const auth = await atprotoSignIn({ relay: cfg.relayUrl, handleResolver: cfg.pds, plcDirectoryUrl: cfg.plc, social: true, lobby: true })
  if (auth.did) localStorage.setItem(SIGNED_IN, '1')
  else localStorage.removeItem(SIGNED_IN)
  return auth
}

/** Starts the OAuth redirect (resolves never: the page navigates to the PDS's sign-in page). */
export async function signIn(cfg: AuthConfig, handleOrPds: string): Promise<void> {
  localStorage.setItem(SIGNED_IN, '1')
  await (await setUpSignIn(cfg)).signIn(handleOrPds)
}

export async function signOut(auth: AtprotoSignIn): Promise<void> {
  localStorage.removeItem(SIGNED_IN)
  await auth.signOut()
}
