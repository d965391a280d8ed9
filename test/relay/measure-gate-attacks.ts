/**
 * Honest-join admission during the two denial-of-service attacks of issue 22 (admitted / attempted, p99 latency), on
 * loopback against an in-process PDS + PLC. Not a test (timing claims are not asserted); run:
 *   npx tsx test/relay/measure-gate-attacks.ts [runs=3]
 */
import { summary, type TimedJoin } from './gate-attacks.js'
import { cast, gateRelay, honestOnly, KINDS, refreshAttack, slowDidAttack, startGateFixture, stopGateFixture, tarpits, type Kind, type Outcome } from './gate-scenarios.js'
import { memoryLogger } from './helpers.js'

const RUNS = Number(process.argv[2] ?? 3)
const PER_KIND = 12
const f = await startGateFixture(memoryLogger().logger, PER_KIND)
// On loopback every did:web is `localhost`, so the per-host fetch cap would count all honest did:web players as one
// host; lifted, as in the wild, where each DID has a host (or subdomain) of its own.
const ONE_HOST_EACH = { didFetchConcurrencyPerHost: 1000 }

function report(label: string, outcomes: Outcome[], extra: TimedJoin[] = []): void {
  console.log(`\n${label}`)
  const all: TimedJoin[] = [...extra]
  for (const k of KINDS) {
    const joins = outcomes.flatMap((o) => o.honest[k as Kind])
    if (joins.length === 0) continue
    all.push(...joins)
    const s = summary(joins)
    console.log(`  ${k.padEnd(17)} admitted ${s.admitted}/${s.attempted}, p99 ${s.p99ms} ms  ${JSON.stringify(s.codes)}`)
  }
  const s = summary(all)
  console.log(`  ${'all honest'.padEnd(17)} admitted ${s.admitted}/${s.attempted}, p99 ${s.p99ms} ms`)
  const atk = summary(outcomes.flatMap((o) => o.attack))
  console.log(`  attack: ${atk.attempted} joins, ${JSON.stringify(atk.codes)}`)
}

try {
  const quiet: Outcome[] = []
  for (let r = 0; r < RUNS; r++) {
    const relay = await gateRelay(f, ONE_HOST_EACH)
    quiet.push({ honest: await honestOnly(relay, await cast(f, relay, PER_KIND)), attack: [] })
    await relay.close()
  }
  report('no attack (the same honest wave, for comparison)', quiet)

  const one: Outcome[] = []
  for (let r = 0; r < RUNS; r++) {
    const relay = await gateRelay(f, ONE_HOST_EACH)
    const c = await cast(f, relay, PER_KIND)
    one.push(await slowDidAttack(relay, c, await tarpits(f, 1), { lanes: 140, addresses: 20 }))
    await relay.close()
  }
  report('attack 1: 140 joins in flight, garbage signatures, one tarpit did:web, 20 attacker addresses (defaults otherwise)', one)

  const spread: Outcome[] = []
  for (let r = 0; r < RUNS; r++) {
    const relay = await gateRelay(f, ONE_HOST_EACH)
    const c = await cast(f, relay, PER_KIND)
    spread.push(await slowDidAttack(relay, c, await tarpits(f, 24), { lanes: 192, addresses: 24 }))
    await relay.close()
  }
  report('attack 1, distributed: 192 joins in flight over 24 tarpit did:web and 24 addresses (defaults otherwise)', spread)

  const refresh: Outcome[] = []
  const recovered: TimedJoin[] = []
  for (let r = 0; r < RUNS; r++) {
    const relay = await gateRelay(f, { didMinRefreshIntervalMs: 200 })
    const c = await cast(f, relay, PER_KIND)
    await new Promise((res) => setTimeout(res, 250))
    const o = await refreshAttack(f, relay, c, { mode: '429', waves: 5 })
    refresh.push(o)
    recovered.push(...o.afterRecovery)
    await relay.close()
  }
  report('attack 2: PLC answers 429 while garbage-signature tokens force key refreshes of the cached did:plc players (5 waves)', refresh)
  const s = summary(recovered)
  console.log(`  after the PLC recovered: cached did:plc admitted ${s.admitted}/${s.attempted}  ${JSON.stringify(s.codes)}`)
} finally {
  await stopGateFixture(f)
}
