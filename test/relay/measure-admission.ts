/**
 * Measures admission time (POST /join with a PDS-minted token -> 200) with a cold and a warm DID key cache, on
 * loopback against an in-process PDS + PLC. Not a test (timing claims are not asserted); run:
 *   npx tsx test/relay/measure-admission.ts [accounts=20]
 */
import { createRelay, CachingHandleVerifier } from '../../src/relay/index.js'
import { startTestPds, type TestAccount } from '../helpers/pds.js'
import { memoryLogger, postJoin } from './helpers.js'

const N = Number(process.argv[2] ?? 20)
const pds = await startTestPds()
const accounts: TestAccount[] = []
for (let i = 0; i < N; i++) accounts.push(await pds.createAccount(`user${i}`))

async function run(label: string, verifyHandles: boolean) {
  const relay = createRelay({
    auth: 'required', plcUrl: pds.plcUrl, iceServers: [], logger: memoryLogger().logger, maxPeersPerRoom: 1000,
    ...(verifyHandles ? { handleVerifier: new CachingHandleVerifier((h) => pds.resolveHandle(h), { ttlMs: 300_000, maxEntries: 1000 }) } : { verifyHandles: false }),
  })
  await relay.listen()
  const token = async (i: number) =>
    (await accounts[i].agent.com.atproto.server.getServiceAuth({ aud: `${relay.did}#bitecs_relay`, lxm: 'dev.bitecs.multiuser.join' })).data.token
  const time = async (t: string) => {
    const t0 = performance.now()
    const r = await postJoin(relay.url, 'bench', { token: t })
    const ms = performance.now() - t0
    if (r.status !== 200) throw new Error(JSON.stringify(r.body))
    return ms
  }
  // warm up the HTTP path (and JIT) with one account that is excluded from the figures
  await time(await token(0))
  // mint every token first, so the in-process PDS is idle while we time the relay
  const pairs: [string, string][] = []
  for (let i = 1; i < N; i++) pairs.push([await token(i), await token(i)])
  await new Promise((r) => setTimeout(r, 200))
  const cold: number[] = []
  const warm: number[] = []
  const coldServer: number[] = []
  const warmServer: number[] = []
  // server-side time: the relay's own join_duration histogram sum, before/after each request
  const serverSum = async () => (await relay.metrics.joinDuration.get()).values.find((v) => v.metricName?.endsWith('_sum') && v.labels.outcome === 'admitted')?.value ?? 0
  for (const [t1, t2] of pairs) {
    let s0 = await serverSum()
    cold.push(await time(t1))
    coldServer.push((await serverSum() - s0) * 1000)
    s0 = await serverSum()
    warm.push(await time(t2))
    warmServer.push((await serverSum() - s0) * 1000)
  }
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b)
    return `median ${s[Math.floor(s.length / 2)].toFixed(2)} ms, p90 ${s[Math.floor(s.length * 0.9)].toFixed(2)} ms, min ${s[0].toFixed(2)} ms (n=${s.length})`
  }
  console.log(`${label} (client round trip | server handling)\n  cold DID cache: ${stat(cold)} | ${stat(coldServer)}\n  warm DID cache: ${stat(warm)} | ${stat(warmServer)}\n  key cache: ${JSON.stringify(relay.didKeyCache?.stats)}`)
  await relay.close()
}

await run('admission, handles not verified', false)
await run('admission, handle verified through the PDS', true)
await pds.close()
