/**
 * A real `redis-server` (Debian's; installed by `npm test` / .ci/run) on 127.0.0.1 with a random port, no
 * persistence, stopped after: `const redis = await startRedis(); redis.url; await redis.restart(); await redis.stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
// @ts-expect-error plain .mjs helper shared with scripts/test.mjs
import { redisServerPath as find } from '../../scripts/redis-server-path.mjs'

export function redisServerPath(): string {
  const path = (find as () => string | null)()
  if (!path) throw new Error("no redis-server found: run `npm test`, which installs Debian's redis-server, or set REDIS_SERVER_PATH")
  return path
}

export interface TestRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  /** The running server's process id. */
  readonly pid: number
  /** Stops it (SIGKILL: state is lost, as in a crash) and starts it again, empty, on the same port. */
  restart(): Promise<void>
  /** Stops it (SIGKILL) without starting it again. */
  kill(): Promise<void>
  /** Starts it again after `kill`. */
  start(): Promise<void>
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn(redisServerPath(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (d: Buffer) => {
      out += d.toString()
      if (/Ready to accept connections/.test(out)) {
        child.stdout!.off('data', onData)
        child.stdout!.resume()
        resolve(child)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.resume()
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${out.slice(-500)}`)))
  })
}

const killed = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : (c.once('exit', () => r()), c.kill('SIGKILL'))))

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort()
  let child: ChildProcess | null = await launch(port)
  const redis: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child!.pid!
    },
    async kill() {
      if (child) await killed(child)
      child = null
    },
    async start() {
      child ??= await launch(port)
    },
    async restart() {
      await redis.kill()
      await redis.start()
    },
    async stop() {
      await redis.kill()
    },
  }
  return redis
}
