import type { Channel } from '../transport/transport.js'

export interface ChannelCounters {
  bytes: number
  packets: number
}

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

export interface NetStats {
  /** Totals since start. */
  readonly sent: Record<Channel, ChannelCounters>
  readonly received: Record<Channel, ChannelCounters>
  /** Over the last full second (of the network's clock). */
  readonly sentPerSecond: Record<Channel, ChannelCounters>
  readonly receivedPerSecond: Record<Channel, ChannelCounters>
  /** Mean over connected peers of `peer.loss`: the fraction of our unreliable packets of the last ~2 s never acknowledged. */
  readonly loss: number
  readonly dropped: DropCounters
  /** Messages counted as invalid (each counts toward disconnecting its sender). */
  readonly invalid: number
  /** Peers disconnected for too many invalid messages. */
  readonly disconnects: number
  /** Errors thrown by user event handlers or listeners (caught). */
  readonly handlerErrors: number
  readonly entities: { readonly owned: number; readonly remote: number }
  /** Current inbound queue occupancy. */
  readonly queue: { readonly messages: number; readonly bytes: number }
  /** What we send, against what the paths carry (congestion.ts; per peer in `net.peers`). */
  readonly congestion: CongestionStats
}

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
      congestion,
    }
  }
}
