import type { DataConnection } from 'peerjs'
import { AuthErrorCode, ErrorCode } from '../../shared/errors.js'
import type { Channel, PeerIdentity } from '../transport.js'
import { remoteCertificateIs } from './dtls-certificate.js'
import { dataFrames, FrameType, PING_FRAME, PROBE_ANSWER_FRAME, PROBE_FRAME, readText, Reassembler, textFrame, toBytes } from './frames.js'

/** Limits and timings of one peer-to-peer link; every one is a named option of `peerJsTransport`. */
export interface LinkLimits {
  /** Id of the pre-negotiated unreliable channel (2..1022; PeerJS's own channel uses the low ids). */
  unreliableChannelId: number
  /** A link that is not up (connected, ticket verified) within this many ms is dropped and reported. */
  connectTimeout: number
  /** A PING goes out when nothing else was sent for this long; a peer the relay says left and that does not answer a probe within it is gone. */
  heartbeatInterval: number
  /** A peer silent for this long is declared gone (PeerJS may miss `close`). */
  peerTimeout: number
  /** Bytes queued on the reliable channel (ours + the browser's) before the link is dropped with SEND_QUEUE_FULL. */
  reliableQueueLimit: number
  /** Above this many buffered bytes, unreliable sends wait in a small queue that drops its oldest entries. */
  unreliableHighWater: number
  /** Bytes held in that queue at most; the oldest pending messages are dropped first. */
  unreliableQueueLimit: number
  /** Largest reliable message accepted from a peer. */
  maxReliableMessage: number
}

export interface LinkEvents {
  /** The remote HELLO (its relay ticket): resolve with its verified identity, or throw to refuse the link. */
  verify(peerId: string, ticket: string): Promise<PeerIdentity>
  up(link: PeerLink): void
  message(link: PeerLink, channel: Channel, data: Uint8Array): void
  down(link: PeerLink, reason: string, wasUp: boolean): void
}

export interface LinkCounters {
  unreliableDropped: number
}

/**
 * One remote peer: PeerJS's reliable ordered DataConnection (raw binary) plus a second, pre-negotiated
 * data channel on the same RTCPeerConnection with `ordered: false, maxRetransmits: 0` — truly unreliable.
 */
export class PeerLink {
  state: 'connecting' | 'handshaking' | 'up' | 'closed' = 'connecting'
  identity: PeerIdentity | null = null
  unreliable: RTCDataChannel | null = null
  readonly counters: LinkCounters = { unreliableDropped: 0 }
  private lastHeard = Date.now()
  private lastSent = 0
  private timer: ReturnType<typeof setInterval> | null = null
  private readonly connectDeadline: number
  private readonly reassembler: Reassembler
  private pendingUnreliable: Uint8Array[] = []
  private pendingUnreliableBytes = 0
  private helloSeen = false
  /** DATA received after the remote HELLO but before its ticket is verified. */
  private held: Uint8Array[] = []
  /** Set while a probe (the relay said the peer left) waits for its answer. */
  private probe: ReturnType<typeof setTimeout> | null = null

