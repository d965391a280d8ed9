/**
 * A host that serves matchmade sessions (README "Hand-off to hosts"): `serveSessions` registers with the relay's host
 * registry (`registerHost`), and for each session the relay hands it starts a host of that session's room
 * (`startHost`: the game, the room joined with the host's session ticket, only the session's members admitted).
 * Its load is the players of the sessions it runs; a session whose players all left (after it had some) is stopped.
 * When the registration ends (the relay restarted or went away) it registers again, backing off up to 10 s.
 */
import { registerHost, type HostRegistration } from '../auth/host-registration.js'
import type { LobbyError } from '../shared/errors.js'
import type { HostSession } from '../signaling/contract.js'
import { startHost, type StartedHost } from './start-host.js'
import type { HostGame } from './host-game.js'

/** Options of {@link serveSessions}. */
export interface ServeSessionsOptions {
  game: HostGame
  /** The relay's URL. */
  relay: string
  /** The relay's host secret (self-hosting); the host's `id` is then required. */
  secret: string
  /** The host's id in the registry. */
  id: string
  /** The region it serves. Default `''`. */
  region?: string
  /** Players it can hold, over all its sessions. */
  capacity: number
  /** Each session's clients keep idle links for host migration. Default false. */
  migration?: boolean
  /** Told of each session started and stopped, and of registration errors. */
  log?: (line: string) => void
}

/** What {@link serveSessions} runs: the sessions, and how to stop. */
export interface SessionServer {
  /** The sessions running now, by session id. */
  readonly sessions: ReadonlyMap<string, StartedHost>
  /** Unregisters and stops every session. */
  stop(): void
}

export async function serveSessions(o: ServeSessionsOptions): Promise<SessionServer> {
  const log = o.log ?? (() => {})
  const sessions = new Map<string, StartedHost>()
  const seats = new Map<string, number>()
  let stopped = false
  let reg: HostRegistration | null = null
  const load = () => [...seats.values()].reduce((a, b) => a + b, 0)

  const onSession = (s: HostSession) => {
    seats.set(s.session, s.members.length)
    startHost({ game: o.game, relay: o.relay, room: s.room, session: s.session, credentials: { session: s.ticket }, migration: o.migration === true }).then(
      (started) => {
        if (stopped) return started.stop()
        sessions.set(s.session, started)
        log(`session ${s.session}: hosting room ${s.room} for ${s.members.length} players`)
        let seen = false
        started.transport.on('peerJoined', () => (seen = true))
        started.transport.on('peerLeft', () => {
          if (!seen || started.transport.peers.size > 0) return
          started.stop()
          sessions.delete(s.session)
          seats.delete(s.session)
          log(`session ${s.session}: every player left, stopped`)
        })
      },
      (err: unknown) => {
        seats.delete(s.session)
        log(`session ${s.session}: could not start: ${(err as Error).message}`)
      },
    )
  }

  const register = () => registerHost({ relay: o.relay, secret: o.secret, id: o.id, region: o.region ?? '', capacity: o.capacity, load, onSession, onError: (e) => log(`heartbeat: ${e.message}`) })
  reg = await register()
  void (async () => {
    let delay = 250
    for (;;) {
      const ended: LobbyError | null = await reg!.ended
      if (stopped || ended === null) return
      log(`registration ended (${ended.code}); registering again`)
      for (;;) {
        await new Promise((r) => setTimeout(r, delay))
        if (stopped) return
        try {
          reg = await register()
          delay = 250
          break
        } catch (err) {
          delay = Math.min(delay * 2, 10_000)
          log(`registering: ${(err as Error).message}`)
        }
      }
    }
  })()
  return {
    sessions,
    stop() {
      stopped = true
      reg?.close()
      for (const s of sessions.values()) s.stop()
      sessions.clear()
      seats.clear()
    },
  }
}
