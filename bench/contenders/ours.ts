/**
 * `ours`: the real replication core — `net.flush()` (change detection + encode, per receiver) on a sender
 * network, over the in-memory transport, and `net.receive()` on a receiver network.
 *
 * PENDING: `createNetwork` (src/ecs) is not committed yet; until it is, the encode group measures
 * `ours-codec` (codec only) and the loss group reports itself pending.
 */
import type { BenchWorld } from '../world.js'
import type { Contender } from './types.js'

export interface OursLinkOptions {
  loss: number
  latencyMs: number
  jitterMs: number
  seed: number
}

/** A sender and a receiver network over a simulated link, stepped by the caller. */
export interface OursLink {
  /** Sender: `net.receive()` (acks from the receiver). */
  senderReceive(): void
  /** Sender: `net.flush()`. */
  flush(): void
  /** Moves virtual time on the link (delivers what is due). */
  advance(ms: number): void
  /** Receiver: `net.receive()` (applies deltas). */
  receiverReceive(): void
  /** Receiver: `net.flush()` (its packets carry the acks). */
  receiverFlush(): void
  counters(): { toReceiverBytes: number; toReceiverPackets: number; toReceiverDropped: number; toSenderBytes: number }
  /** As ContenderInstance.check: receiver vs sender in units of quantization step / 2. */
  check(abs: Float64Array): number
  dispose(): void
}

export function oursAvailable(): boolean {
  return false
}

export async function createOursLink(_world: BenchWorld, _o: OursLinkOptions): Promise<OursLink> {
  throw new Error('ours: createNetwork is not available yet')
}

export const ours: Contender | null = null
