/**
 * The write side of one PeerJS socket: what the relay writes to a peer goes through here.
 *
 * - Queue cap: at most `maxQueued` messages handed to the socket and not yet flushed to the kernel. A message over the
 *   cap is dropped and is a strike against this (target) socket; at `maxStrikes` strikes `onSlowConsumer` fires and
 *   nothing more is delivered.
 * - Write timeout: while messages are pending, the socket must make write progress (one message flushed) at least
 *   every `writeTimeoutMs`; otherwise `onWriteTimeout` fires (a slow reader holding a slot and relay memory).
 *
 * One timer per socket, armed only while writes are pending and refreshed on progress.
 */
import type { WebSocket } from 'ws'

/** `delivered` = handed to the socket (flushed later, under the write timeout). */
export type EnqueueResult = 'delivered' | 'queue-full' | 'closed'

export interface SendQueueOptions {
  maxQueued: number
  maxStrikes: number
  writeTimeoutMs: number
}

export interface SendQueueEvents {
  onWriteTimeout(): void
  onSlowConsumer(): void
}

export class SendQueue {
  private pending = 0
  private strikes = 0
  private stopped = false
  private timer: NodeJS.Timeout | undefined
  private readonly written: (err?: Error) => void

  constructor(private readonly ws: WebSocket, private readonly opts: SendQueueOptions, private readonly events: SendQueueEvents) {
    this.written = () => {
      this.pending--
      if (this.pending <= 0) {
        this.pending = 0
        this.disarm()
      } else this.timer?.refresh()
    }
  }

  /** Messages handed to the socket and not yet flushed. */
  get queued(): number {
    return this.pending
  }

  send(data: string): EnqueueResult {
    if (this.stopped || this.ws.readyState !== this.ws.OPEN) return 'closed'
    if (this.pending >= this.opts.maxQueued) {
      if (++this.strikes >= this.opts.maxStrikes) {
        this.stop()
        this.events.onSlowConsumer()
      }
      return 'queue-full'
    }
    this.pending++
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        if (this.stopped || this.pending === 0) return
        this.stop()
        this.events.onWriteTimeout()
      }, this.opts.writeTimeoutMs)
      this.timer.unref()
    }
    this.ws.send(data, this.written)
    return 'delivered'
  }

  /** Delivers nothing more (socket closing). */
  stop(): void {
    this.stopped = true
    this.disarm()
  }

  private disarm(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }
}
