import type { Layout } from './layout.js'

/** `sentSeq` values that are not packet numbers. Real sequence numbers start at 1. */
export const CONFIRMED = 0
/** The receiver's value is unknown: send the field until a packet carrying it is acknowledged. */
export const UNKNOWN = -1
/** The value went in a reliable message (spawn, claim, component add) the receiver has not confirmed yet. */
export const AWAITING = -2
/** Bit of `known` meaning the receiver has the entity at all (processed its spawn/claim). */
export const ENTITY_KNOWN = 1 << 31

/**
 * What one receiver has of our owned entities (the ack-based baseline, per field):
 * `sentVal[f][eid]` is the last canonical value we sent, `sentSeq[f][eid]` the packet that carried it.
 * A field is omitted from a delta only if that packet was acknowledged and the value is unchanged, so a lost
 * packet's change is resent until a packet carrying it gets through (no retransmission of old packets).
 */
export class ReceiverBaseline {
  readonly sentVal: Float64Array[]
  readonly sentSeq: Int32Array[]
  /** Per entity: bit i = the receiver has DELTA component i (confirmed); ENTITY_KNOWN = it has the entity. */
  readonly known: Uint32Array
  /** Entities to examine at the next flush even if unchanged (unacknowledged fields, fresh confirmations). */
  private readonly pendingFlag: Uint8Array
  pending: Int32Array
  pendingCount = 0
  /** Reliable messages awaiting confirmation: message index, eid, ownership generation, delta components. */
  private confirmIndex: number[] = []
  private confirmEid: number[] = []
  private confirmGen: number[] = []
  private confirmBits: number[] = []
  private confirmHead = 0

  constructor(
    readonly layout: Layout,
    capacity: number,
  ) {
    this.sentVal = layout.deltaFields.map(() => new Float64Array(capacity))
    this.sentSeq = layout.deltaFields.map(() => new Int32Array(capacity))
    this.known = new Uint32Array(capacity)
    this.pendingFlag = new Uint8Array(capacity)
    this.pending = new Int32Array(capacity)
  }

  markPending(eid: number): void {
    if (this.pendingFlag[eid] === 1) return
    this.pendingFlag[eid] = 1
    this.pending[this.pendingCount++] = eid
  }

  unmarkPending(eid: number): void {
    this.pendingFlag[eid] = 0
  }

  isPending(eid: number): boolean {
    return this.pendingFlag[eid] === 1
  }

  /** Keeps only pending entities still flagged (call after a flush pass). */
  compactPending(): void {
    let n = 0
    for (let i = 0; i < this.pendingCount; i++) {
      const e = this.pending[i]
      if (this.pendingFlag[e] === 1) this.pending[n++] = e
    }
    this.pendingCount = n
  }

  /** The current store values of `deltaBits` components went in reliable message `index` (spawn, claim, add). */
  awaitConfirmation(index: number, eid: number, gen: number, deltaBits: number): void {
    const L = this.layout
    for (let f = 0; f < L.deltaFields.length; f++) {
      if ((deltaBits & (1 << L.deltaFieldComponent[f])) === 0) continue
      this.sentVal[f][eid] = L.deltaFields[f].toWire(L.column(f)[eid])
      this.sentSeq[f][eid] = AWAITING
    }
    this.confirmIndex.push(index)
    this.confirmEid.push(eid)
    this.confirmGen.push(gen)
    this.confirmBits.push(deltaBits)
  }

  /** The receiver processed our reliable messages up to `processed`: confirm what they carried. */
  confirmUpTo(processed: number, currentGen: (eid: number) => number): void {
    const L = this.layout
    while (this.confirmHead < this.confirmIndex.length && this.confirmIndex[this.confirmHead] <= processed) {
      const h = this.confirmHead++
      const eid = this.confirmEid[h]
      if (currentGen(eid) !== this.confirmGen[h]) continue
      const bits = this.confirmBits[h]
      this.known[eid] |= ENTITY_KNOWN | bits
      for (let f = 0; f < L.deltaFields.length; f++) {
        if ((bits & (1 << L.deltaFieldComponent[f])) === 0) continue
        if (this.sentSeq[f][eid] === AWAITING) this.sentSeq[f][eid] = CONFIRMED
      }
      this.markPending(eid)
    }
    if (this.confirmHead > 1024 && this.confirmHead * 2 > this.confirmIndex.length) {
      this.confirmIndex = this.confirmIndex.slice(this.confirmHead)
      this.confirmEid = this.confirmEid.slice(this.confirmHead)
      this.confirmGen = this.confirmGen.slice(this.confirmHead)
      this.confirmBits = this.confirmBits.slice(this.confirmHead)
      this.confirmHead = 0
    }
  }

  /** The receiver no longer has (or never had) a DELTA component / the entity. */
  forget(eid: number, deltaBits = 0xffffffff): void {
    if (deltaBits === 0xffffffff) this.known[eid] = 0
    else this.known[eid] &= ~deltaBits
  }
}
