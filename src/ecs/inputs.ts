/**
 * The inputs room (host mode): a client's inputs to its host, and the host's handling of them.
 *
 * Client: `send` numbers each input (1, 2, 3 ...), hands it at once to the prediction room (decoded from the bytes
 * that go out, so the client predicts with exactly what the host will apply), and sends the host an input packet
 * (input-format.ts) carrying it and the `inputRedundancy - 1` before it, on the unreliable channel: a packet lost
 * costs nothing while one of the next ones arrives; a flush without a new input sends the last packet again while the
 * host has not acknowledged its newest input. The host's state packets carry the last input it applied
 * (`acknowledged`), which reconciliation replays from.
 *
 * Host: an input packet's inputs newer than the last applied one of that client go to the `onInput` handlers in
 * order, each exactly once (repeats are skipped, a gap the redundancy did not cover is counted as lost and skipped);
 * every delta packet to that client is wrapped with the seq of the last one applied. The host's own `send` goes to
 * its handlers at once.
 */
import { decodeInputPacket, encodeInputPacket, unwrapHostState, wrapHostState, HOST_STATE_PACKET, INPUT_PACKET, MAX_INPUTS_PER_PACKET } from '../protocol/input-format.js'
import type { InputDef } from '../protocol/schema.js'
import { ErrorCode, MultiuserError } from '../shared/errors.js'
import type { NetContext } from './context.js'
import type { NetPeer } from './network.js'
import type { PeerState } from './peers.js'

/** A host's input handler: the input, the client it came from, and its sequence number. */
export type InputHandler<T> = (input: T, from: NetPeer, seq: number) => void

/** Inputs repeated per packet by default: the newest and the two before it, so two lost packets in a row cost nothing. */
export const DEFAULT_INPUT_REDUNDANCY = 3

interface SentInput {
  seq: number
  input: number
  bytes: Uint8Array
}

export class Inputs {
  /** Client: the seq of the newest input sent (0: none). */
  seq = 0
  /** Client: the last input the host says it applied. */
  acknowledged = 0
  /** Client: inputs sent. Host: inputs handed to handlers; inputs never received (gaps past the redundancy). */
  sent = 0
  applied = 0
  lost = 0
  /** Client: the newest `redundancy` inputs, oldest first; the last input packet; whether one went out this tick. */
  private recent: SentInput[] = []
  private lastPacket: Uint8Array | null = null
  private sentSinceFlush = false
  private readonly handlers = new Map<number, Set<InputHandler<unknown>>>()
  /** Host: the last input applied, per client. */
  private readonly lastApplied = new Map<string, number>()
  /** Called with each input the client sends (prediction), after it was numbered. */
  onLocal: ((seq: number, def: InputDef, input: unknown) => void) | null = null

  constructor(
    private readonly ctx: NetContext,
    private readonly redundancy: number,
  ) {
    if (!Number.isInteger(redundancy) || redundancy < 1 || redundancy > MAX_INPUTS_PER_PACKET) {
      throw new RangeError(`inputRedundancy must be a whole number in 1..${MAX_INPUTS_PER_PACKET} (got ${redundancy})`)
    }
  }

  private check(def: InputDef): void {
    if (this.ctx.schema.inputById(def.id) !== def) throw new MultiuserError(ErrorCode.UNKNOWN_INPUT, `input ${def.name} is not in this schema`)
  }

  /** `net.sendInput`: numbers the input, predicts it, and sends it to the host (the host: hands it to its handlers). */
  send<T>(def: InputDef<T>, value: T): number {
    this.check(def)
    const { authority, settings } = this.ctx
    if (!authority.isClient && !authority.isHost) throw new MultiuserError(ErrorCode.NOT_HOST, 'sendInput needs host mode (createNetwork authority: \'host\')')
    const bytes = def.codec.encode(value).finish()
    const input = def.codec.decode(bytes)
    if (authority.isHost) {
      this.sent++
      this.dispatch(def, input, this.ctx.peers.selfInfo(), ++this.seq)
      return this.seq
    }
    const seq = this.seq + 1
    const recent = [...this.recent, { seq, input: def.id, bytes }].slice(-this.redundancy)
    const packet = encodeInputPacket([...recent].reverse())
    // Refused before it counts: a too large input changes nothing.
    if (packet.length > settings.limits.maxUnreliableBytes) {
      throw new MultiuserError(ErrorCode.PAYLOAD_TOO_LARGE, `an input packet of ${packet.length} bytes (${recent.length} inputs) exceeds ${settings.limits.maxUnreliableBytes}`)
    }
    this.seq = seq
    this.sent++
    this.recent = recent
    this.onLocal?.(seq, def, input)
    this.sendPacket(packet)
    return seq
  }

