/**
 * `withLinkConditions(transport, conditions)`: a Transport decorator that adds simulated loss, latency and jitter
 * to a real transport (the demo's "network conditions" panel), using the in-memory link simulator's `Link`.
 *
 * - Loss applies to the unreliable channel only; the reliable channel never loses (and is not slowed by
 *   simulated retransmissions).
 * - Latency and jitter apply to both channels; reliable messages stay in order (a message is never delivered
 *   before the one sent before it), unreliable ones may be reordered by jitter, as on a real network.
 * - Bandwidth (bytes/s, per peer and direction, both channels sharing it) queues messages behind each other; an
 *   unreliable message that would wait over a second is dropped (a router's tail drop), a reliable one waits.
 * - By default both directions are affected: each message sent and each message received waits `latency` +
 *   [0, jitter) ms, so the round trip grows by about 2 × latency.
 * - All zero: messages pass through synchronously, exactly as without the decorator.
 *
 * Every other property and method of the wrapped transport (e.g. `join`, `status` events of the PeerJS transport)
 * is passed through unchanged.
 */
import type { Channel, Transport, TransportEvents } from './transport.js'
import { BROADCAST } from './transport.js'
import { Link } from './memory/link.js'
import { createRng, type Rng } from './memory/rng.js'
import { createScheduler } from './memory/scheduler.js'

/** Simulated network conditions (see {@link withLinkConditions}). */
export interface LinkConditions {
  /** Probability (0..1) that an unreliable message is dropped. Default 0. */
  loss?: number
  /** One-way extra delay, ms. Default 0. */
  latency?: number
  /** Uniform random extra delay in [0, jitter) ms. Default 0. */
  jitter?: number
  /** Bytes per second to and from each peer (each way); 0 = unlimited. Default 0. */
  bandwidth?: number
  /** Which way the conditions apply. Default `'both'`. */
  direction?: 'both' | 'send' | 'receive'
}

/** What the simulation did. */
export interface ConditionsCounters {
  /** Unreliable messages dropped by the simulated loss, each way. */
  droppedSent: number
  /** Unreliable messages dropped on the way in. */
  droppedReceived: number
  /** Messages currently held back by the simulated delay. */
  inFlight: number
}

/** A transport with simulated conditions, from {@link withLinkConditions}. */
export interface ConditionedTransport {
  /** The conditions in force. */
  readonly conditions: Readonly<LinkConditions>
  /** Changes the conditions; messages already delayed keep their delivery time. */
  setConditions(conditions: LinkConditions): void
  /** What the simulation did so far. */
  readonly conditionsCounters: Readonly<ConditionsCounters>
}

/** Longest an unreliable message waits behind a simulated bandwidth limit before it is dropped, ms. */
const MAX_QUEUE_MS = 1000

/** Options of {@link withLinkConditions}. */
export interface WithLinkConditionsOptions {
  /** Seed of the simulator's random numbers (loss and jitter). Default: random. */
  seed?: number
}

interface PeerLinks {
  reliable: Link
  unreliable: Link
}

function validate(c: LinkConditions): LinkConditions {
  const loss = c.loss ?? 0
  const latency = c.latency ?? 0
  const jitter = c.jitter ?? 0
  if (!(loss >= 0 && loss <= 1)) throw new RangeError(`loss must be in 0..1 (got ${c.loss})`)
  if (!(latency >= 0 && Number.isFinite(latency))) throw new RangeError(`latency must be >= 0 ms (got ${c.latency})`)
  if (!(jitter >= 0 && Number.isFinite(jitter))) throw new RangeError(`jitter must be >= 0 ms (got ${c.jitter})`)
  const bandwidth = c.bandwidth ?? 0
  if (!(bandwidth >= 0 && Number.isFinite(bandwidth))) throw new RangeError(`bandwidth must be >= 0 bytes/s (got ${c.bandwidth})`)
  return { loss, latency, jitter, bandwidth, direction: c.direction ?? 'both' }
}

