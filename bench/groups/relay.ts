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
 * The same file is the entry point of the child processes (BITECS_RELAY_BENCH_ROLE=server|load).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { request, Agent as HttpAgent, createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { fmtInt, fmtRatio, mdTable, percentile, round, textTable } from '../stats.js'
import type { BenchGroup, GroupContext, GroupOutput, Results } from './types.js'

export interface RelayRow {
  server: 'ours' | 'peer'
  auth: 'anonymous' | 'jwt' | 'none'
  n: number
  admitted: number
  failed: number
  admissionsPerSec: number
  joinP50Ms: number
  joinP99Ms: number
  rssBeforeMiB: number
  rssHoldMiB: number
  rssPerSocketKiB: number
  aliveAfterHold: number
  signalsPerSec: number
}

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

const SELF = fileURLToPath(import.meta.url)
const LOAD_PROCS = 3
const JOIN_CONCURRENCY = 48
const DID_COUNT = 16
const LXM = 'dev.bitecs.multiuser.join'
/** Capacity is what we measure: the per-sender signal limits (20/s, 64 per target per 10 s) would cap the signal phase. */
const BENCH_RELAY_OPTIONS = { rateLimitBurst: 1_000_000, rateLimitPerSec: 1_000_000, maxSignalsPerTargetPerWindow: 1_000_000_000 }

// ---------------------------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------------------------

type Msg = Record<string, unknown> & { cmd?: string }
const send = (m: Msg) => process.send?.(m)

async function serverRole(): Promise<void> {
  const kind = process.env.KIND
  const maxPeers = Number(process.env.MAX_PEERS)
  let port: number
  let did = ''
  if (kind === 'ours') {
    const { createRelay } = await import('../../src/relay/index.js')
    const { pino } = await import('pino')
    const relay = createRelay({
      auth: 'optional',
      host: '127.0.0.1',
      iceServers: [],
      allowPrivateDidHosts: true,
      verifyHandles: false,
      maxPeers,
      logger: pino({ level: 'warn' }),
      ...BENCH_RELAY_OPTIONS,
    })
    const r = await relay.listen()
    port = relay.address.port
    did = r.did
  } else {
    const { PeerServer } = await import('peer')
    port = await new Promise<number>((resolve) => {
      const app = PeerServer({ port: 0, host: '127.0.0.1', path: '/', key: 'peerjs', concurrent_limit: maxPeers }, (srv) => resolve((srv.address() as AddressInfo).port))
      app.on('error', () => {})
    })
  }
  process.on('message', (m: Msg) => {
    if (m.cmd === 'rss') {
      // collect first (the child runs with --expose-gc), so garbage of the ramp does not count as per-socket memory
      ;(globalThis as { gc?: () => void }).gc?.()
      setTimeout(() => send({ rss: process.memoryUsage().rss }), 200)
    }
  })
  send({ ready: true, port, did })
}

interface LoadSocket {
  ws: import('ws').WebSocket
  id: string
  partner: string
  open: boolean
  received: number
}

async function loadRole(): Promise<void> {
  const { WebSocket } = await import('ws')
  const kind = process.env.KIND as 'ours' | 'peer'
  const port = Number(process.env.PORT)
  const localAddress = process.env.LOCAL_ADDRESS!
  const count = Number(process.env.COUNT)
  const offset = Number(process.env.OFFSET)
  const agent = new HttpAgent({ keepAlive: true, maxSockets: JOIN_CONCURRENCY, localAddress } as ConstructorParameters<typeof HttpAgent>[0] & { localAddress: string })
  let tokens: string[] = []
  const sockets: LoadSocket[] = new Array(count)
  let signalling = false
  let closedUnexpectedly = 0

  const join = (room: string, token: string | undefined) =>
    new Promise<{ peerId: string; joinToken: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: `/v1/rooms/${room}/join`, agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { peerId: string; joinToken: string; error?: string }
          if (res.statusCode !== 200) reject(new Error(`${res.statusCode} ${body.error}`))
          else resolve(body)
        })
      })
      req.on('error', reject)
      req.end()
    })

  const openOne = async (i: number): Promise<number> => {
    const g = offset + i
    const room = `r${g >> 1}`
    const t0 = performance.now()
    let id: string
    let token: string
    if (kind === 'ours') {
      // one retry on a reset: the keep-alive race (the server closed an idle pooled connection as we reused it)
      const j = await join(room, tokens[i]).catch((e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? join(room, tokens[i]) : Promise.reject(e)))
      id = j.peerId
      token = j.joinToken
    } else {
      id = `${g.toString(16).padStart(8, '0')}${Math.random().toString(16).slice(2, 14)}`
      token = Math.random().toString(36).slice(2)
    }
    const ws = new WebSocket(`ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${id}&token=${token}`, { localAddress, perMessageDeflate: false })
    const s: LoadSocket = { ws, id, partner: '', open: false, received: 0 }
    sockets[i] = s
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const text = data.toString()
        if (!s.open) {
          if (text.includes('"OPEN"')) {
            s.open = true
            resolve()
          } else if (text.includes('"ERROR"')) reject(new Error(text))
          return
        }
        if (signalling && text.startsWith('{"type":"OFFER"')) s.received++
      })
      ws.on('error', reject)
      ws.on('close', () => {
        if (s.open) closedUnexpectedly++
        s.open = false
        reject(new Error('closed before OPEN'))
      })
    })
    return performance.now() - t0
  }

  const heartbeats = () => {
    // every socket once per 5 s, spread in 50 slices of 100 ms (as the peerjs client would, unsynchronised)
    let slice = 0
    const iv = setInterval(() => {
      for (let i = slice; i < count; i += 50) {
        const s = sockets[i]
        if (s?.open) s.ws.send('{"type":"HEARTBEAT"}')
      }
      slice = (slice + 1) % 50
    }, 100)
    return () => clearInterval(iv)
  }
  let stopHeartbeats = () => {}

  process.on('message', async (m: Msg) => {
    if (m.cmd === 'prepare') {
      const dids = m.dids as { did: string; keyHex: string }[] | undefined
      if (dids) {
        const { P256Keypair } = await import('@atproto/crypto')
        const keys = await Promise.all(dids.map((d) => P256Keypair.import(d.keyHex)))
        const now = Math.floor(Date.now() / 1000)
        const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
        const head = b64({ typ: 'JWT', alg: 'ES256' })
        tokens = []
        for (let i = 0; i < count; i++) {
          const k = (offset + i) % dids.length
          const body = b64({ iss: dids[k].did, aud: m.aud, lxm: LXM, iat: now, exp: now + 600, jti: `${offset + i}-${Math.random().toString(36).slice(2)}` })
          const sig = await keys[k].sign(new TextEncoder().encode(`${head}.${body}`))
          tokens.push(`${head}.${body}.${Buffer.from(sig).toString('base64url')}`)
        }
      }
      send({ prepared: true })
    } else if (m.cmd === 'open') {
      const latencies: number[] = []
      let failed = 0
      const errors: string[] = []
      const t0 = Date.now()
      let next = 0
      await Promise.all(
        Array.from({ length: JOIN_CONCURRENCY }, async () => {
          while (next < count) {
            const i = next++
            try {
              latencies.push(await openOne(i))
            } catch (e) {
              failed++
              if (errors.length < 3) errors.push((e as Error).message.slice(0, 200))
            }
          }
        }),
      )
      const t1 = Date.now()
      for (let i = 0; i + 1 < count; i += 2) {
        if (sockets[i] && sockets[i + 1]) {
          sockets[i].partner = sockets[i + 1].id
          sockets[i + 1].partner = sockets[i].id
        }
      }
      stopHeartbeats = heartbeats()
      send({ opened: latencies.length, failed, errors, latencies, t0, t1 })
    } else if (m.cmd === 'count') {
      send({ alive: sockets.filter((s) => s?.open).length, closedUnexpectedly })
    } else if (m.cmd === 'signal') {
      const ms = Number(m.ms)
      for (const s of sockets) if (s) s.received = 0
      signalling = true
      let sent = 0
      const payload = { sdp: 'v=0 o=- 0 0 IN IP4 127.0.0.1 s=- t=0 0 a=group:BUNDLE 0 m=application 9 UDP/DTLS/SCTP webrtc-datachannel', type: 'data', connectionId: 'dc_bench', label: 'dc_bench', serialization: 'binary', reliable: true }
      const end = performance.now() + ms
      while (performance.now() < end) {
        for (const s of sockets) {
          if (s?.open && s.partner && s.ws.bufferedAmount < 16 * 1024) {
            s.ws.send(JSON.stringify({ type: 'OFFER', dst: s.partner, payload }))
            sent++
          }
        }
        await new Promise((r) => setImmediate(r))
      }
      const received = sockets.reduce((n, s) => n + (s?.received ?? 0), 0)
      await new Promise((r) => setTimeout(r, 300))
      signalling = false
      send({ sent, received })
    } else if (m.cmd === 'close') {
      stopHeartbeats()
      for (const s of sockets) s?.ws.terminate()
      agent.destroy()
      send({ closed: true })
      setTimeout(() => process.exit(0), 50)
    }
  })
  send({ ready: true })
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: orchestration
// ---------------------------------------------------------------------------------------------------------------

