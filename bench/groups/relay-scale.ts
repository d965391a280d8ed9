/**
 * Group "relay-scale": admissions/s of a multi-process relay on one Redis (`--redis`), 1 process against 3, on this
 * machine's cores, reported honestly per core.
 *
 * Each process is the real CLI (a child process) on one real `redis-server`; every admission is an anonymous
 * `POST /v1/rooms/:room/join` to process i and the PeerJS socket opened on process i+1 (so every admission crosses
 * processes: the admission is consumed from Redis by another process), timed until OPEN; sockets are held to the end
 * (16 per room), after 300 admissions per process to warm it up (not counted). The load runs in this process (64 admissions in flight), so on a 2-core machine the relay
 * processes, Redis and the load share 2 cores: admissions/s is what the machine does, and admissions per relay
 * CPU-second (user + system time of the relay processes during the ramp, from /proc) is the per-core figure that
 * says how well the processes scale where cores allow. Redis CPU-seconds are reported beside it.
 */
import { readFileSync } from 'node:fs'
import { request, Agent } from 'node:http'
import WebSocket from 'ws'
import { startRedis } from '../../test/helpers/redis.js'
import { relayGroup as startGroup } from '../../test/helpers/relay-group.js'
import { fmtInt, mdTable, percentile, round, textTable } from '../stats.js'
import type { BenchGroup, GroupContext, GroupOutput } from './types.js'

export interface ScaleRow {
  processes: number
  admissions: number
  failed: number
  seconds: number
  admissionsPerSec: number
  joinP50Ms: number
  joinP99Ms: number
  /** User + system CPU seconds of the relay processes during the ramp. */
  relayCpuSec: number
  /** Admissions per relay CPU-second (≈ per core a relay process had). */
  admissionsPerRelayCpuSec: number
  redisCpuSec: number
}

export interface ScaleMeta {
  cores: number
  inFlight: number
  perRoom: number
  measuredAt: string
}

const IN_FLIGHT = 64
const PER_ROOM = 16
const WARMUP_PER_PROCESS = 300
const TICKS = 100 // CLK_TCK on Linux

function cpuSec(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / TICKS // utime, stime (fields 14 and 15)
}

function postJoin(agent: Agent, port: number, room: string): Promise<{ peerId: string; joinToken: string; peerjs: { key: string } }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/v1/rooms/${room}/join`, method: 'POST', agent, headers: { 'content-length': 0 } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${res.statusCode} ${body}`))))
    })
    req.on('error', reject)
    req.end()
  })
}