  constructor(
    readonly peerId: string,
    readonly conn: DataConnection,
    private readonly localTicket: string,
    private readonly limits: LinkLimits,
    private readonly events: LinkEvents,
    /** True when we dialled (glare resolution keeps the connection dialled by the smaller id). */
    readonly outgoing: boolean,
  ) {
    this.connectDeadline = Date.now() + limits.connectTimeout
    this.reassembler = new Reassembler(limits.maxReliableMessage)
    conn.on('open', () => this.onOpen())
    conn.on('data', (d) => this.onFrame(d))
    conn.on('close', () => this.close('closed'))
    conn.on('error', (e) => this.close(`error: ${e.type ?? e.message}`))
    conn.on('iceStateChanged', (s) => {
      if (s === 'failed' || s === 'closed') this.close(`ice ${s}`)
    })
    if (conn.open) this.onOpen()
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.min(limits.heartbeatInterval, 250)))
  }

  private onOpen(): void {
    if (this.state !== 'connecting') return
    const pc = this.conn.peerConnection
    const dc = pc.createDataChannel('bitecs-multiuser-u', {
      negotiated: true,
      id: this.limits.unreliableChannelId,
      ordered: false,
      maxRetransmits: 0,
    })
    dc.binaryType = 'arraybuffer'
    dc.bufferedAmountLowThreshold = Math.floor(this.limits.unreliableHighWater / 2)
    dc.onmessage = (e) => {
      if (this.state !== 'up') return
      const bytes = toBytes(e.data)
      if (!bytes) return
      this.lastHeard = Date.now()
      this.events.message(this, 'unreliable', bytes)
    }
    dc.onbufferedamountlow = () => this.drainUnreliable()
    dc.onclose = () => this.close('unreliable channel closed')
    this.unreliable = dc
    this.state = 'handshaking'
    // Our HELLO also tells the remote side that our end of the unreliable channel exists.
    this.rawSend(textFrame(FrameType.HELLO, this.localTicket))
  }

  private onFrame(d: unknown): void {
    if (this.state === 'closed') return
    const frame = toBytes(d)
    if (!frame || frame.length === 0) return this.close('non-binary frame')
    this.lastHeard = Date.now()
    switch (frame[0]) {
      case FrameType.HELLO:
        if (this.helloSeen) return this.close('duplicate HELLO')
        this.helloSeen = true
        this.events.verify(this.peerId, readText(frame)).then(
          (identity) => {
            if (this.state === 'closed') return
            if (identity.id !== this.peerId) return this.close('ticket is for another peer')
            // A ticket bound to a certificate is good on a link to that certificate only (not copied onto another).
            if (identity.fingerprint && !remoteCertificateIs(this.conn.peerConnection, identity.fingerprint)) {
              return this.close(`ticket refused: ${AuthErrorCode.TICKET_FINGERPRINT_MISMATCH}: the ticket is bound to another DTLS certificate than this link's`)
            }
            this.identity = identity
            this.state = 'up'
            this.events.up(this)
            const held = this.held
            this.held = []
            for (const m of held) if (this.state === 'up') this.events.message(this, 'reliable', m)
          },
          (e: unknown) => this.close(`ticket refused: ${(e as Error).message}`),
        )
        return
      case FrameType.DATA:
      case FrameType.FRAG_FIRST:
      case FrameType.FRAG_MORE: {
        let msg: Uint8Array | null
        if (frame[0] === FrameType.DATA) msg = frame.slice(1)
        else {
          try {
            msg = this.reassembler.push(frame)
          } catch (e) {
            return this.close(`bad fragment: ${(e as Error).message}`)
          }
        }
        if (!msg) return
        if (this.state === 'up') this.events.message(this, 'reliable', msg)
        else if (this.helloSeen) this.held.push(msg)
        else this.close('data before HELLO')
        return
      }
      case FrameType.PING:
        if (frame[1] === 1) this.rawSend(PROBE_ANSWER_FRAME)
        else if (frame[1] === 2 && this.probe) {
          clearTimeout(this.probe)
          this.probe = null
        }
        return
      case FrameType.BYE:
        return this.close(`left: ${readText(frame)}`)
      default:
        return this.close(`unknown frame type ${frame[0]}`)
    }
  }

  /** Bytes waiting to go out on the reliable channel (browser buffer + PeerJS's own queue). */
  reliableBacklog(): number {
    const dc = this.conn.dataChannel
    const own = (this.conn as unknown as { bufferSize?: number }).bufferSize ?? 0
    return (dc?.bufferedAmount ?? 0) + own * 16 * 1024
  }

  send(channel: Channel, data: Uint8Array): void {
    if (this.state !== 'up') return
    if (channel === 'reliable') {
      if (this.reliableBacklog() + data.length > this.limits.reliableQueueLimit) {
        // A reliable message cannot be dropped: a peer that cannot drain the queue is dropped instead.
        this.close(ErrorCode.SEND_QUEUE_FULL, true)
        return
      }
      for (const f of dataFrames(data)) this.rawSend(f)
      return
    }
    const dc = this.unreliable
    if (!dc || dc.readyState !== 'open') {
      this.counters.unreliableDropped++
      return
    }
    if (this.pendingUnreliable.length === 0 && dc.bufferedAmount <= this.limits.unreliableHighWater) {
      this.unreliableSend(dc, data)
      return
    }
    // Congested: hold the newest, drop the oldest — stale state is worthless, the next delta heals it.
    const copy = data.slice()
    this.pendingUnreliable.push(copy)
    this.pendingUnreliableBytes += copy.length
    while (this.pendingUnreliableBytes > this.limits.unreliableQueueLimit && this.pendingUnreliable.length > 1) {
      this.pendingUnreliableBytes -= this.pendingUnreliable.shift()!.length
      this.counters.unreliableDropped++
    }
  }

  private unreliableSend(dc: RTCDataChannel, data: Uint8Array): void {
    try {
      dc.send(data as Uint8Array<ArrayBuffer>)
      this.lastSent = Date.now()
    } catch {
      this.counters.unreliableDropped++
    }
  }

  private drainUnreliable(): void {
    const dc = this.unreliable
    if (!dc || dc.readyState !== 'open') return
    while (this.pendingUnreliable.length > 0 && dc.bufferedAmount <= this.limits.unreliableHighWater) {
      const m = this.pendingUnreliable.shift()!
      this.pendingUnreliableBytes -= m.length
      this.unreliableSend(dc, m)
    }
  }

  private rawSend(frame: Uint8Array): void {
    try {
      void this.conn.send(frame)
      this.lastSent = Date.now()
    } catch (e) {
      this.close(`send failed: ${(e as Error).message}`)
    }
  }

  private tick(): void {
    const now = Date.now()
    if (this.state !== 'up') {
      if (now > this.connectDeadline) {
        const pc = this.conn.peerConnection as RTCPeerConnection | undefined
        const where = pc ? ` (signaling ${pc.signalingState}, ice ${pc.iceConnectionState})` : ' (no answer through the relay)'
        this.close(this.state === 'connecting' ? `connect timeout${where}` : 'handshake timeout')
      }
      return
    }
    if (now - this.lastHeard > this.limits.peerTimeout) return this.close('timeout')
    if (now - this.lastSent >= this.limits.heartbeatInterval) this.rawSend(PING_FRAME)
    if (this.pendingUnreliable.length > 0) this.drainUnreliable()
  }

  /**
   * The relay says the peer's socket is gone. Its tab may be closed (PeerJS often misses the channel's close), or
   * only its relay socket dropped while it plays on: it is asked to answer at once, and is gone if it does not
   * within one heartbeat interval.
   */
  relayLeft(): void {
    if (this.state !== 'up' || this.probe) return
    this.rawSend(PROBE_FRAME)
    this.probe = setTimeout(() => {
      this.probe = null
      this.close('left the relay, no answer on the link')
    }, this.limits.heartbeatInterval)
  }

  /** Closes the link; `bye` tells the remote side why (best effort). */
  close(reason: string, bye = false): void {
    if (this.state === 'closed') return
    const wasUp = this.state === 'up'
    if (bye && this.conn.open) {
      try {
        void this.conn.send(textFrame(FrameType.BYE, reason))
      } catch {
        /* closing anyway */
      }
    }
    this.state = 'closed'
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (this.probe) clearTimeout(this.probe)
    this.probe = null
    this.pendingUnreliable = []
    this.pendingUnreliableBytes = 0
    try {
      this.unreliable?.close()
    } catch {
      /* already closed */
    }
    try {
      this.conn.close()
    } catch {
      /* already closed */
    }
    this.events.down(this, reason, wasUp)
  }
}
