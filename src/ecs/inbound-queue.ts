import type { Channel, PeerIdentity } from '../transport/transport.js'

export type Inbound =
  | { kind: 'message'; from: string; channel: Channel; data: Uint8Array; /** Arrival time (the network's clock). */ at: number }
  | { kind: 'joined'; peer: PeerIdentity }
  | { kind: 'left'; peerId: string; reason: string }

/**
 * Bounded FIFO between transport callbacks and `net.receive()`. Messages beyond `maxMessages` or `maxBytes`
 * are dropped (and counted by the caller); join/leave notices are never dropped (there is at most one per
 * connection). A ring of slots: memory never grows past the bound.
 */
export class InboundQueue {
  private readonly items: (Inbound | undefined)[]
  private head = 0
  private size = 0
  bytes = 0
  private control: Inbound[] = []

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {
    this.items = new Array<Inbound | undefined>(maxMessages)
  }

  get length(): number {
    return this.size + this.control.length
  }

  /** Returns false (and keeps nothing) when the queue is full. The data is copied. */
  pushMessage(from: string, channel: Channel, data: Uint8Array, at: number): boolean {
    if (this.size >= this.maxMessages || this.bytes + data.length > this.maxBytes) return false
    this.items[(this.head + this.size) % this.maxMessages] = { kind: 'message', from, channel, data: data.slice(), at }
    this.size++
    this.bytes += data.length
    return true
  }

  /** Join/leave: kept in order with messages by flushing it into the ring position order via a marker. */
  pushControl(item: Inbound): void {
    // Keep ordering: a control notice goes after every message already queued.
    this.control.push(item)
    ;(item as { after?: number }).after = this.size
  }

  /** Takes everything queued so far, in arrival order. */
  drain(visit: (item: Inbound) => void): void {
    const control = this.control
    this.control = []
    let c = 0
    let taken = 0
    const total = this.size
    while (taken < total) {
      while (c < control.length && (control[c] as { after?: number }).after! <= taken) visit(control[c++])
      const item = this.items[this.head]!
      this.items[this.head] = undefined
      this.head = (this.head + 1) % this.maxMessages
      this.size--
      taken++
      if (item.kind === 'message') this.bytes -= item.data.length
      visit(item)
    }
    while (c < control.length) visit(control[c++])
  }
}