function openSocket(port: number, j: { peerId: string; joinToken: string; peerjs: { key: string } }): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/peerjs?${new URLSearchParams({ key: j.peerjs.key, id: j.peerId, token: j.joinToken })}`)
    ws.once('message', (d) => (JSON.parse(d.toString()).type === 'OPEN' ? resolve(ws) : reject(new Error(d.toString()))))
    ws.once('error', reject)
  })
}

async function runOne(processes: number, n: number, log: GroupContext['log']): Promise<ScaleRow> {
  const redis = await startRedis()
  const group = await startGroup(processes, redis.url, ['--log-level', 'error', '--max-peers', String(n + WARMUP_PER_PROCESS * processes + 1000), '--redis-instance-ttl', '3000'])
  const ports = group.processes.map((p) => p.port)
  const agents = ports.map(() => new Agent({ keepAlive: true, maxSockets: IN_FLIGHT }))
  const sockets: WebSocket[] = []
  const latencies: number[] = []
  let failed = 0
  /** `count` admissions in rooms `<tag><k>`, IN_FLIGHT at a time; latencies and failures counted when `measured`. */
  const admit = async (count: number, tag: string, measured: boolean) => {
    let next = 0
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = next++; i < count; i = next++) {
        const a = i % processes
        const started = performance.now()
        try {
          const j = await postJoin(agents[a], ports[a], `${tag}${Math.floor(i / PER_ROOM)}`)
          sockets.push(await openSocket(ports[(a + 1) % processes], j))
          if (measured) latencies.push(performance.now() - started)
        } catch {
          if (measured) failed++
        }
      }
    }))
  }
  try {
    // Warm every process up first (its JIT, its Redis scripts), so both runs measure the steady state.
    await admit(WARMUP_PER_PROCESS * processes, 'w', false)
    const pids = group.processes.map((p) => p.child.pid!)
    const cpu0 = pids.map(cpuSec)
    const redis0 = cpuSec(redis.pid)
    const t0 = performance.now()
    await admit(n, 'r', true)
    const seconds = (performance.now() - t0) / 1000
    const relayCpuSec = pids.map(cpuSec).reduce((s, v, k) => s + v - cpu0[k], 0)
    const redisCpuSec = cpuSec(redis.pid) - redis0
    const row: ScaleRow = {
      processes,
      admissions: latencies.length,
      failed,
      seconds: round(seconds),
      admissionsPerSec: Math.round(latencies.length / seconds),
      joinP50Ms: round(percentile(latencies, 0.5), 1),
      joinP99Ms: round(percentile(latencies, 0.99), 1),
      relayCpuSec: round(relayCpuSec),
      admissionsPerRelayCpuSec: Math.round(latencies.length / Math.max(0.01, relayCpuSec)),
      redisCpuSec: round(redisCpuSec),
    }
    log(`  ${processes} process(es): ${row.admissions} admitted (${failed} failed) in ${row.seconds} s: ${row.admissionsPerSec}/s, ${row.admissionsPerRelayCpuSec} per relay CPU-second`)
    return row
  } finally {
    for (const ws of sockets) ws.terminate()
    for (const a of agents) a.destroy()
    await group.close()
    await redis.stop()
  }
}

export const relayScaleGroup: BenchGroup<ScaleRow[], ScaleMeta> = {
  name: 'relay-scale',
  title: 'Relay processes on one Redis: admissions/s, 1 process against 3',
  inQuick: true,
  async run(ctx): Promise<GroupOutput<ScaleRow[], ScaleMeta>> {
    const n = ctx.quick ? 300 : 3000
    const rows = [await runOne(1, n, ctx.log), await runOne(3, n, ctx.log)]
    const [one, three] = rows
    return {
      result: rows,
      meta: { cores: (await import('node:os')).availableParallelism(), inFlight: IN_FLIGHT, perRoom: PER_ROOM, measuredAt: new Date().toISOString() },
      ratios: {
        relay_scale_admissions_per_sec_3_vs_1: round(three.admissionsPerSec / one.admissionsPerSec),
        relay_scale_admissions_per_relay_cpu_sec_3_vs_1: round(three.admissionsPerRelayCpuSec / one.admissionsPerRelayCpuSec),
      },
    }
  },
  table(rows) {
    return textTable(
      ['processes', 'admitted', 'failed', 'adm/s', 'join p50 ms', 'join p99 ms', 'relay CPU s', 'adm/relay CPU s', 'redis CPU s'],
      rows.map((r) => [r.processes, r.admissions, r.failed, fmtInt(r.admissionsPerSec), r.joinP50Ms, r.joinP99Ms, r.relayCpuSec, fmtInt(r.admissionsPerRelayCpuSec), r.redisCpuSec]),
    )
  },
  markdown(rows, meta, all) {
    if (!rows.length) return 'not run'
    const r = all.ratios ?? {}
    return [
      `Measured ${meta?.measuredAt ?? '?'} on ${meta?.cores} cores shared by the relay processes, redis-server and the load (${meta?.inFlight} anonymous admissions in flight; ` +
        `each joins on one process and opens its socket on the next, so every admission crosses processes through Redis; ${meta?.perRoom} per room, held).`,
      '',
      mdTable(
        ['processes', 'admitted', 'failed', 'admissions/s', 'join p50 ms', 'join p99 ms', 'relay CPU s', 'admissions / relay CPU-second', 'redis CPU s'],
        rows.map((x) => [x.processes, fmtInt(x.admissions), x.failed, fmtInt(x.admissionsPerSec), x.joinP50Ms, x.joinP99Ms, x.relayCpuSec, fmtInt(x.admissionsPerRelayCpuSec), x.redisCpuSec]),
        ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
      `3 processes ÷ 1: admissions/s ×${r.relay_scale_admissions_per_sec_3_vs_1 ?? '–'} (bounded by the cores: with ${meta?.cores} cores for everything, ` +
        `more processes cannot add CPU), admissions per relay CPU-second ×${r.relay_scale_admissions_per_relay_cpu_sec_3_vs_1 ?? '–'} (the cost of one admission ` +
        'on 3 processes against 1: at ≈ 1 the processes scale with the cores they are given).',
    ].join('\n')
  },
}
