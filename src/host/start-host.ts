/**
 * `startHost`: a host-mode game hosting one room, as the host CLI runs it: the PeerJS transport over node-datachannel
 * joins the room through the relay (with the room's credentials, e.g. the host's session ticket), and with a session
 * the relay's DID document is fetched so only that session's members are admitted (`sessionWhitelist`).
 */
import type { RoomCredentials } from '../signaling/contract.js'
import type { DidDocumentLike } from '../signaling/ticket.js'
import { peerJsTransport, type PeerJsTransport } from '../transport/peerjs/peerjs-transport.js'
import { relayClient } from '../transport/peerjs/relay-client.js'
import { runHost, type HostGame, type RunningHost } from './host-game.js'
import { loadNodePeer } from './node-peer.js'
import { sessionWhitelist } from './session-whitelist.js'

/** What {@link startHost} started: the running game and its transport. */
export interface StartedHost {
  readonly host: RunningHost
  readonly transport: PeerJsTransport
  /** Stops the game and leaves the room. */
  stop(): void
}

/** Starts a host as the CLI does (exported for tests and for embedding). */
export async function startHost(options: { game: HostGame; relay: string; room: string; session?: string; credentials?: RoomCredentials; migration?: boolean }): Promise<StartedHost> {
  const relay = relayClient(options.relay)
  const transport = peerJsTransport({ relay, Peer: loadNodePeer() })
  let admit
  if (options.session !== undefined) {
    const url = new URL('.well-known/did.json', options.relay.endsWith('/') ? options.relay : `${options.relay}/`)
    const res = await fetch(url)
    if (!res.ok) throw new Error(`relay DID document at ${url.href}: HTTP ${res.status}`)
    admit = sessionWhitelist({ session: options.session, relay: (await res.json()) as DidDocumentLike })
  }
  await transport.join(options.room, options.credentials)
  const host = await runHost(options.game, { transport, network: { ...(admit ? { admit } : {}), hostMigration: options.migration === true } })
  return {
    host,
    transport,
    stop() {
      host.stop()
      transport.close()
    },
  }
}
