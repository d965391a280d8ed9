/**
 * `withLinkConditions(transport, conditions)`: a Transport decorator that adds simulated loss, latency, jitter and a
 * bandwidth limit to a real transport (the demo's "network conditions" panel), using the in-memory link simulator's
 * `Link`.
 *
 * - Loss applies to the unreliable channel only; the reliable channel never loses (and is not slowed by
 *   simulated retransmissions).
 * - Latency and jitter apply to both channels; reliable messages stay in order (a message is never delivered
 *   before the one sent before it), unreliable ones may be reordered by jitter, as on a real network.
 * - Bandwidth (bytes per second, per peer and direction): both channels share one bottleneck queue, as they share
 *   one path; an unreliable message that would wait more than a second in it is dropped (the queue is full).
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
  /** Bytes per second each way to each peer (a bottleneck with a 1 s queue); 0 = unlimited. Default 0. */
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

/** Options of {@link withLinkConditions}. */
export interface WithLinkConditionsOptions {
  /** Seed of the simulator's random numbers (loss and jitter). Default: random. */
  seed?: number
}

function validate(c: LinkConditions): LinkConditions {
  const loss = c.loss ?? 0
  const latency = c.latency ?? 0
  const jitter = c.jitter ?? 0
  const bandwidth = c.bandwidth ?? 0
  if (!(loss >= 0 && loss <= 1)) throw new RangeError(`loss must be in 0..1 (got ${c.loss})`)
  if (!(latency >= 0 && Number.isFinite(latency))) throw new RangeError(`latency must be >= 0 ms (got ${c.latency})`)
  if (!(jitter >= 0 && Number.isFinite(jitter))) throw new RangeError(`jitter must be >= 0 ms (got ${c.jitter})`)
  if (!(bandwidth >= 0 && Number.isFinite(bandwidth))) throw new RangeError(`bandwidth must be >= 0 bytes/s (got ${c.bandwidth})`)
  return { loss, latency, jitter, bandwidth, direction: c.direction ?? 'both' }
}

/** Wraps `transport` so that its traffic meets `conditions` (changeable later with `setConditions`). */
export function withLinkConditions<T extends Transport>(transport: T, conditions: LinkConditions = {}, options: WithLinkConditionsOptions = {}): T & ConditionedTransport {
  let current = validate(conditions)
  const rng: Rng = createRng(options.seed ?? Math.floor(Math.random() * 2 ** 32))
  const scheduler = createScheduler(true)
  const counters: ConditionsCounters = { droppedSent: 0, droppedReceived: 0, inFlight: 0 }
  /** One link per peer and direction, both channels through it (one bottleneck queue). */
  const links = new Map<string, Link>()
  const messageListeners = new Set<TransportEvents['message']>()
  let unsubscribeMessages: (() => void) | null = null
  let closed = false

  // rto 0: a reliable message is never held back by simulated retransmissions (its loss draws cost nothing).
  const linkOptions = () => ({ latency: current.latency, jitter: current.jitter, loss: current.loss, bandwidth: current.bandwidth, rto: 0 })
  const linkOf = (key: string): Link => {
    let l = links.get(key)
    if (!l) links.set(key, (l = new Link(linkOptions(), rng)))
    return l
  }
  // While anything is still delayed, keep routing through the simulator, so that switching the conditions off
  // never lets a new reliable message overtake an older one.
  const active = (way: 'send' | 'receive'): boolean =>
    (current.direction === 'both' || current.direction === way) &&
    (current.loss! > 0 || current.latency! > 0 || current.jitter! > 0 || current.bandwidth! > 0 || counters.inFlight > 0)

  /** Runs `deliver` zero or one time, after the simulated delay. Returns false when the message was lost. */
  const simulate = (key: string, channel: Channel, bytes: number, deliver: () => void): boolean => {
    const now = scheduler.now
    const times = linkOf(key).schedule(now, channel, bytes)
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
      for (const l of links.values()) l.options = linkOptions()
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
