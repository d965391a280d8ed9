/**
 * Group "relay": our signaling relay under socket load, against the stock PeerJS server (`peer` 1.0.2), same load,
 * same run, same machine.
 *
 * For N sockets (1 000 / 5 000 / 10 000; quick: 200): the server runs alone in a child process; the load comes from
 * separate child processes (each on its own loopback source address). Every socket joins (ours: `POST
 * /v1/rooms/:room/join`, anonymous or with a fresh ES256 service-auth token of a did:web whose key the relay has
 * cached, then the PeerJS socket; peer: the PeerJS socket `GET /peerjs?key=peerjs&id=…&token=…` directly), stays
 * for the hold period sending a HEARTBEAT every 5 s like the peerjs client, then every socket signals its room
 * partner (OFFERs, as fast as its socket drains) for a few seconds.
 *
 * Reported per run: admissions/s over the ramp, join latency p50/p99 (ours: POST sent -> OPEN received; peer: socket
 * created -> OPEN), server RSS per socket (RSS at the end of the hold minus RSS before the ramp, over the sockets
 * alive, each after a forced GC), sockets still open after the hold, and signals routed/s (OFFERs received by the partners).
 *
 * The full run takes ~9 minutes and is opt-in: `npm run bench -- --relay` (or `--only=relay`). Without it a full
 * `npm run bench` keeps the stored relay figures. `--quick` (CI) runs N = 200 for 5 s.
 *
 * This file is the group (opt-in, stored results, ratios, tables); bench/relay/ holds the run (runner.ts), the child
 * processes (child.ts: server-role.ts, load-role.ts) and the did:web identities (did-hosts.ts).
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BENCH_RELAY_OPTIONS, DID_COUNT, JOIN_CONCURRENCY, LOAD_PROCS } from '../relay/config.js'
import { startDidHosts, stopDidHosts } from '../relay/did-hosts.js'
import { runOne, type RelayRow } from '../relay/runner.js'
import { fmtInt, fmtRatio, mdTable, round, textTable } from '../stats.js'
import type { BenchGroup, GroupContext, GroupOutput, Results } from './types.js'

export interface RelayMeta {
  holdSec: number
  signalSec: number
  loadProcesses: number
  joinConcurrencyPerProcess: number
  didWebIdentities: number
  /** Relay options that differ from RELAY_DEFAULTS in the bench, and why. */
  relayOptions: Record<string, unknown>
  measuredAt: string
  note?: string
}

function optedIn(): boolean {
  const args = process.argv.slice(2)
  const only = args.find((a) => a.startsWith('--only='))
  return args.includes('--relay') || (only !== undefined && only.slice('--only='.length).split(',').includes('relay'))
}

/** Stored results of the last full run (kept when a full `npm run bench` did not opt in). */
function previous(): { result: RelayRow[]; meta?: RelayMeta; ratios: Record<string, number> } | null {
  const path = fileURLToPath(new URL('../results.json', import.meta.url))
  if (!existsSync(path)) return null
  const r = JSON.parse(readFileSync(path, 'utf8')) as Partial<Results>
  const rows = r.relay as RelayRow[] | undefined
  if (!rows) return null
  return { result: rows, meta: r.meta?.relay as RelayMeta | undefined, ratios: Object.fromEntries(Object.entries(r.ratios ?? {}).filter(([k]) => k.startsWith('relay_'))) }
}

export function ratiosOf(rows: RelayRow[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of rows) {
    if (r.server !== 'ours') continue
    const p = rows.find((x) => x.server === 'peer' && x.n === r.n)
    if (!p) continue
    const k = `${r.auth}_${r.n}`
    out[`relay_admissions_per_sec_vs_peer_${k}`] = round(r.admissionsPerSec / p.admissionsPerSec)
    out[`relay_join_p99_vs_peer_${k}`] = round(r.joinP99Ms / p.joinP99Ms)
    // at small N the RSS delta is within the process's own RSS noise (it can come out negative): no ratio then
    if (r.rssPerSocketKiB > 0 && p.rssPerSocketKiB > 0) out[`relay_rss_per_socket_vs_peer_${k}`] = round(r.rssPerSocketKiB / p.rssPerSocketKiB)
    out[`relay_signals_per_sec_vs_peer_${k}`] = round(r.signalsPerSec / p.signalsPerSec)
  }
  return out
}