/** Spawns this file as a child with the hard fd limit raised to the max, talking over IPC. */
function child(role: 'server' | 'load', env: Record<string, string>): { proc: ChildProcess; ask: (m: Msg, key: string) => Promise<Msg> } {
  const flags = role === 'server' ? ['--expose-gc'] : []
  const proc = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...flags, '--import', 'tsx', SELF], {
    env: { ...process.env, ...env, BITECS_RELAY_BENCH_ROLE: role },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const waiting: { key: string; resolve: (m: Msg) => void }[] = []
  proc.on('message', (m: Msg) => {
    const i = waiting.findIndex((w) => w.key in m)
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m)
  })
  const ask = (m: Msg, key: string) =>
    new Promise<Msg>((resolve, reject) => {
      waiting.push({ key, resolve })
      proc.once('exit', (code) => reject(new Error(`${role} child exited (${code}) while waiting for ${key}`)))
      if (m.cmd) proc.send(m)
    })
  return { proc, ask }
}

interface DidHost {
  did: string
  keyHex: string
  server: Server
}

async function startDidHosts(n: number): Promise<DidHost[]> {
  const { P256Keypair } = await import('@atproto/crypto')
  return Promise.all(
    Array.from({ length: n }, async () => {
      const key = await P256Keypair.create({ exportable: true })
      const host: DidHost = { did: '', keyHex: Buffer.from(await key.export()).toString('hex'), server: createServer() }
      host.server.on('request', (req, res) => {
        const doc = {
          '@context': ['https://www.w3.org/ns/did/v1'],
          id: host.did,
          verificationMethod: [{ id: `${host.did}#atproto`, type: 'Multikey', controller: host.did, publicKeyMultibase: key.did().slice('did:key:'.length) }],
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc))
      })
      await new Promise<void>((r) => host.server.listen(0, 'localhost', () => r()))
      host.did = `did:web:localhost%3A${(host.server.address() as AddressInfo).port}`
      return host
    }),
  )
}

