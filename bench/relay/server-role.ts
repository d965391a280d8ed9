/** The relay bench's server child: our relay or the stock PeerJS server, alone in its process; reports its RSS. */
import type { AddressInfo } from 'node:net'
import { BENCH_RELAY_OPTIONS, type Msg } from './config.js'

const send = (m: Msg) => process.send?.(m)

export async function serverRole(): Promise<void> {
  const kind = process.env.KIND
  const maxPeers = Number(process.env.MAX_PEERS)
  let port: number
  let did = ''
  if (kind === 'ours') {
    const { createRelay, generateRelayKeyHex } = await import('../../src/relay/index.js')
    const { pino } = await import('pino')
    const relay = createRelay({
      signingKey: await generateRelayKeyHex(), // a bench run needs no key that outlives it
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