export const relayGroup: BenchGroup<RelayRow[], RelayMeta> = {
  name: 'relay',
  title: 'Signaling relay under load, against the stock PeerJS server',
  inQuick: true,
  async run(ctx: GroupContext): Promise<GroupOutput<RelayRow[], RelayMeta>> {
    if (!ctx.quick && !optedIn()) {
      const prev = previous()
      ctx.log('  the full relay load run is opt-in (npm run bench -- --relay): keeping the stored figures')
      if (prev) return { result: prev.result, ...(prev.meta ? { meta: prev.meta } : {}), ratios: prev.ratios }
      return { result: [], meta: { holdSec: 0, signalSec: 0, loadProcesses: 0, joinConcurrencyPerProcess: 0, didWebIdentities: 0, relayOptions: {}, measuredAt: '', note: 'not run yet: npm run bench -- --relay' } }
    }
    const sizes = ctx.quick ? [200] : [1000, 5000, 10000]
    const holdMs = ctx.quick ? 5_000 : 30_000
    const signalMs = ctx.quick ? 2_000 : 10_000
    const dids = await startDidHosts(DID_COUNT)
    const rows: RelayRow[] = []
    try {
      for (const n of sizes) {
        rows.push(await runOne('peer', 'none', n, holdMs, signalMs, dids, ctx.log))
        rows.push(await runOne('ours', 'anonymous', n, holdMs, signalMs, dids, ctx.log))
        rows.push(await runOne('ours', 'jwt', n, holdMs, signalMs, dids, ctx.log))
      }
    } finally {
      await stopDidHosts(dids)
    }
    const meta: RelayMeta = {
      holdSec: holdMs / 1000,
      signalSec: signalMs / 1000,
      loadProcesses: LOAD_PROCS,
      joinConcurrencyPerProcess: JOIN_CONCURRENCY,
      didWebIdentities: DID_COUNT,
      relayOptions: { maxPeers: 'N + 1000', auth: 'optional', ...BENCH_RELAY_OPTIONS },
      measuredAt: new Date().toISOString(),
    }
    return { result: rows, meta, ratios: ratiosOf(rows) }
  },
  table(rows) {
    return textTable(
      ['server', 'auth', 'N', 'admitted', 'adm/s', 'join p50 ms', 'join p99 ms', 'KiB/socket', 'alive', 'signals/s'],
      rows.map((r) => [r.server, r.auth, r.n, r.admitted, fmtInt(r.admissionsPerSec), r.joinP50Ms, r.joinP99Ms, r.rssPerSocketKiB, r.aliveAfterHold, fmtInt(r.signalsPerSec)]),
    )
  },
  markdown(rows, meta, all) {
    if (!rows.length) return meta?.note ?? 'not run'
    const out: string[] = []
    out.push(
      `Measured ${meta?.measuredAt ?? '?'}: N sockets held ${meta?.holdSec} s with a HEARTBEAT every 5 s, then ${meta?.signalSec} s of OFFERs to the room partner. ` +
        `Server alone in one process; load from ${meta?.loadProcesses} child processes (${meta?.joinConcurrencyPerProcess} joins in flight each), all on this machine's cores. ` +
        `Ours: HTTP join (anonymous, or an ES256 service-auth token of one of ${meta?.didWebIdentities} did:web identities whose keys are cached) + PeerJS socket; peer: PeerJS socket only. ` +
        `Bench relay options: \`${JSON.stringify(meta?.relayOptions ?? {})}\` (per-sender signal limits raised so that routing capacity is measured).`,
    )
    out.push('')
    out.push(
      mdTable(
        ['server', 'auth', 'N', 'admitted', 'failed', 'admissions/s', 'join p50 ms', 'join p99 ms', 'RSS before → held MiB', 'RSS/socket KiB', 'alive after hold', 'signals routed/s'],
        rows.map((r) => [r.server, r.auth, fmtInt(r.n), fmtInt(r.admitted), r.failed, fmtInt(r.admissionsPerSec), r.joinP50Ms, r.joinP99Ms, `${r.rssBeforeMiB} → ${r.rssHoldMiB}`, r.rssPerSocketKiB, fmtInt(r.aliveAfterHold), fmtInt(r.signalsPerSec)]),
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    )
    const ratio = (what: string, auth: string, n: number) => {
      const v = all.ratios?.[`relay_${what}_vs_peer_${auth}_${n}`]
      return v === undefined ? '–' : fmtRatio(v)
    }
    const ours = rows.filter((r) => r.server === 'ours')
    if (ours.length) {
      out.push('')
      out.push('Ours ÷ peer at the same N (`results.json` → `ratios.relay_*_vs_peer_<auth>_<N>`); RSS/socket is left out where the RSS delta is within the process RSS noise (negative):')
      out.push('')
      out.push(
        mdTable(
          ['auth', 'N', 'admissions/s', 'join p99', 'RSS/socket', 'signals routed/s'],
          ours.map((r) => [r.auth, fmtInt(r.n), ratio('admissions_per_sec', r.auth, r.n), ratio('join_p99', r.auth, r.n), ratio('rss_per_socket', r.auth, r.n), ratio('signals_per_sec', r.auth, r.n)]),
          ['l', 'r', 'r', 'r', 'r', 'r'],
        ),
      )
    }
    return out.join('\n')
  },
}
