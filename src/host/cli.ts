/**
 * `bitecs-multiuser host --game ./dist/server.js --relay https://relay.example/ --room arena-1`: a headless host in
 * Node. Loads the game module (its default export, from `defineHostGame`) and hosts one room (`startHost`) until
 * SIGINT or SIGTERM; with `--session` it admits only that session's members. With `--register` instead of `--room` it
 * registers with the relay's host registry and hosts every matchmade session the relay hands it (`serveSessions`).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { HostGame } from './host-game.js'
import { serveSessions } from './session-server.js'
import { startHost } from './start-host.js'

const HELP = `usage: bitecs-multiuser host --game <module> --relay <url> --room <name> [--session <id>] [--migration]
       bitecs-multiuser host --game <module> --relay <url> --register --id <id> --capacity <n> [--region <r>]

Runs a host-mode game server (README "Host mode"): the module's default export is a defineHostGame(...) game.

  --game <module>   the game module (a built .js, or .ts in a checkout)
  --relay <url>     the signaling relay
  --room <name>     the room to host
  --session <id>    admit only the members of this matchmade session (their session tickets, signed by the relay)
  --register        serve matchmade sessions: register with the relay's host registry (README "Hand-off to
                    hosts") with the relay's host secret (--host-secret-file, or BITECS_HOST_SECRET)
  --id <id>         this host's id in the registry (with --register)
  --capacity <n>    players this host holds over all its sessions (with --register)
  --region <r>      the region it serves (with --register; default none)
  --host-secret-file <file>  the file holding the relay's host secret
  --migration       host migration: clients keep idle links, and one takes over if this host leaves (they need
                    hostMigration: true too)
  -h, --help        show this help
`


/** `bitecs-multiuser host ...`; resolves with the exit code once stopped (0), or at once on a usage error (2). */
export async function main(args: string[]): Promise<number> {
  const argv = args[0] === 'host' ? args.slice(1) : args
  let values: Partial<Record<'game' | 'relay' | 'room' | 'session' | 'id' | 'capacity' | 'region' | 'host-secret-file', string>> & { migration?: boolean; register?: boolean; help?: boolean }
  try {
    const str = { type: 'string' } as const
    values = parseArgs({
      args: argv,
      options: {
        game: str, relay: str, room: str, session: str, id: str, capacity: str, region: str, 'host-secret-file': str,
        register: { type: 'boolean' }, migration: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (e) {
    return usageError((e as Error).message)
  }
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  if (!values.game || !values.relay) return usageError('--game and --relay are required')
  if (values.register === true ? values.room !== undefined : values.room === undefined) return usageError('give --room (one room) or --register (matchmade sessions)')
  const mod = (await import(pathToFileURL(resolve(values.game)).href)) as { default?: HostGame }
  if (!mod.default || typeof mod.default.tick !== 'function') {
    process.stderr.write(`bitecs-multiuser host: ${values.game} has no default export from defineHostGame(...)\n`)
    return 1
  }
  const out = (line: string) => process.stdout.write(`${line}\n`)
  let stopHost: () => void
  if (values.register) {
    const capacity = Number(values.capacity)
    const secretFile = values['host-secret-file']
    const secret = secretFile ? readFileSync(secretFile, 'utf8').trim() : process.env.BITECS_HOST_SECRET
    if (!values.id || !Number.isInteger(capacity) || capacity < 1) return usageError('--register needs --id and --capacity (a positive integer)')
    if (!secret) return usageError('--register needs the relay\'s host secret: --host-secret-file or BITECS_HOST_SECRET')
    const server = await serveSessions({ game: mod.default, relay: values.relay, secret, id: values.id, capacity, region: values.region ?? '', migration: values.migration === true, log: (l) => out(`  ${l}`) })
    out(`bitecs-multiuser host: registered as ${values.id} (capacity ${capacity}${values.region ? `, region ${values.region}` : ''}) at ${values.relay}`)
    stopHost = () => server.stop()
  } else {
    const started = await startHost({ game: mod.default, relay: values.relay, room: values.room!, ...(values.session ? { session: values.session } : {}), migration: values.migration === true })
    out(`bitecs-multiuser host: hosting room ${values.room} as ${started.transport.self?.id ?? '?'} at ${values.relay}`)
    started.transport.on('peerJoined', (p) => out(`  + ${p.id}${p.did ? ` (${p.did})` : ''}`))
    started.transport.on('peerLeft', (id, reason) => out(`  - ${id}: ${reason}`))
    stopHost = () => started.stop()
  }
  return await new Promise<number>((done) => {
    const stop = (): void => {
      stopHost()
      done(0)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}

function usageError(message: string): number {
  process.stderr.write(`bitecs-multiuser host: ${message}\n\n${HELP}`)
  return 2
}
