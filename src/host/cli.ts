/**
 * `bitecs-multiuser host --game ./dist/server.js --relay https://relay.example/ --room arena-1`: a headless host in
 * Node. Loads the game module (its default export, from `defineHostGame`), joins the room through the relay with the
 * PeerJS transport over node-datachannel, and runs the game (`runHost`) until SIGINT or SIGTERM. With `--session`
 * (and the relay's DID document, fetched from the relay), it admits only that session's members (`sessionWhitelist`).
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { peerJsTransport, type PeerJsTransport } from '../transport/peerjs/peerjs-transport.js'
import { relayClient } from '../transport/peerjs/relay-client.js'
import type { DidDocumentLike } from '../signaling/ticket.js'
import { runHost, type HostGame, type RunningHost } from './host-game.js'
import { loadNodePeer } from './node-peer.js'
import { sessionWhitelist } from './session-whitelist.js'

const HELP = `usage: bitecs-multiuser host --game <module> --relay <url> --room <name> [--session <id>] [--migration]

Runs a host-mode game server (README "Host mode"): the module's default export is a defineHostGame(...) game.

  --game <module>   the game module (a built .js, or .ts in a checkout)
  --relay <url>     the signaling relay
  --room <name>     the room to host
  --session <id>    admit only the members of this matchmade session (their session tickets, signed by the relay)
  --migration       host migration: clients keep idle links, and one takes over if this host leaves (they need
                    hostMigration: true too)
  -h, --help        show this help
`

/** What {@link startHost} started: the running game and its transport. */
export interface StartedHost {
  readonly host: RunningHost
  readonly transport: PeerJsTransport
  /** Stops the game and leaves the room. */
  stop(): void
}

/** Starts a host as the CLI does (exported for tests and for embedding). */
export async function startHost(options: { game: HostGame; relay: string; room: string; session?: string; migration?: boolean }): Promise<StartedHost> {
  const relay = relayClient(options.relay)
  const transport = peerJsTransport({ relay, Peer: loadNodePeer() })
  let admit
  if (options.session !== undefined) {
    const url = new URL('.well-known/did.json', options.relay.endsWith('/') ? options.relay : `${options.relay}/`)
    const res = await fetch(url)
    if (!res.ok) throw new Error(`relay DID document at ${url.href}: HTTP ${res.status}`)
    admit = sessionWhitelist({ session: options.session, relay: (await res.json()) as DidDocumentLike })
  }
  await transport.join(options.room)
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

/** `bitecs-multiuser host ...`; resolves with the exit code once stopped (0), or at once on a usage error (2). */
export async function main(args: string[]): Promise<number> {
  const argv = args[0] === 'host' ? args.slice(1) : args
  let values: { game?: string; relay?: string; room?: string; session?: string; migration?: boolean; help?: boolean }
  try {
    values = parseArgs({
      args: argv,
      options: { game: { type: 'string' }, relay: { type: 'string' }, room: { type: 'string' }, session: { type: 'string' }, migration: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (e) {
    process.stderr.write(`bitecs-multiuser host: ${(e as Error).message}\n\n${HELP}`)
    return 2
  }
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  if (!values.game || !values.relay || !values.room) {
    process.stderr.write(`bitecs-multiuser host: --game, --relay and --room are required\n\n${HELP}`)
    return 2
  }
  const mod = (await import(pathToFileURL(resolve(values.game)).href)) as { default?: HostGame }
  if (!mod.default || typeof mod.default.tick !== 'function') {
    process.stderr.write(`bitecs-multiuser host: ${values.game} has no default export from defineHostGame(...)\n`)
    return 1
  }
  const started = await startHost({ game: mod.default, relay: values.relay, room: values.room, ...(values.session ? { session: values.session } : {}), migration: values.migration === true })
  process.stdout.write(`bitecs-multiuser host: hosting room ${values.room} as ${started.transport.self?.id ?? '?'} at ${values.relay}\n`)
  started.transport.on('peerJoined', (p) => process.stdout.write(`  + ${p.id}${p.did ? ` (${p.did})` : ''}\n`))
  started.transport.on('peerLeft', (id, reason) => process.stdout.write(`  - ${id}: ${reason}\n`))
  return await new Promise<number>((done) => {
    const stop = (): void => {
      started.stop()
      done(0)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}
