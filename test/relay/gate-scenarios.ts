/**
 * The attacks of issue 22 against a relay, run end to end on loopback with a real PLC + PDS (test/helpers/pds.ts),
 * did:web hosts of our own and a PLC proxy that fails when told to. Each scenario returns what the honest players
 * and the attacker got; gate-dos.test.ts asserts on it, measure-gate-attacks.ts prints the figures.
 *
 * Honest players come in four kinds: did:web and did:plc, with the issuer key cached by an earlier join or not.
 */
import { P256Keypair, type Keypair } from '@atproto/crypto'
import type { Logger } from 'pino'
import { createRelay, type Relay, type RelayOptions } from '../../src/relay/index.js'
import { startTestPds, type TestPds } from '../helpers/pds.js'
import { startDidWebHost, type DidWebHost } from './didweb-server.js'
import { attack, garbageTokens, honestWave, mintToken, rawJoin, type Player, type TimedJoin } from './gate-attacks.js'
import { startPlcProxy, type PlcMode, type PlcProxy } from './plc-proxy.js'

export type Kind = 'cached did:web' | 'uncached did:web' | 'cached did:plc' | 'uncached did:plc'
export const KINDS: Kind[] = ['cached did:web', 'uncached did:web', 'cached did:plc', 'uncached did:plc']

interface Identity {
  did: string
  key: Keypair
}

export interface GateFixture {
  pds: TestPds
  proxy: PlcProxy
  plc: Identity[]
  web: Identity[]
  hosts: DidWebHost[]
  logger: Logger
  relays: Relay[]
}

/** A PDS with `perKind * 2` accounts, as many did:web hosts, and the PLC proxy in front of the PDS's PLC. */
export async function startGateFixture(logger: Logger, perKind: number): Promise<GateFixture> {
  const pds = await startTestPds()
  const proxy = await startPlcProxy(pds.plcUrl)
  const plc: Identity[] = []
  for (let i = 0; i < perKind * 2; i++) {
    const a = await pds.createAccount(`p${i}-${Math.random().toString(36).slice(2, 7)}`)
    plc.push({ did: a.did, key: await a.signingKey() })
  }
  const hosts: DidWebHost[] = []
  const web: Identity[] = []
  for (let i = 0; i < perKind * 2; i++) {
    const key = await P256Keypair.create()
    const host = await startDidWebHost(key)
    hosts.push(host)
    web.push({ did: host.did, key })
  }
  return { pds, proxy, plc, web, hosts, logger, relays: [] }
}

export async function stopGateFixture(f: GateFixture | undefined): Promise<void> {
  if (!f) return
  await Promise.all(f.relays.map((r) => r.close()))
  await Promise.all(f.hosts.map((h) => h.close()))
  await f.proxy.close()
  await f.pds.close()
}

/** A relay that resolves did:plc through the proxy and did:web on loopback; admissions expire after 1 s unused. */
export async function gateRelay(f: GateFixture, opts: RelayOptions = {}): Promise<Relay> {
  const r = createRelay({
    auth: 'required', plcUrl: f.proxy.url, allowPrivateDidHosts: true, verifyHandles: false, iceServers: [], logger: f.logger,
    joinTokenTtlSec: 1, didFetchTimeoutMs: 3000, ...opts,
  })
  await r.listen()
  f.relays.push(r)
  return r
}

export async function tarpits(f: GateFixture, n: number): Promise<DidWebHost[]> {
  const out: DidWebHost[] = []
  for (let i = 0; i < n; i++) {
    const h = await startDidWebHost(await P256Keypair.create())
    h.mode = 'hang'
    f.hosts.push(h)
    out.push(h)
  }
  return out
}

export type Cast = Record<Kind, Player[]>

/**
 * `perKind` players of each kind for `relay`, each from its own address (127.0.1.x); the cached ones have joined
 * once already (their keys are in the relay's cache).
 */
