/**
 * A multi-process relay deployment for tests and benchmarks: N real relay processes (the CLI, child processes) on
 * one Redis, behind a TCP round-robin balancer on loopback (what nginx's or Caddy's upstream does: a connection goes
 * to the next backend, and to the one after when a backend refuses it). Every process has the balancer's URL as its
 * public URL and shares one data directory (one signing key), so clients see one relay.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../bin/bitecs-multiuser.js', import.meta.url))

export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

/** Round-robin TCP balancer over `ports()` (read on every connection); skips a backend that refuses. */
export async function tcpBalancer(ports: () => number[]): Promise<{ port: number; close(): Promise<void> }> {
  let next = 0
  const open = new Set<Socket>()
  const server: Server = createServer((client) => {
    open.add(client)
    client.on('close', () => open.delete(client))
    client.pause()
    const tryBackend = (attempt: number) => {
      const list = ports()
      if (attempt >= list.length) return void client.destroy()
      const port = list[next++ % list.length]
      const upstream = connect(port, '127.0.0.1')
      upstream.once('connect', () => {
        open.add(upstream)
        upstream.on('close', () => (open.delete(upstream), client.destroy()))
        client.on('close', () => upstream.destroy())
        upstream.on('error', () => client.destroy())
        client.on('error', () => upstream.destroy())
        client.pipe(upstream)
        upstream.pipe(client)
        client.resume()
      })
      upstream.once('error', (err: NodeJS.ErrnoException) => {
        if (upstream.connecting || err.code === 'ECONNREFUSED') tryBackend(attempt + 1)
      })
    }
    tryBackend(0)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of open) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

export interface RelayProcess {
  readonly port: number
  readonly child: ChildProcess
  /** stderr so far. */
  readonly stderr: () => string
  readonly exited: Promise<number | null>
  alive(): boolean
}

export interface RelayGroup {
  /** The balancer's URL: every process's public URL. */
  readonly url: string
  readonly processes: RelayProcess[]
  /** Starts one more process of the group. */
  add(): Promise<RelayProcess>
  close(): Promise<void>
}

async function startProcess(args: string[]): Promise<RelayProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, [bin, 'relay', '--port', String(port), ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      if (/relay: http:\/\/\S+ \(did:web:/.test(err)) resolve()
    })
    void exited.then((code) => reject(new Error(`relay process exited ${code}: ${err}`)))
  })
  return { port, child, stderr: () => err, exited, alive: () => child.exitCode === null && child.signalCode === null }
}

/** `n` relay processes on `redisUrl` behind one balancer; `args`: more CLI flags for each. */
export async function relayGroup(n: number, redisUrl: string, args: string[] = []): Promise<RelayGroup> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relay-group-'))
  const processes: RelayProcess[] = []
  const balancer = await tcpBalancer(() => processes.filter((p) => p.alive()).map((p) => p.port))
  const url = `http://127.0.0.1:${balancer.port}/`
  const common = ['--auth', 'off', '--log-level', 'warn', '--public-url', url, '--data-dir', dataDir, '--redis', redisUrl, '--redis-instance-ttl', '1500', ...args]
  const add = async () => {
    const p = await startProcess(common)
    processes.push(p)
    return p
  }
  // The first one creates the data directory's key; the others read it.
  await add()
  await Promise.all(Array.from({ length: n - 1 }, add))
  return {
    url,
    processes,
    add,
    async close() {
      for (const p of processes) if (p.alive()) p.child.kill('SIGKILL')
      await Promise.all(processes.map((p) => p.exited))
      await balancer.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** The sockets each process holds now (its /healthz). */
export async function socketsOf(p: RelayProcess): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${p.port}/healthz`)
  return ((await res.json()) as { sockets: number }).sockets
}