  private sendPacket(packet: Uint8Array): void {
    this.lastPacket = packet
    this.sentSinceFlush = true
    const host = this.ctx.authority.hostPeer()
    if (!host) return
    this.ctx.transport.send(host.id, 'unreliable', packet)
    this.ctx.stats.countSent('unreliable', packet.length)
  }

  /**
   * A client's flush: when no input went out since the last one while the host has not acknowledged the newest,
   * the last packet goes again (so the last input of a burst is not lost for want of a later packet).
   */
  flush(): void {
    if (!this.sentSinceFlush && this.lastPacket && this.acknowledged < this.seq) this.sendPacket(this.lastPacket)
    this.sentSinceFlush = false
  }

  on<T>(def: InputDef<T>, handler: InputHandler<T>): () => void {
    this.check(def)
    let set = this.handlers.get(def.id)
    if (!set) this.handlers.set(def.id, (set = new Set()))
    const h = handler as InputHandler<unknown>
    set.add(h)
    return () => set.delete(h)
  }

  /** Whether an unreliable packet is one of ours (an input packet, or a host state packet), not a delta packet. */
  static isHostModePacket(data: Uint8Array): boolean {
    return data[0] === INPUT_PACKET || data[0] === HOST_STATE_PACKET
  }

  /**
   * An unreliable packet of host mode from `p`: a host applies an input packet; a client takes a host state packet's
   * acknowledgement and returns its delta packet (for the delta room). Anything else from the wrong side is struck.
   */
  receive(p: PeerState, data: Uint8Array): Uint8Array | null {
    const { authority, peers, stats } = this.ctx
    try {
      if (data[0] === INPUT_PACKET && authority.isHost) {
        this.apply(p, decodeInputPacket(data))
        return null
      }
      if (data[0] === HOST_STATE_PACKET && authority.isClient && p.id === authority.hostId) {
        const { applied, delta } = unwrapHostState(data)
        if (applied > this.seq) throw new Error(`acknowledged input ${applied}, newest sent ${this.seq}`)
        if (applied > this.acknowledged) this.acknowledged = applied
        return delta
      }
      throw new Error(`unexpected host-mode packet 0x${data[0].toString(16)}`)
    } catch (e) {
      stats.dropped.malformed++
      peers.strike(p.id, (e as Error).message)
      return null
    }
  }

  /** Host: a client's inputs (newest first), the new ones applied in order. */
  private apply(p: PeerState, inputs: ReturnType<typeof decodeInputPacket>): void {
    // After a migration, a client new to us starts where its packet starts: nothing before was ours to lose.
    const last = this.lastApplied.get(p.id) ?? (this.ctx.authority.migrations > 0 ? inputs[inputs.length - 1].seq - 1 : 0)
    const fresh = inputs.filter((i) => i.seq > last).reverse()
    if (fresh.length === 0) return
    // Decode all before applying any: a malformed one drops the packet whole.
    const decoded = fresh.map((i) => {
      const def = this.ctx.schema.inputById(i.input)
      if (!def) throw new Error(`unknown input id ${i.input}`)
      return { seq: i.seq, def, value: def.codec.decode(i.bytes) }
    })
    this.lost += decoded[0].seq - last - 1
    const from = this.ctx.peers.info(p)
    for (const d of decoded) {
      this.lastApplied.set(p.id, d.seq)
      this.dispatch(d.def, d.value, from, d.seq)
    }
  }

  private dispatch(def: InputDef, value: unknown, from: NetPeer, seq: number): void {
    this.applied++
    const hs = this.handlers.get(def.id)
    if (!hs) return
    for (const h of [...hs]) {
      try {
        h(value, from, seq)
      } catch (e) {
        this.ctx.stats.handlerErrors++
        this.ctx.emitter.emit('error', e)
      }
    }
  }

  /** Host: wraps a delta packet to `p` with the seq of the last input of `p` applied. */
  wrap(p: PeerState, delta: Uint8Array): Uint8Array {
    return wrapHostState(this.lastApplied.get(p.id) ?? 0, delta)
  }

  peerLeft(peerId: string): void {
    this.lastApplied.delete(peerId)
  }
}