async function runOne(server: 'ours' | 'peer', auth: RelayRow['auth'], n: number, holdMs: number, signalMs: number, dids: DidHost[], log: (l: string) => void): Promise<RelayRow> {
  const srv = child('server', { KIND: server, MAX_PEERS: String(n + 1000) })
  const ready = await srv.ask({}, 'ready')
  const port = Number(ready.port)
  try {
    if (auth === 'jwt') {
      // warm the relay's DID key cache: one admission per identity (not measured)
      const { P256Keypair } = await import('@atproto/crypto')
      for (const d of dids) {
        const key = await P256Keypair.import(d.keyHex)
        const now = Math.floor(Date.now() / 1000)
        const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
        const hb = `${b64({ typ: 'JWT', alg: 'ES256' })}.${b64({ iss: d.did, aud: ready.did, lxm: LXM, iat: now, exp: now + 60, jti: `warm-${Math.random()}` })}`
        const jwt = `${hb}.${Buffer.from(await key.sign(new TextEncoder().encode(hb))).toString('base64url')}`
        const res = await fetch(`http://127.0.0.1:${port}/v1/rooms/warm/join`, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } })
        if (res.status !== 200) throw new Error(`warm-up join refused: ${res.status} ${await res.text()}`)
      }
    }
    const rssBefore = Number((await srv.ask({ cmd: 'rss' }, 'rss')).rss)
    const per = Math.ceil(n / LOAD_PROCS / 2) * 2
    const loads = Array.from({ length: LOAD_PROCS }, (_, k) => {
      const count = Math.max(0, Math.min(per, n - k * per))
      return { count, c: child('load', { KIND: server, PORT: String(port), LOCAL_ADDRESS: `127.0.0.${10 + k}`, COUNT: String(count), OFFSET: String(k * per) }) }
    }).filter((l) => l.count > 0)
    await Promise.all(loads.map((l) => l.c.ask({}, 'ready')))
    await Promise.all(loads.map((l) => l.c.ask({ cmd: 'prepare', dids: auth === 'jwt' ? dids.map(({ did, keyHex }) => ({ did, keyHex })) : undefined, aud: ready.did }, 'prepared')))

    const opened = await Promise.all(loads.map((l) => l.c.ask({ cmd: 'open' }, 'opened')))
    const latencies = opened.flatMap((o) => o.latencies as number[])
    const admitted = opened.reduce((s, o) => s + Number(o.opened), 0)
    const failed = opened.reduce((s, o) => s + Number(o.failed), 0)
    const span = (Math.max(...opened.map((o) => Number(o.t1))) - Math.min(...opened.map((o) => Number(o.t0)))) / 1000
    const errs = opened.flatMap((o) => o.errors as string[])
    if (errs.length) log(`    ${server}/${auth} N=${n}: ${failed} failed, e.g. ${errs[0]}`)

    await new Promise((r) => setTimeout(r, holdMs))
    const rssHold = Number((await srv.ask({ cmd: 'rss' }, 'rss')).rss)
    const counts = await Promise.all(loads.map((l) => l.c.ask({ cmd: 'count' }, 'alive')))
    const alive = counts.reduce((s, c) => s + Number(c.alive), 0)

    const sig = await Promise.all(loads.map((l) => l.c.ask({ cmd: 'signal', ms: signalMs }, 'received')))
    const received = sig.reduce((s, x) => s + Number(x.received), 0)
    await Promise.all(loads.map((l) => l.c.ask({ cmd: 'close' }, 'closed').catch(() => ({}))))

    const row: RelayRow = {
      server,
      auth,
      n,
      admitted,
      failed,
      admissionsPerSec: round(admitted / span, 0),
      joinP50Ms: round(percentile(latencies, 0.5), 2),
      joinP99Ms: round(percentile(latencies, 0.99), 2),
      rssBeforeMiB: round(rssBefore / 2 ** 20, 1),
      rssHoldMiB: round(rssHold / 2 ** 20, 1),
      rssPerSocketKiB: round((rssHold - rssBefore) / 1024 / Math.max(1, alive), 2),
      aliveAfterHold: alive,
      signalsPerSec: round(received / (signalMs / 1000), 0),
    }
    log(`    ${server.padEnd(4)} ${auth.padEnd(9)} N=${String(n).padStart(5)}: ${fmtInt(row.admissionsPerSec)} adm/s, p99 ${row.joinP99Ms} ms, ${row.rssPerSocketKiB} KiB/socket, ${alive} alive, ${fmtInt(row.signalsPerSec)} signals/s`)
    return row
  } finally {
    srv.proc.kill('SIGKILL')
  }
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
      await Promise.all(dids.map((d) => new Promise<void>((r) => d.server.close(() => r()))))
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

const role = process.env.BITECS_RELAY_BENCH_ROLE
if (role === 'server') await serverRole()
else if (role === 'load') await loadRole()
