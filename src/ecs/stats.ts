import type { Channel } from '../transport/transport.js'

/** Bytes and packets of one channel. */
export interface ChannelCounters {
  /** Bytes (of transport messages). */
  bytes: number
  /** Transport messages. */
  packets: number
}

/** Messages dropped, by reason. */
export interface DropCounters {
  /** Inbound queue full (messages or bytes): dropped before decoding. */
  queueFull: number
  /** Over the payload cap of its channel. */
  oversized: number
  /** Failed to decode (truncated, corrupted, unknown component/event id, ...). */
  malformed: number
  /** Referenced an entity the sender never announced. */
  unknownEntity: number
  /** Sender does not own the entity it wrote (forged ownership). */
  notOwner: number
  /** Duplicate or too old unreliable packets. */
  duplicate: number
  /**
   * Delta entries for entities whose owner changed since, and fields coded relative to a baseline this peer no
   * longer holds (a packet reordered far behind; not applied nor acknowledged, so they are sent again). Harmless.
   */
  stale: number
  /** From peers not yet past the hello, or refused/disconnected. */
  notReady: number
}

/** What one component costs, in bytes of its fields sent. */
export interface ComponentCounters {
  /** Since the network started. */
  readonly bytes: number
  /** Over the last full second. */
  readonly bytesPerSecond: number
}

/** A snapshot of the network's counters (`net.stats`). */
export interface NetStats {
  /** Totals since start. */
  readonly sent: Record<Channel, ChannelCounters>
  /** Totals received since start. */
  readonly received: Record<Channel, ChannelCounters>
  /** Over the last full second (of the network's clock). */
  readonly sentPerSecond: Record<Channel, ChannelCounters>
  /** Received over the last full second. */
  readonly receivedPerSecond: Record<Channel, ChannelCounters>
  /** Mean over connected peers of `peer.loss`: the fraction of our unreliable packets of the last ~2 s never acknowledged. */
  readonly loss: number
  /** Inbound messages dropped, by reason. */
  readonly dropped: DropCounters
  /** Messages counted as invalid (each counts toward disconnecting its sender). */
  readonly invalid: number
  /** Peers disconnected for too many invalid messages. */
  readonly disconnects: number
  /** Errors thrown by user event handlers or listeners (caught). */
  readonly handlerErrors: number
  /** Replicated entities: ours, and the others'. */
  readonly entities: { readonly owned: number; readonly remote: number }
  /**
   * Where the bandwidth goes: by component name, the bytes of its fields this peer sent (deltas to each receiver,
   * reliable states times their recipients; headers and framing are not counted), in total and over the last full
   * second.
   */
  readonly components: Readonly<Record<string, ComponentCounters>>
  /** Current inbound queue occupancy. */
  readonly queue: { readonly messages: number; readonly bytes: number }
  /** What we send, against what the paths carry (congestion.ts; per peer in `net.peers`). */
  readonly congestion: CongestionStats
}

/** What a peer sends against what its paths carry (see README "Congestion control"). */
export interface CongestionStats {
  /** Sum of the ready peers' send budgets (bytes per second). */
  readonly budget: number
  /** Sum of the capacities measured so far (bytes per second; peers whose path was never full count 0). */
  readonly capacity: number
  /** Entities whose changes did not fit the last flush's budgets (summed over peers): they go later, by priority. */
  readonly deferred: number
  /** Reliable messages and announcements waiting for budget, over all peers. */
  readonly waiting: number
}

const pair = (): Record<Channel, ChannelCounters> => ({ reliable: { bytes: 0, packets: 0 }, unreliable: { bytes: 0, packets: 0 } })