export async function cast(f: GateFixture, relay: Relay, perKind: number): Promise<Cast> {
  let n = 0
  const player = (kind: Kind, id: Identity): Player => ({ kind, from: `127.0.1.${++n}`, token: () => mintToken(id.key, id.did, relay) })
  const c: Cast = {
    'cached did:web': f.web.slice(0, perKind).map((id) => player('cached did:web', id)),
    'uncached did:web': f.web.slice(perKind, 2 * perKind).map((id) => player('uncached did:web', id)),
    'cached did:plc': f.plc.slice(0, perKind).map((id) => player('cached did:plc', id)),
    'uncached did:plc': f.plc.slice(perKind, 2 * perKind).map((id) => player('uncached did:plc', id)),
  }
  // one after the other: on loopback every did:web shares the host name `localhost` and its per-host fetch cap
  for (const p of [...c['cached did:web'], ...c['cached did:plc']]) {
    const w = await rawJoin(relay, 'warm', { token: await p.token(), from: p.from })
    if (w.status !== 200) throw new Error(`warm-up join refused: ${JSON.stringify(w.body)}`)
  }
  return c
}

export interface Outcome {
  honest: Record<Kind, TimedJoin[]>
  attack: TimedJoin[]
}

async function wave(relay: Relay, c: Cast, kinds: Kind[], into: Record<Kind, TimedJoin[]>): Promise<void> {
  const players = kinds.flatMap((k) => c[k])
  const got = await honestWave(relay, players)
  got.forEach((j, i) => into[players[i].kind as Kind].push(j))
}

const empty = (): Record<Kind, TimedJoin[]> => ({ 'cached did:web': [], 'uncached did:web': [], 'cached did:plc': [], 'uncached did:plc': [] })

/** The honest cast's wave alone (no attack), for comparison. */
export async function honestOnly(relay: Relay, c: Cast): Promise<Record<Kind, TimedJoin[]>> {
  const honest = empty()
  await wave(relay, c, KINDS, honest)
  return honest
}

/**
 * Attack 1: `lanes` joins kept in flight with garbage signatures naming the tarpit DIDs (lane i: DID i % dids,
 * address 127.0.2.(i % addresses + 1)), one every `periodMs` per lane. Once every lane has sent, the honest cast
 * joins once, all at the same time (one wave; uncached players are uncached only in it).
 */
export async function slowDidAttack(relay: Relay, c: Cast, t: DidWebHost[], o: { lanes: number; addresses: number; periodMs?: number }): Promise<Outcome> {
  const garbage = await garbageTokens(relay)
  const a = attack(relay, { lanes: o.lanes, from: (i) => `127.0.2.${(i % o.addresses) + 1}`, token: (i) => garbage(t[i % t.length].did), periodMs: o.periodMs ?? 500, maxRequests: 20 * o.lanes })
  const t0 = Date.now()
  while (a.sent() < o.lanes && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10))
  await new Promise((r) => setTimeout(r, 150)) // the lanes' joins are in the relay now
  const honest = empty()
  await wave(relay, c, KINDS, honest)
  return { honest, attack: await a.stop() }
}

/**
 * Attack 2: the PLC fails (`mode`) while lanes send tokens with garbage signatures naming the cached did:plc
 * players (each forces a key refresh); the cached players join in `waves` waves meanwhile, then the PLC recovers
 * and they join once more (the last wave of the returned joins).
 */
export async function refreshAttack(f: GateFixture, relay: Relay, c: Cast, o: { mode: PlcMode; waves: number; periodMs?: number }): Promise<Outcome & { afterRecovery: TimedJoin[] }> {
  const victims = c['cached did:plc']
  const garbage = await garbageTokens(relay)
  f.proxy.mode = o.mode
  const a = attack(relay, { lanes: victims.length, from: (i) => `127.0.3.${i + 1}`, token: (i) => garbage(f.plc[i].did), periodMs: o.periodMs ?? 50, maxRequests: 100 * victims.length })
  const honest = empty()
  try {
    for (let w = 0; w < o.waves; w++) {
      await new Promise((r) => setTimeout(r, 150))
      await wave(relay, c, ['cached did:plc', 'cached did:web'], honest)
    }
  } finally {
    f.proxy.mode = 'pass'
  }
  const attackAnswers = await a.stop()
  const afterRecovery = await honestWave(relay, victims)
  return { honest, attack: attackAnswers, afterRecovery }
}
