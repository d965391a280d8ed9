/**
 * The relay bench's parent side: spawns the server child and LOAD_PROCS load children (child.ts), drives one run
 * (warm the DID key cache, ramp, hold, signal, close) and measures it into a row.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fmtInt, percentile, round } from '../stats.js'
import { LOAD_PROCS, LXM, ROLE_ENV, type Msg } from './config.js'
import { serviceJwt, type DidHost } from './did-hosts.js'

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

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))

interface Child {
  proc: ChildProcess
  /** Sends `m` (if it has a cmd) and resolves with the child's next message that has the field `key`. */
  ask: (m: Msg, key: string) => Promise<Msg>
}

/** Spawns child.ts in `role` with the hard fd limit raised to the max, talking over IPC. */
function child(role: 'server' | 'load', env: Record<string, string>): Child {
  const flags = role === 'server' ? ['--expose-gc'] : []
  const proc = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...flags, '--import', 'tsx', CHILD], {
    env: { ...process.env, ...env, [ROLE_ENV]: role },
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

/** One admission per identity, so the relay has every key cached before the measured ramp. */
async function warmKeyCache(port: number, aud: unknown, dids: DidHost[]): Promise<void> {
  const { P256Keypair } = await import('@atproto/crypto')
  for (const d of dids) {
    const now = Math.floor(Date.now() / 1000)
    const jwt = await serviceJwt(await P256Keypair.import(d.keyHex), { iss: d.did, aud, lxm: LXM, iat: now, exp: now + 60, jti: `warm-${Math.random()}` })
    const res = await fetch(`http://127.0.0.1:${port}/v1/rooms/warm/join`, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } })
    if (res.status !== 200) throw new Error(`warm-up join refused: ${res.status} ${await res.text()}`)
  }
}

/** One run: N sockets against `server` with `auth`, held `holdMs`, then `signalMs` of signalling. */
export async function runOne(server: 'ours' | 'peer', auth: RelayRow['auth'], n: number, holdMs: number, signalMs: number, dids: DidHost[], log: (l: string) => void): Promise<RelayRow> {
  const srv = child('server', { KIND: server, MAX_PEERS: String(n + 1000) })
  const ready = await srv.ask({}, 'ready')
  const port = Number(ready.port)
  try {
    if (auth === 'jwt') await warmKeyCache(port, ready.did, dids)
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