/** Mutable counters behind `net.stats`, with a per-second window. */
export class StatsCounters {
  /** Per delta component (layout.delta order): bits of its fields sent in deltas (the delta encoder adds to it). */
  readonly deltaBits: Float64Array
  /** Per component (by presence bit): bytes of its fields sent in reliable messages. */
  readonly reliableBytes: Float64Array
  private componentsAtWindow: Float64Array
  private componentsPerSecond: Float64Array
  readonly sent = pair()
  readonly received = pair()
  sentPerSecond = pair()
  receivedPerSecond = pair()
  private windowStart = -1
  private sentAtWindow = pair()
  private receivedAtWindow = pair()
  readonly dropped: DropCounters = { queueFull: 0, oversized: 0, malformed: 0, unknownEntity: 0, notOwner: 0, duplicate: 0, stale: 0, notReady: 0 }
  invalid = 0
  disconnects = 0
  handlerErrors = 0
  /** Entities left out of the last flush for lack of budget. */
  deferred = 0

  /** `components`: the schema's components by presence bit, `deltaBit`: each one's index among DELTA components (-1: none). */
  constructor(private readonly components: readonly { readonly name: string; readonly deltaIndex: number }[] = []) {
    this.deltaBits = new Float64Array(components.filter((c) => c.deltaIndex >= 0).length)
    this.reliableBytes = new Float64Array(components.length)
    this.componentsAtWindow = new Float64Array(components.length)
    this.componentsPerSecond = new Float64Array(components.length)
  }

  /** Bytes sent so far of the component at presence bit `bit`, both ways of sending. */
  private componentBytes(bit: number): number {
    const d = this.components[bit].deltaIndex
    return this.reliableBytes[bit] + (d >= 0 ? this.deltaBits[d] / 8 : 0)
  }

  countSent(channel: Channel, bytes: number): void {
    this.sent[channel].bytes += bytes
    this.sent[channel].packets++
  }

  countReceived(channel: Channel, bytes: number): void {
    this.received[channel].bytes += bytes
    this.received[channel].packets++
  }

  /** Rolls the per-second window when a second has passed. */
  tick(now: number): void {
    if (this.windowStart < 0) {
      this.windowStart = now
      return
    }
    if (now - this.windowStart < 1000) return
    const secs = (now - this.windowStart) / 1000
    const rate = (cur: Record<Channel, ChannelCounters>, at: Record<Channel, ChannelCounters>): Record<Channel, ChannelCounters> => {
      const out = pair()
      for (const ch of ['reliable', 'unreliable'] as const) {
        out[ch].bytes = (cur[ch].bytes - at[ch].bytes) / secs
        out[ch].packets = (cur[ch].packets - at[ch].packets) / secs
      }
      return out
    }
    this.sentPerSecond = rate(this.sent, this.sentAtWindow)
    this.receivedPerSecond = rate(this.received, this.receivedAtWindow)
    this.sentAtWindow = structuredClone(this.sent)
    this.receivedAtWindow = structuredClone(this.received)
    for (let b = 0; b < this.components.length; b++) {
      const total = this.componentBytes(b)
      this.componentsPerSecond[b] = (total - this.componentsAtWindow[b]) / secs
      this.componentsAtWindow[b] = total
    }
    this.windowStart = now
  }

  /** `net.stats`: these counters with the link loss of the `ready` peers, the entity counts and the inbound queue. */
  snapshot(ready: readonly { readonly ack: { readonly loss: number } }[], entities: NetStats['entities'], queue: NetStats['queue'], congestion: CongestionStats): NetStats {
    return {
      sent: this.sent,
      received: this.received,
      sentPerSecond: this.sentPerSecond,
      receivedPerSecond: this.receivedPerSecond,
      loss: ready.length === 0 ? 0 : ready.reduce((s, p) => s + p.ack.loss, 0) / ready.length,
      dropped: this.dropped,
      invalid: this.invalid,
      disconnects: this.disconnects,
      handlerErrors: this.handlerErrors,
      entities,
      queue,
      components: Object.fromEntries(this.components.map((c, b) => [c.name, { bytes: this.componentBytes(b), bytesPerSecond: this.componentsPerSecond[b] }])),
      congestion,
    }
  }
}
