/**
 * The reliable stream of each peer, both directions; it knows no message kinds.
 *
 * Out: messages are encoded once (`broadcast` shares the bytes between peers), queued per peer, and go out in order
 * as the peer's send budget allows (`flushPeer`, congestion.ts), in frames of at most PACED_FRAME_BYTES (a link
 * carries a frame whole: small frames let deltas through between them). When nothing
 * else waits, the stream asks the spawn room for SpawnBatch messages (spawns.ts), so announcements are paced
 * behind events and ownership messages. Each message has an index in its peer's stream (`queue` returns it): the
 * peer's delta headers acknowledge how many it processed, which is how a message carrying an entity's full state
 * becomes a delta baseline (baselines.ts), and how the budget measures what the path delivered.
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

/** A frame holds messages up to this many bytes, and maxReliableBytes at most (a larger message goes alone). */
export const PACED_FRAME_BYTES = 1200
/** Bytes a message of `n` bytes takes in a frame: its field tag, its length (varint) and itself. */
const frameCost = (n: number): number => n + 1 + (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4)

/** One peer's reliable stream. */
export interface PeerStream {
  /** Messages queued to the peer so far, hello included: the index of the newest. */
  sent: number
  /** Its messages processed so far (what our delta headers acknowledge). */
  processed: number
  /** Encoded messages waiting to go, from `outHead` on. */
  outbox: Uint8Array[]
  outHead: number
  /** The index of the last message put on the wire. */
  wired: number
  /** Decoded messages not yet processed, from `head` on. */
  inbox: Message[]
  head: number
  /** When the message at `head` first answered STALL (clock ms), or -1. */
  stalledSince: number
}

export function createPeerStream(): PeerStream {
  return { sent: 0, processed: 0, outbox: [], outHead: 0, wired: 0, inbox: [], head: 0, stalledSince: -1 }
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

  /** Encodes `m` once and queues it to every ready peer, or, `about` an entity of ours, to those that have it. */
  broadcast(m: Message, about = -1): void {
    const bytes = encodeMessage(m)
    for (const p of this.ctx.peers.ready()) if (about < 0 || this.ctx.spawns.sees(p, about)) this.queue(p, bytes)
  }

  /** Sends one encoded message to `p` now, in a frame of its own (the hello, a refusal). */
  sendNow(p: PeerState, bytes: Uint8Array): void {
    this.sendFrame(p, [bytes], false)
  }

  /** Sends every peer's queued messages and announcements now, whatever the budgets (tests of the stream alone). */
  flush(): void {
    for (const p of this.ctx.peers.all.values()) this.flushPeer(p, Number.POSITIVE_INFINITY)
  }

  /** Whether anything waits to go to `p` (messages, or announcements). */
  waiting(p: PeerState): boolean {
    return p.stream.outHead < p.stream.outbox.length || p.spawnHead < p.spawnQueue.length
  }

  /**
   * Sends `p`'s queued messages in order while they fit `allowance` bytes (the first one always, when the allowance
   * is positive), then SpawnBatch messages of the entities waiting for it; returns the bytes sent.
   */
  flushPeer(p: PeerState, allowance: number): number {
    const s = p.stream
    const max = Math.min(this.ctx.settings.limits.maxReliableBytes, PACED_FRAME_BYTES)
    let spent = 0
    while (spent < allowance && !p.gone) {
      if (s.outHead === s.outbox.length) {
        s.outbox = []
        s.outHead = 0
        if (!this.ctx.spawns.refill(p, Math.min(allowance - spent, max))) break
      }
      const frame: Uint8Array[] = []
      let size = 0
      while (s.outHead < s.outbox.length) {
        const cost = frameCost(s.outbox[s.outHead].length)
        if (frame.length > 0 && (spent + size + cost > allowance || size + cost > max)) break
        frame.push(s.outbox[s.outHead++])
        size += cost
      }
      spent += this.sendFrame(p, frame, true)
    }
    return spent
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

  /** Sends one frame of `messages`; `counted`: they are the next messages of p's stream. Returns its bytes. */
  private sendFrame(p: PeerState, messages: Uint8Array[], counted: boolean): number {
    const frame = buildFrame(messages)
    this.ctx.transport.send(p.id, 'reliable', frame)
    this.ctx.stats.countSent('reliable', frame.length)
    if (counted) {
      p.stream.wired += messages.length
      p.budget.onFrameSent(p.stream.wired, frame.length)
    }
    return frame.length
  }
}
