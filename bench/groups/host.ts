/**
 * Group "host": host mode's cost on the host. One host owning 1 000 entities (32 players moved by their inputs, 10 %
 * of the other 968 moving on their own) and 32 clients each sending one input per tick at 30 Hz (three inputs per
 * packet), over the in-memory transport: the time of the host's `receive()` (every client's input packet, each
 * input handed to the game) plus its `flush()` (change detection, deltas to 32 clients, each wrapped with its input
 * acknowledgement), per tick. Against it: the same world under owner authority, one peer owning the 1 000 entities
 * and sending to 32 peers (its `receive()` + `flush()`): the ratio is what host mode adds.
 *
 * `npm run bench -- --only=host` (3 rounds of 150 ticks; --quick: 1 round of 40).
 */
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { createGameSchema, MoveInput, type GameSchema } from '../../generated/game/schema.js'
import { createNetwork, type Network } from '../../src/ecs/index.js'
import { createMemoryNetwork } from '../../src/transport/memory/index.js'
import { median, mdTable, round, textTable } from '../stats.js'
import type { BenchGroup, GroupContext, GroupOutput } from './types.js'

const CLIENTS = 32
const ENTITIES = 1000

export interface HostRow {
  mode: 'host' | 'owner'
  clients: number
  entities: number
  /** Median over rounds of each round's median tick time (receive + flush), µs. */
  tickUsMedian: number
  roundMedians: number[]
  /** Inputs the host applied per tick (host mode). */
  inputsPerTick: number
}

interface Peer {
  world: World
  g: GameSchema
  net: Network
}

function round1(mode: 'host' | 'owner', ticks: number): { median: number; inputsPerTick: number } {
  const hub = createMemoryNetwork({ seed: 5 })
  const cap = ENTITIES + 64
  const mk = (id: string, host: boolean): Peer => {
    const g = createGameSchema(cap)
    const world = createWorld()
    const net = createNetwork(world, {
      schema: g.schema, transport: hub.join(id), maxEntities: cap,
      ...(mode === 'host' ? { authority: 'host' as const, host } : {}),
    })
    return { world, g, net }
  }
  const server = mk('server', true)
  const clients = Array.from({ length: CLIENTS }, (_, i) => mk(`c${i}`, false))
  const eids: number[] = []
  for (let i = 0; i < ENTITIES; i++) {
    const e = addEntity(server.world)
    addComponent(server.world, e, server.g.Transform)
    server.g.Transform.x[e] = (i % 40) - 20
    server.g.Transform.z[e] = Math.floor(i / 40) - 12
    server.net.spawn(e)
    eids.push(e)
  }
  const players = eids.slice(0, CLIENTS)
  const crates = eids.slice(CLIENTS).filter((_, i) => i % 10 === 0)
  if (mode === 'host') {
    server.net.onInput(MoveInput, (input, from) => {
      const e = players[Number(from.id.slice(1))]
      server.g.Transform.x[e] += input.dx
      server.g.Transform.z[e] += input.dz
    })
  }
  let applied = 0
  const tick = (t: number, timed: boolean): number => {
    for (const c of clients) c.net.receive()
    if (mode === 'host') for (const c of clients) c.net.sendInput(MoveInput, { dx: 0.01 * Math.sin(t / 9), dz: 0.01, jump: false })
    const before = server.net.stats.host.inputsApplied
    const t0 = performance.now()
    server.net.receive()
    if (mode === 'owner') {
      for (const e of players) {
        server.g.Transform.x[e] += 0.01 * Math.sin(t / 9) // the same motion, by the owner
        server.g.Transform.z[e] += 0.01
      }
    }
    for (const e of crates) server.g.Transform.z[e] += 0.02
    server.net.flush()
    const dt = performance.now() - t0
    applied += timed ? server.net.stats.host.inputsApplied - before : 0
    for (const c of clients) c.net.flush()
    hub.advance(1000 / 30)
    return dt
  }
  for (let t = 0; t < 30; t++) tick(t, false) // joins, spawns, slow start
  const times: number[] = []
  for (let t = 0; t < ticks; t++) times.push(tick(30 + t, true))
  for (const p of [server, ...clients]) p.net.close()
  hub.dispose()
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)] * 1000, inputsPerTick: applied / ticks }
}

export const hostGroup: BenchGroup<HostRow[], { ticks: number; rounds: number }> = {
  name: 'host',
  title: 'Host mode: the host\'s tick (receive + flush) with 32 clients × 30 Hz inputs, 1 000 entities, against owner authority',
  inQuick: false,
  async run(ctx: GroupContext): Promise<GroupOutput<HostRow[], { ticks: number; rounds: number }>> {
    const ticks = ctx.quick ? 40 : 150
    const rounds = ctx.quick ? 1 : 3
    const rows: HostRow[] = []
    for (const mode of ['host', 'owner'] as const) {
      const runs = Array.from({ length: rounds }, () => round1(mode, ticks))
      const row: HostRow = {
        mode, clients: CLIENTS, entities: ENTITIES,
        tickUsMedian: round(median(runs.map((r) => r.median)), 0),
        roundMedians: runs.map((r) => round(r.median, 0)),
        inputsPerTick: round(runs[0].inputsPerTick, 1),
      }
      ctx.log(`  ${mode}: ${row.tickUsMedian} µs per tick (rounds: ${row.roundMedians.join(', ')}), ${row.inputsPerTick} inputs applied per tick`)
      rows.push(row)
    }
    const [host, owner] = rows
    return { result: rows, meta: { ticks, rounds }, ratios: { 'host tick / owner tick (32 clients, 1 000 entities)': round(host.tickUsMedian / owner.tickUsMedian, 2) } }
  },
  table(rows) {
    return textTable(['mode', 'clients', 'entities', 'tick µs', 'round medians', 'inputs/tick'], rows.map((r) => [r.mode, r.clients, r.entities, r.tickUsMedian, r.roundMedians.join(', '), r.inputsPerTick]))
  },
  markdown(rows, meta) {
    return [
      `One host (or owner) with ${ENTITIES} entities and ${CLIENTS} clients over the in-memory transport, ${meta?.ticks ?? '?'} measured ticks per round, median of ${meta?.rounds ?? '?'} rounds' medians. The host's tick is its receive() (every client's input packet, each input handed to the game) plus its flush(); the owner's is the same world's receive() + flush() under owner authority.`,
      '',
      mdTable(['mode', 'clients', 'entities', 'tick µs', 'round medians µs', 'inputs applied per tick'], rows.map((r) => [r.mode, r.clients, r.entities, r.tickUsMedian, r.roundMedians.join(', '), r.inputsPerTick])),
    ].join('\n')
  },
}
