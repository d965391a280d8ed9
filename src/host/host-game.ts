/**
 * A host game: what a headless host (`bitecs-multiuser host --game ./dist/server.js`) or a browser tab hosting a
 * match runs. `defineHostGame` declares it (its schema, its tick rate, `setup` and `tick`); `runHost` attaches a
 * host-mode network to a world and drives it, each tick: `receive()` (clients' inputs reach the game's `onInput`
 * handlers), `tick(world, dt, host)`, `flush()`. Browser-safe: the transport is the caller's.
 */
import { createWorld, type World } from 'bitecs'
import { createNetwork, type NetworkOptions } from '../ecs/create-network.js'
import type { Network } from '../ecs/network.js'
import type { Schema } from '../protocol/schema.js'
import type { Transport } from '../transport/transport.js'

/** A game a host runs (from {@link defineHostGame}). */
export interface HostGame {
  /** The generated schema the clients use too. */
  readonly schema: Schema
  /** Ticks per second. Default 30. */
  readonly tickRate?: number
  /** Called once, before the first tick: spawn the world, register `host.onInput` handlers, listen to `host.events`. */
  setup?(world: World, host: Network): void | Promise<void>
  /** One simulation step of `dt` seconds, after the tick's inputs were applied and before its state goes out. */
  tick(world: World, dt: number, host: Network): void
}

/** Declares a host game (checks it; the module's default export for `bitecs-multiuser host --game`). */
export function defineHostGame<G extends HostGame>(game: G): G {
  if (!game || typeof game.tick !== 'function' || !game.schema) throw new TypeError('defineHostGame needs { schema, tick(world, dt, host) }')
  const rate = game.tickRate ?? 30
  if (!(rate > 0 && rate <= 240)) throw new RangeError(`tickRate must be in (0, 240] (got ${game.tickRate})`)
  return game
}

/** Options of {@link runHost}. */
export interface RunHostOptions {
  /** How clients reach the host: the PeerJS transport (the CLI's, in Node), the memory hub, any `Transport`. */
  transport: Transport
  /** The world (default a new one). */
  world?: World
  /** More `createNetwork` options (`admit`, `maxEntities`, `limits` ...); `authority` and `host` are set. */
  network?: Omit<Partial<NetworkOptions>, 'schema' | 'transport' | 'authority' | 'host' | 'tickRate'>
  /** Drive the ticks with a timer (default true); false: call `step()` yourself (tests, a render loop). */
  timer?: boolean
}

/** A running host (from {@link runHost}). */
export interface RunningHost {
  /** The world the game runs in. */
  readonly world: World
  /** The host's network (`authority: 'host', host: true`). */
  readonly net: Network
  /** Ticks run so far. */
  readonly ticks: number
  /** One tick now: receive, the game's tick, flush. */
  step(): void
  /** Stops the timer and detaches the network (the transport stays open). */
  stop(): void
}

/** Attaches a host-mode network for `game` to a world, runs its `setup`, and ticks it at its rate. */
export async function runHost(game: HostGame, options: RunHostOptions): Promise<RunningHost> {
  const world = options.world ?? createWorld()
  const tickRate = game.tickRate ?? 30
  const net = createNetwork(world, { ...options.network, schema: game.schema, transport: options.transport, authority: 'host', host: true, tickRate })
  await game.setup?.(world, net)
  const dt = 1 / tickRate
  let ticks = 0
  let timer: ReturnType<typeof setInterval> | null = null
  const step = (): void => {
    net.receive()
    game.tick(world, dt, net)
    net.flush()
    ticks++
  }
  if (options.timer !== false) timer = setInterval(step, 1000 / tickRate)
  return {
    world,
    net,
    get ticks() {
      return ticks
    },
    step,
    stop() {
      if (timer) clearInterval(timer)
      timer = null
      net.close()
    },
  }
}
