/**
 * The relevance room: interest management, createNetwork's `relevance` option. Which of our entities each peer gets:
 * every entity to every peer by default; with a relevance function, those it answers true or a positive number for
 * (the number also weighs the entity's priority for that peer, priority.ts). Persistent entities go to every peer
 * whatever it answers (any peer may inherit them, ownership.ts), with its number as their weight.
 *
 * The function is asked when an entity is spawned or a peer joins, and again for every owned entity and peer once
 * every `relevanceInterval` flushes (a slice of the entities each flush). An entity that becomes relevant is
 * announced with its full state (spawns.ts); one that stops being relevant is withdrawn: a despawn that says it only
 * left the peer's view, which removes it from that peer's world (its `culled` event) until it is relevant again.
 */
import type { NetContext } from './context.js'
import type { NetPeer } from './network.js'
import type { PeerState } from './peers.js'
import type { NetEntity } from './registry.js'
import { NOT_SENT } from './spawns.js'

/**
 * Whether `peer` gets our entity `eid`: false (or 0) no, true yes, a positive number yes with that priority weight.
 * `inView` says whether it has it now (for hysteresis: keep it a little longer than you would let it in). An optional
 * `begin()` is called before each round of questions (a place to compute per-peer things once).
 */
export type RelevanceFn = ((eid: number, peer: NetPeer, inView: boolean) => boolean | number) & { begin?: () => void }

export class Relevance {
  private cursor = 0

  constructor(
    private readonly ctx: NetContext,
    private readonly fn: RelevanceFn | null,
    private readonly interval: number,
  ) {}

  /** Whether a relevance function decides (otherwise every entity goes to every peer). */
  get active(): boolean {
    return this.fn !== null
  }

  /** Whether `rec` goes to `p`; records its weight for p's priorities. */
  decide(p: PeerState, rec: NetEntity): boolean {
    if (this.fn === null) return true
    let answer: boolean | number
    try {
      answer = this.fn(rec.eid, p.netPeer, p.inView[rec.eid] !== NOT_SENT)
    } catch (e) {
      this.ctx.stats.handlerErrors++
      this.ctx.emitter.emit('error', e)
      answer = true
    }
    const weight = answer === true ? 1 : typeof answer === 'number' && answer > 0 ? Math.min(answer, 1e6) : 0
    p.relevanceWeight![rec.eid] = weight > 0 ? weight : 1
    return weight > 0 || rec.persistent
  }

  /** Announces `rec` to `p` if it is relevant to it (a spawn, a late join, an entity that became ours). */
  offer(p: PeerState, rec: NetEntity): void {
    if (this.decide(p, rec)) this.ctx.spawns.announce(p, rec)
  }

  /** One flush's share of the round: a slice of our entities asked again for every ready peer. */
  evaluate(): void {
    const fn = this.fn
    const { registry, spawns } = this.ctx
    if (fn === null || registry.ownedCount === 0) return
    const peers = this.ctx.peers.ready()
    if (peers.length === 0) return
    if (this.cursor === 0) fn.begin?.()
    const n = Math.ceil(registry.ownedCount / this.interval)
    for (let k = 0; k < n && this.cursor < registry.ownedCount; k++, this.cursor++) {
      const rec = registry.get(registry.owned[this.cursor])
      if (!rec || !rec.id) continue
      for (const p of peers) {
        const relevant = this.decide(p, rec)
        if (relevant && p.inView[rec.eid] === NOT_SENT) spawns.announce(p, rec)
        else if (!relevant && p.inView[rec.eid] !== NOT_SENT) spawns.withdraw(p, rec, true)
      }
    }
    if (this.cursor >= registry.ownedCount) this.cursor = 0
  }
}
