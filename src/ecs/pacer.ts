/**
 * One flush's sending, per peer, within its budget (congestion.ts): the reliable stream first, up to RELIABLE_SHARE
 * of the budget (events, ownership, component messages, then paced announcements: reliable-stream.ts), the deltas
 * within the rest by priority (delta-encode.ts, priority.ts), then the reliable stream again with whatever the deltas
 * left. So deltas never starve the reliable channel, and a big join snapshot never stops the deltas.
 */
import type { NetContext } from './context.js'
import type { DeltaEncoder } from './delta-encode.js'

/** Share of a peer's budget the reliable stream may take before the deltas. */
export const RELIABLE_SHARE = 0.5

/** Sends to every peer for the flush at `now`. */
export function sendAll(ctx: NetContext, encoder: DeltaEncoder, now: number): void {
  const { peers, stream, stats } = ctx
  let deferred = 0
  for (const p of peers.all.values()) {
    if (p.gone) continue
    if (!p.ready) {
      if (stream.waiting(p)) stream.flushPeer(p, Number.POSITIVE_INFINITY)
      continue
    }
    const budget = p.budget
    const allowance = budget.allowance(now)
    let spent = stream.flushPeer(p, allowance * RELIABLE_SHARE)
    const out = encoder.encode(p.baseline, p.ack, p.stream.processed, now, p.sendDelta, allowance - spent, p.priority)
    spent += out.bytes
    if (allowance - spent > 0) spent += stream.flushPeer(p, allowance - spent)
    budget.spend(spent, out.deferred > 0 || stream.waiting(p), now)
    deferred += out.deferred
  }
  stats.deferred = deferred
}
