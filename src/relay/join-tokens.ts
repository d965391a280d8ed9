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

/**
 * Where admissions wait for their socket (the relay's seam: {@link PendingJoins} in one process; with `redis`, the
 * admission is also written to Redis so the socket may open on any process).
 */
export interface PendingJoinStore {
  /** Admissions waiting here (this process). */
  readonly size: number
  /** Stores an admission until its socket opens or `joinTokenTtlSec` passes; resolves once any process can consume it. */
  add(join: PendingJoin, token: string): void | Promise<void>
  /** Returns and removes the admission if `token` matches, else null (the admission stays for its owner). */
  consume(peerId: string, token: string): PendingJoin | null | Promise<PendingJoin | null>
  /** Drops one admission (resume replaced it), releasing its slots. */
  drop(peerId: string): void | Promise<void>
  /** Drops everything (relay shutdown), releasing slots. */
  clear(): void
}

/** The in-process admissions (hashes of the tokens only, constant-time comparison). */
export class PendingJoins implements PendingJoinStore {
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
    return this.take(peerId)
  }

  /** Drops one admission (resume replaced it), releasing its slots. */
  drop(peerId: string): void {
    this.take(peerId)?.slot.release()
  }

  /** Removes one admission without releasing its slots (its socket opened on another process); null if none. */
  take(peerId: string): PendingJoin | null {
    const stored = this.pending.get(peerId)
    if (!stored) return null
    clearTimeout(stored.timer)
    this.pending.delete(peerId)
    const { tokenHash: _h, timer: _t, ...join } = stored
    return join
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