/** Wraps `transport` so that its traffic meets `conditions` (changeable later with `setConditions`). */
export function withLinkConditions<T extends Transport>(transport: T, conditions: LinkConditions = {}, options: WithLinkConditionsOptions = {}): T & ConditionedTransport {
  let current = validate(conditions)
  const rng: Rng = createRng(options.seed ?? Math.floor(Math.random() * 2 ** 32))
  const scheduler = createScheduler(true)
  const counters: ConditionsCounters = { droppedSent: 0, droppedReceived: 0, inFlight: 0 }
  /** One pair of links (reliable without loss, unreliable with) per peer and direction. */
  const links = new Map<string, PeerLinks>()
  /** Per peer and direction: when the simulated bandwidth is free again. */
  const busyUntil = new Map<string, number>()
  const messageListeners = new Set<TransportEvents['message']>()
  let unsubscribeMessages: (() => void) | null = null
  let closed = false

  const linkOptions = (channel: Channel) => ({ latency: current.latency, jitter: current.jitter, loss: channel === 'unreliable' ? current.loss : 0 })
  const linksOf = (key: string): PeerLinks => {
    let l = links.get(key)
    if (!l) links.set(key, (l = { reliable: new Link(linkOptions('reliable'), rng), unreliable: new Link(linkOptions('unreliable'), rng) }))
    return l
  }
  // While anything is still delayed, keep routing through the simulator, so that switching the conditions off
  // never lets a new reliable message overtake an older one.
  const active = (way: 'send' | 'receive'): boolean =>
    (current.direction === 'both' || current.direction === way) && (current.loss! > 0 || current.latency! > 0 || current.jitter! > 0 || current.bandwidth! > 0 || counters.inFlight > 0)

  /** Runs `deliver` zero or one time, after the simulated delay. Returns false when the message was lost. */
  const simulate = (key: string, channel: Channel, bytes: number, deliver: () => void): boolean => {
    const now = scheduler.now
    let start = now
    if (current.bandwidth! > 0) {
      start = Math.max(now, busyUntil.get(key) ?? 0)
      if (channel === 'unreliable' && start - now > MAX_QUEUE_MS) return false
      start += (bytes * 1000) / current.bandwidth!
      busyUntil.set(key, start)
    }
    const times = linksOf(key)[channel].schedule(start, channel, bytes)
    if (times.length === 0) return false
    const at = times[0]
    if (at <= now && (channel === 'unreliable' || counters.inFlight === 0)) {
      deliver()
      return true
    }
    counters.inFlight++
    scheduler.at(at, () => {
      counters.inFlight--
      if (closed) return
      try {
        deliver()
      } catch (e) {
        // A throwing listener must not stall the delivery timer.
        queueMicrotask(() => {
          throw e
        })
      }
    })
    return true
  }

  const emitMessage = (from: string, channel: Channel, data: Uint8Array): void => {
    for (const l of [...messageListeners]) l(from, channel, data)
  }

  const subscribeMessages = (): void => {
    if (unsubscribeMessages) return
    unsubscribeMessages = transport.on('message', (from, channel, data) => {
      if (!active('receive')) return emitMessage(from, channel, data)
      const copy = data.slice()
      if (!simulate(`in\u0000${from}`, channel, copy.length, () => emitMessage(from, channel, copy))) counters.droppedReceived++
    })
  }

  const sendOne = (to: string, channel: Channel, data: Uint8Array): void => {
    const copy = data.slice()
    if (!simulate(`out\u0000${to}`, channel, copy.length, () => transport.send(to, channel, copy))) counters.droppedSent++
  }

  const overrides = {
    send(to: string, channel: Channel, data: Uint8Array): void {
      if (closed) return
      if (!active('send')) return transport.send(to, channel, data)
      if (to === BROADCAST) for (const id of transport.peers.keys()) sendOne(id, channel, data)
      else sendOne(to, channel, data)
    },
    on(event: keyof TransportEvents, listener: (...args: never[]) => void): () => void {
      if (event !== 'message') return (transport.on as (e: string, l: unknown) => () => void)(event, listener)
      subscribeMessages()
      const l = listener as unknown as TransportEvents['message']
      messageListeners.add(l)
      return () => messageListeners.delete(l)
    },
    close(): void {
      closed = true
      scheduler.dispose()
      unsubscribeMessages?.()
      messageListeners.clear()
      transport.close()
    },
    get conditions(): Readonly<LinkConditions> {
      return { ...current }
    },
    setConditions(c: LinkConditions): void {
      current = validate(c)
      for (const l of links.values()) {
        l.reliable.options = linkOptions('reliable')
        l.unreliable.options = linkOptions('unreliable')
      }
    },
    get conditionsCounters(): Readonly<ConditionsCounters> {
      return { ...counters }
    },
  }

  return new Proxy(transport, {
    get(target, prop, _receiver) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) {
        const desc = Object.getOwnPropertyDescriptor(overrides, prop)!
        return desc.get ? desc.get.call(overrides) : desc.value
      }
      const v = Reflect.get(target, prop, target) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
    has(target, prop) {
      return Object.prototype.hasOwnProperty.call(overrides, prop) || Reflect.has(target, prop)
    },
  }) as T & ConditionedTransport
}
