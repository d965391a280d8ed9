/**
 * Group "lobby": matchmaking latency. N players (2, 8, 64) queue at once in a queue of size N on a real relay (in
 * process, loopback, anonymous): time from the requests going out to each player's `matched` event (the HTTP
 * request, the event stream, the match, N session tickets signed). Also the cost of one matchmaker tick with 1 024
 * players waiting that cannot be matched although all are in range (parties of 2 in a queue of 3: the greedy
 * search's worst case, every unit looks at every other).
 */
import { pino } from 'pino'
import { createRelay, LocalMatchQueue, MATCH_QUEUE_DEFAULTS } from '../../src/relay/index.js'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import { mdTable, percentile, round, textTable } from '../stats.js'
import type { BenchGroup } from './types.js'

interface MatchLatency {
  players: number
  rounds: number
  /** Over every player of every round, ms. */
  p50: number
  p99: number
  /** Median over rounds of the time until the last player of the round was told, ms. */
  allMatchedP50: number
}

export interface LobbyResult {
  match: MatchLatency[]
  /** One tick with 1 024 players waiting, all in range, none matchable, ms (median of runs). */
  tick1024Ms: number
}

const SIZES = [2, 8, 64]

export const lobbyGroup: BenchGroup<LobbyResult> = {
  name: 'lobby',
  title: 'matchmaking: time to match N players queued at once',
  inQuick: true,
  async run({ quick, log }) {
    const relay = createRelay({
      auth: 'off',
      logger: pino({ level: 'silent' }),
      iceServers: [],
      lobbyRateBurst: 1_000_000,
      maxQueuedPerAddress: 1_000,
      maxRooms: 100_000,
      matchQueues: Object.fromEntries(SIZES.map((n) => [`q${n}`, { size: n }])),
    })
    await relay.listen()
    const client = relayClient(relay.url)
    const match: MatchLatency[] = []
    try {
      for (const n of SIZES) {
        const rounds = quick ? 3 : n === 64 ? 20 : 50
        const each: number[] = []
        const last: number[] = []
        for (let r = 0; r < rounds; r++) {
          const t0 = performance.now()
          const times = await Promise.all(Array.from({ length: n }, () => client.matchmake({ queue: `q${n}` }).then(() => performance.now() - t0)))
          each.push(...times)
          last.push(Math.max(...times))
        }
        const row = { players: n, rounds, p50: round(percentile(each, 0.5), 2), p99: round(percentile(each, 0.99), 2), allMatchedP50: round(percentile(last, 0.5), 2) }
        log(`${n} players: p50 ${row.p50} ms, p99 ${row.p99} ms, all matched (p50 of rounds) ${row.allMatchedP50} ms`)
        match.push(row)
      }
    } finally {
      await relay.close()
    }
    const ticks: number[] = []
    for (let run = 0; run < (quick ? 3 : 11); run++) {
      let id = 0
      const q = new LocalMatchQueue(() => `s${++id}`)
      // Parties of 2 in a queue of 3, all of one skill: every seed looks at every other unit, none fits.
      const rules = { ...MATCH_QUEUE_DEFAULTS, size: 3, maxWaiting: 2048 }
      for (let i = 0; i < 1024; i++) {
        q.enqueue({ id: `p${i}`, queue: 'q', did: null, attributes: { skill: 1000 }, party: { id: `party${(i >> 1).toString().padStart(12, '0')}`, size: 2 }, enqueuedAt: 0 }, rules)
      }
      const t0 = performance.now()
      q.tick(1)
      ticks.push(performance.now() - t0)
    }
    const tick1024Ms = round(percentile(ticks, 0.5), 3)
    log(`one tick, 1 024 waiting, none matchable: ${tick1024Ms} ms`)
    return { result: { match, tick1024Ms } }
  },
  table(r) {
    return textTable(['players', 'rounds', 'p50 ms', 'p99 ms', 'all matched p50 ms'], r.match.map((m) => [m.players, m.rounds, m.p50, m.p99, m.allMatchedP50])) +
      `\nmatchmaker tick, 1 024 waiting, none matchable: ${r.tick1024Ms} ms`
  },
  markdown(r) {
    return (
      'N anonymous players queue at once (N requests sent together from one process) in a queue of size N on a relay ' +
      'in the same process (loopback): time from sending the requests to each player\'s `matched` event, which ' +
      'includes the HTTP request, the event stream, forming the match and signing N session tickets.\n\n' +
      mdTable(['players', 'rounds', 'p50 ms (every player)', 'p99 ms', 'last player told, p50 of rounds (ms)'], r.match.map((m) => [m.players, m.rounds, m.p50, m.p99, m.allMatchedP50])) +
      `\n\nOne matchmaker tick with 1 024 players waiting, all in range of each other and none matchable (512 parties of 2 in a queue of 3: ` +
      `every unit looks at every other, the search's worst case): ${r.tick1024Ms} ms. Ticks run every \`matchTickMs\` (250 ms) and after each enqueue.\n`
    )
  },
}
