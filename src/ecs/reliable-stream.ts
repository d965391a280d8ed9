/**
 * The reliable stream of each peer, both directions; it knows no message kinds.
 *
 * Out: messages are encoded once (`broadcast` shares the bytes between peers), queued per peer, and go out at the
 * next flush batched into frames of at most MAX_FRAME_MESSAGES messages and `limits.maxReliableBytes`. Each message
 * has an index in its peer's stream (`queue` returns it): the peer's delta headers acknowledge how many it
 * processed, which is how a message carrying an entity's full state becomes a delta baseline (baselines.ts).
 *
 * In: a frame's messages join the peer's inbox and are handed to `handle` in order. A handler may answer STALL (the
 * message depends on an ownership change another peer has not delivered yet): the inbox then waits, and is retried
 * after every other inbox ran (`runAll`), so a stall lasts until the change arrives — or `limits.maxStallMs`, when
 * the message is handed over once more as overdue (a claim is then adopted as it stands; anything else that would
 * still wait is dropped as stale, without a strike), so no stream ever waits for good. At most
 * `limits.maxQueuedMessages` may wait; a frame beyond that is dropped and struck. A message that throws is counted
 * (Invalid: under its reason) and struck, and the stream goes on.
 */
import { buildFrame, decodeFrame, encodeMessage, type Message } from '../protocol/reliable-codec.js'
import { Invalid, STALL, type NetContext, type Outcome } from './context.js'
import type { PeerState } from './peers.js'

/** Messages per reliable frame (frames also stay under maxReliableBytes). */
export const MAX_FRAME_MESSAGES = 1024
/** Bytes a message adds to a frame besides itself, at most (field tag and length). */
const FRAME_OVERHEAD = 8

/** One peer's reliable stream. */
export interface PeerStream {
  /** Messages queued to the peer so far, hello included: the index of the newest. */
  sent: number
  /** Its messages processed so far (what our delta headers acknowledge). */
  processed: number
  /** Encoded messages waiting for the next flush. */
  outbox: Uint8Array[]
  /** Decoded messages not yet processed, from `head` on. */
  inbox: Message[]
  head: number
  /** When the message at `head` first answered STALL (clock ms), or -1. */
  stalledSince: number
}

export function createPeerStream(): PeerStream {
  return { sent: 0, processed: 0, outbox: [], inbox: [], head: 0, stalledSince: -1 }
}

export class ReliableStream {
  constructor(
    private readonly ctx: NetContext,
    private readonly handle: (p: PeerState, m: Message, overdue: boolean) => Outcome,
  ) {}

  /** Queues an encoded message for `p` (sent at the next flush); returns its index in p's stream. */
  queue(p: PeerState, bytes: Uint8Array): number {
    p.stream.outbox.push(bytes)
    return ++p.stream.sent
  }

  /** Encodes `m` once and queues it to every ready peer. */
  broadcast(m: Message): void {
    const bytes = encodeMessage(m)
    for (const p of this.ctx.peers.ready()) this.queue(p, bytes)
  }

  /** Sends one encoded message to `p` now, in a frame of its own (the hello, a refusal). */
  sendNow(p: PeerState, bytes: Uint8Array): void {
    this.sendFrame(p, [bytes])
  }

  /** Sends every peer's queued messages, batched into frames. */
  flush(): void {
    const max = this.ctx.settings.limits.maxReliableBytes
    for (const p of this.ctx.peers.all.values()) {
      const s = p.stream
      if (s.outbox.length === 0 || p.gone) continue
      let batch: Uint8Array[] = []
      let size = 0
      for (const m of s.outbox) {
        if (m.length + FRAME_OVERHEAD > max) continue // never happens: checked at send()
        if ((size + m.length + FRAME_OVERHEAD > max || batch.length >= MAX_FRAME_MESSAGES) && batch.length > 0) {
          this.sendFrame(p, batch)
          batch = []
          size = 0
        }
        batch.push(m)
        size += m.length + FRAME_OVERHEAD
      }
      if (batch.length > 0) this.sendFrame(p, batch)
      s.outbox = []
    }
  }

  /** A reliable frame from `p`: its messages join p's inbox, and the inbox runs. */
  receive(p: PeerState, frame: Uint8Array): void {
    const s = p.stream
    try {
      const msgs = decodeFrame(frame)
      if (s.inbox.length - s.head > this.ctx.settings.limits.maxQueuedMessages) throw new Invalid('queueFull', 'too many reliable messages waiting for an ownership change')
      for (const m of msgs) s.inbox.push(m)
    } catch (e) {
      this.reject(p, e)
      return
    }
    this.run(p)
  }

  /** Runs every inbox until none moves (a stalled inbox may wait for a message another one delivers). */
  runAll(): void {
    for (let progress = true; progress; ) {
      progress = false
      for (const p of this.ctx.peers.all.values()) if (p.stream.head < p.stream.inbox.length && this.run(p) > 0) progress = true
    }
  }

  /** Processes p's waiting messages in order; stops at one that must wait. Returns how many ran. */
  run(p: PeerState): number {
    const s = p.stream
    let n = 0
    while (s.head < s.inbox.length && !p.gone) {
      const m = s.inbox[s.head]
      const overdue = s.stalledSince >= 0 && this.ctx.settings.clock() - s.stalledSince >= this.ctx.settings.limits.maxStallMs
      let outcome: Outcome
      try {
        outcome = this.handle(p, m, overdue)
      } catch (e) {
        this.reject(p, e)
        outcome = undefined
      }
      if (outcome === STALL && !overdue) {
        if (s.stalledSince < 0) s.stalledSince = this.ctx.settings.clock()
        break
      }
      if (outcome === STALL) this.ctx.stats.dropped.stale++ // overdue: the change it waited for is not coming
      s.stalledSince = -1
      s.inbox[s.head++] = undefined as unknown as Message
      s.processed++
      n++
    }
    if (s.head === s.inbox.length) {
      s.inbox = []
      s.head = 0
    }
    return n
  }

  private reject(p: PeerState, e: unknown): void {
    const dropped = this.ctx.stats.dropped
    if (e instanceof Invalid) dropped[e.reason]++
    else dropped.malformed++
    this.ctx.peers.strike(p.id, (e as Error).message)
  }

  private sendFrame(p: PeerState, messages: Uint8Array[]): void {
    const frame = buildFrame(messages)
    this.ctx.transport.send(p.id, 'reliable', frame)
    this.ctx.stats.countSent('reliable', frame.length)
  }
}
