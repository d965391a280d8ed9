/**
 * Admissions waiting for their PeerJS socket: (peerId, joinToken) pairs, single use, expiring after
 * `joinTokenTtlSec`. Only a hash of the token is kept; comparison is constant-time. An expired or consumed pair is
 * gone: a second socket with the same pair (id takeover) finds nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Slot } from './slots.js'

export interface PendingJoin {
  peerId: string
  room: string
  did: string | null
  handle?: string
  /** The ticket's `admittedAt` (Unix ms). */
  admittedAt: number
  ticket: string
  /** Slots held for this admission; released on expiry, transferred to the socket on consume. */
  slot: Slot
}

interface Stored extends PendingJoin {
  tokenHash: Buffer
  timer: NodeJS.Timeout
}

const hash = (token: string) => createHash('sha256').update(token).digest()

/** 128-bit random peer id, hex (valid for the peerjs client's id pattern). */
export const newPeerId = () => randomBytes(16).toString('hex')
/** 256-bit random join token, hex. */
export const newJoinToken = () => randomBytes(32).toString('hex')

export class PendingJoins {
  private readonly pending = new Map<string, Stored>()
  constructor(private readonly ttlMs: number, private readonly onExpire: (join: PendingJoin) => void = () => {}) {}

  get size(): number {
    return this.pending.size
  }

  has(peerId: string): boolean {
    return this.pending.has(peerId)
  }

  add(join: PendingJoin, token: string): void {
    const timer = setTimeout(() => {
      if (this.pending.get(join.peerId)?.timer !== timer) return
      this.pending.delete(join.peerId)
      join.slot.release()
      this.onExpire(join)
    }, this.ttlMs)
    timer.unref()
    this.pending.set(join.peerId, { ...join, tokenHash: hash(token), timer })
  }

  /** Returns and removes the admission if `token` matches, else null (the admission stays for its owner). */
  consume(peerId: string, token: string): PendingJoin | null {
    const stored = this.pending.get(peerId)
    if (!stored) return null
    if (!timingSafeEqual(stored.tokenHash, hash(token))) return null
    this.pending.delete(peerId)
    clearTimeout(stored.timer)
    const { tokenHash: _h, timer: _t, ...join } = stored
    return join
  }

  /** Drops one admission (resume replaced it), releasing its slots. */
  drop(peerId: string): boolean {
    const stored = this.pending.get(peerId)
    if (!stored) return false
    clearTimeout(stored.timer)
    stored.slot.release()
    this.pending.delete(peerId)
    return true
  }

  /** Drops everything (relay shutdown), releasing slots. */
  clear(): void {
    for (const s of this.pending.values()) {
      clearTimeout(s.timer)
      s.slot.release()
    }
    this.pending.clear()
  }
}
