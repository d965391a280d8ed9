/**
 * Matchmaking queues. `MatchQueue` is the seam (the Redis one, redis/redis-match-queue.ts, with `redis`); `LocalMatchQueue` is
 * the in-process default. Time is always passed in (`enqueuedAt`, `tick(now)`): the queue reads no clock, so tests
 * drive it with a virtual one.
 *
 * The rules, for each queue (`MatchQueueRules`, per queue name):
 *
 * - **Units.** A player alone is a unit of one; a party (members sending the same `party.id` and `size`) is one unit
 *   once all its members are in, never split, its skill the mean of its members', its waiting time counted from its
 *   last member's arrival. An incomplete party waits; each member still times out on its own.
 * - **Fill to N.** A match is units whose sizes add up to exactly `size`.
 * - **Same attributes.** Units match only with units of equal `sameAttributes` values (e.g. `region`; a missing one
 *   is the empty string).
 * - **Skill range, widening with waiting time.** A unit accepts a match whose skill spread (highest minus lowest
 *   unit skill) is at most its range, `min(skillMaxRange, skillRange + skillWidenPerSec * waitedSeconds)`; a match
 *   needs every unit of it to accept. A missing or non-numeric skill counts as 0.
 * - **Order.** The longest-waiting unit is served first (ties: the earlier enqueued), with the closest skills first
 *   (ties: the longer waiting). Greedy, deterministic: the same entries and clock give the same matches.
 * - **Timeout.** An entry waiting `timeoutMs` is dropped (`expired`).
 *
 * Contract for any implementation (keep it when writing the shared one):
 * - `enqueue` is atomic with its caps: a queue never holds more than `maxWaiting` entries, and a party member whose
 *   size or `sameAttributes` disagree with the members already in is refused (`party-mismatch`), never queued.
 * - `tick(now)` applies the rules above to everything waiting and returns each outcome exactly once; an entry is in
 *   at most one outcome and leaves the queue with it. A shared implementation forms matches across instances (one
 *   instance ticks at a time, e.g. under a lock) and hands every instance the outcomes of the entries it enqueued.
 * - `cancel(id)` removes a waiting entry (false if it is not waiting: matched, expired or unknown).
 */
import type { SessionMember } from '../../signaling/contract.js'

/** The rules of one matchmaking queue (the module comment says how they combine); the relay's `matchQueues` option gives them per queue name. */
export interface MatchQueueRules {
  /** Players per match. */
  size: number
  /** Longest wait, ms. */
  timeoutMs: number
  /** Entries waiting in this queue at most. */
  maxWaiting: number
  /** The numeric attribute compared. */
  skillAttribute: string
  /** Skill spread accepted at once. */
  skillRange: number
  /** Added to it per second waited. */
  skillWidenPerSec: number
  /** Never wider than this. */
  skillMaxRange: number
  /** Attributes that must be equal within a match. */
  sameAttributes: string[]
  /** Host mode: each match is handed to a registered host of the players' `region` (README "Hand-off to hosts"). */
  host: boolean
}

/** The rules of a queue where `matchQueues` leaves them out: 2 players, 60 s, 1024 waiting, `skill` within 100 widening by 25/s up to 1000, same `region`, no host. */
export const MATCH_QUEUE_DEFAULTS: Readonly<MatchQueueRules> = {
  size: 2,
  timeoutMs: 60_000,
  maxWaiting: 1024,
  skillAttribute: 'skill',
  skillRange: 100,
  skillWidenPerSec: 25,
  skillMaxRange: 1000,
  sameAttributes: ['region'],
  host: false,
}

/** One player waiting for a match. */
export interface QueueEntry {
  /** Ticket id; also the member id in the session. */
  id: string
  /** The queue's name. */
  queue: string
  /** Verified DID, or null (anonymous). */
  did: string | null
  /** The request's attributes: the skill attribute and `sameAttributes` are read from them. */
  attributes: Record<string, string | number>
  /** The party it queued with: matched only together with its other `size - 1` members. */
  party?: { id: string; size: number }
  /** When it was queued (ms, the caller's clock). */
  enqueuedAt: number
}

/** What `tick` decided for waiting entries: a match (its session, room name and members), or an entry dropped after `timeoutMs`. */
export type QueueOutcome =
  | { kind: 'matched'; queue: string; session: string; room: string; members: QueueEntry[] }
  | { kind: 'expired'; entry: QueueEntry }

/** `enqueue`'s answer: queued, refused because the queue holds `maxWaiting` entries, or refused as a party member that does not fit its party (full, other size or other `sameAttributes`). */
export type EnqueueResult = 'queued' | 'queue-full' | 'party-mismatch'

/** The matchmaking queues (the relay's seam, option `matchQueue`; default {@link LocalMatchQueue}); the contract is in the module comment. */
export interface MatchQueue {
  /** Queues `entry` under `rules` (those of its queue), atomically with the queue's caps. */
  enqueue(entry: QueueEntry, rules: MatchQueueRules): EnqueueResult | Promise<EnqueueResult>
  /** Removes a waiting entry; false if it is not waiting (matched, expired or unknown). */
  cancel(id: string): boolean | Promise<boolean>
  /** Applies the rules at `now` (ms, the clock of `enqueuedAt`): every outcome once; its entries leave the queue. */
  tick(now: number): QueueOutcome[] | Promise<QueueOutcome[]>
  /** Entries waiting (in one queue, or in all). */
  waiting(queue?: string): number
  /** Queue names with entries waiting. */
  queueCount(): number
}

/** The session's members, as the session ticket names them. */
export function sessionMembers(entries: QueueEntry[]): SessionMember[] {
  return entries.map((e) => ({ id: e.id, did: e.did, ...(e.party ? { party: e.party.id } : {}) }))
}

interface Unit {
  entries: QueueEntry[]
  size: number
  skill: number
  /** When it became complete (the last member's arrival). */
  since: number
  /** Enqueue order of its first entry (ties). */
  order: number
  key: string
}

interface Waiting {
  entry: QueueEntry
  order: number
}

interface Queue {
  rules: MatchQueueRules
  entries: Map<string, Waiting>
}

/** The in-process match queue: greedy, deterministic matching of the entries this process holds. */
export class LocalMatchQueue implements MatchQueue {
  private readonly queues = new Map<string, Queue>()
  private readonly index = new Map<string, string>()
  private order = 0

  /** `newId` names sessions and their rooms (random by default in the lobby; fixed in tests). */
  constructor(private readonly newId: () => string) {}

  /** Queues `entry`; a queue keeps the rules it was given when it was created (its first entry) until it is empty. */
  enqueue(entry: QueueEntry, rules: MatchQueueRules): EnqueueResult {
    let q = this.queues.get(entry.queue)
    if (q && q.entries.size >= q.rules.maxWaiting) return 'queue-full'
    if (entry.party && q) {
      const mates = [...q.entries.values()].filter((w) => w.entry.party?.id === entry.party!.id).map((w) => w.entry)
      const key = keyOf(entry, q.rules)
      if (mates.some((m) => m.party!.size !== entry.party!.size || keyOf(m, q!.rules) !== key)) return 'party-mismatch'
      if (mates.length >= entry.party.size) return 'party-mismatch'
    }
    if (!q) this.queues.set(entry.queue, (q = { rules, entries: new Map() }))
    q.entries.set(entry.id, { entry, order: this.order++ })
    this.index.set(entry.id, entry.queue)
    return 'queued'
  }

  /** Removes the waiting entry `id`; false if it is not waiting. */
  cancel(id: string): boolean {
    const name = this.index.get(id)
    if (name === undefined) return false
    this.remove(name, [id])
    return true
  }

  /** Entries waiting in `queue`, or in every queue. */
  waiting(queue?: string): number {
    if (queue !== undefined) return this.queues.get(queue)?.entries.size ?? 0
    return this.index.size
  }

  /** Queue names with entries waiting. */
  queueCount(): number {
    return this.queues.size
  }

  /** Drops entries waiting `timeoutMs` or more, then forms matches; a match's session is `newId()` and its room `m-<newId()>`. */
  tick(now: number): QueueOutcome[] {
    const out: QueueOutcome[] = []
    for (const [name, q] of [...this.queues]) {
      const expired = [...q.entries.values()].filter((w) => now - w.entry.enqueuedAt >= q.rules.timeoutMs).map((w) => w.entry)
      this.remove(name, expired.map((e) => e.id))
      for (const entry of expired) out.push({ kind: 'expired', entry })
      for (const members of formMatches(this.units(q), q.rules, now)) {
        this.remove(name, members.map((e) => e.id))
        out.push({ kind: 'matched', queue: name, session: this.newId(), room: `m-${this.newId()}`, members })
      }
    }
    return out
  }

  private units(q: Queue): Unit[] {
    const units: Unit[] = []
    const parties = new Map<string, Waiting[]>()
    for (const w of q.entries.values()) {
      if (!w.entry.party) units.push(unitOf([w], q.rules))
      else {
        let p = parties.get(w.entry.party.id)
        if (!p) parties.set(w.entry.party.id, (p = []))
        p.push(w)
      }
    }
    for (const members of parties.values()) if (members.length === members[0].entry.party!.size) units.push(unitOf(members, q.rules))
    return units
  }

  private remove(queue: string, ids: string[]): void {
    const q = this.queues.get(queue)
    if (!q) return
    for (const id of ids) {
      q.entries.delete(id)
      this.index.delete(id)
    }
    if (q.entries.size === 0) this.queues.delete(queue)
  }
}

function keyOf(entry: QueueEntry, rules: MatchQueueRules): string {
  return JSON.stringify(rules.sameAttributes.map((a) => String(entry.attributes[a] ?? '')))
}

function unitOf(members: Waiting[], rules: MatchQueueRules): Unit {
  const skillOf = (e: QueueEntry) => {
    const v = e.attributes[rules.skillAttribute]
    return typeof v === 'number' && Number.isFinite(v) ? v : 0
  }
  return {
    entries: members.map((w) => w.entry),
    size: members.length,
    skill: members.reduce((s, w) => s + skillOf(w.entry), 0) / members.length,
    since: Math.max(...members.map((w) => w.entry.enqueuedAt)),
    order: Math.min(...members.map((w) => w.order)),
    key: keyOf(members[0].entry, rules),
  }
}

const rangeOf = (u: Unit, rules: MatchQueueRules, now: number) =>
  Math.min(rules.skillMaxRange, rules.skillRange + (rules.skillWidenPerSec * Math.max(0, now - u.since)) / 1000)

/** The matches the rules form among `units` at `now` (see the module comment), each as its entries. */
function formMatches(units: Unit[], rules: MatchQueueRules, now: number): QueueEntry[][] {
  const byKey = new Map<string, Unit[]>()
  for (const u of units) {
    let list = byKey.get(u.key)
    if (!list) byKey.set(u.key, (list = []))
    list.push(u)
  }
  const matches: QueueEntry[][] = []
  for (const list of byKey.values()) {
    const bySkill = [...list].sort((a, b) => a.skill - b.skill || a.since - b.since || a.order - b.order)
    const pos = new Map(bySkill.map((u, i) => [u, i]))
    const taken = new Set<Unit>()
    const seeds = [...list].sort((a, b) => a.since - b.since || a.order - b.order)
    for (const seed of seeds) {
      if (taken.has(seed)) continue
      const group = fill(seed, bySkill, pos.get(seed)!, taken, rules, now)
      if (!group) continue
      for (const u of group) taken.add(u)
      matches.push(group.flatMap((u) => u.entries))
    }
  }
  return matches
}

/** Grows a match around `seed` from its skill neighbours outwards, closest first; null if it cannot reach `size`. */
function fill(seed: Unit, bySkill: Unit[], at: number, taken: Set<Unit>, rules: MatchQueueRules, now: number): Unit[] | null {
  const group = [seed]
  let total = seed.size
  let lo = seed.skill
  let hi = seed.skill
  let minRange = rangeOf(seed, rules, now)
  let left = at - 1
  let right = at + 1
  while (total < rules.size) {
    const l = left >= 0 ? bySkill[left] : undefined
    const r = right < bySkill.length ? bySkill[right] : undefined
    if (!l && !r) break
    const dl = l ? seed.skill - l.skill : Infinity
    const dr = r ? r.skill - seed.skill : Infinity
    const pickLeft = dl < dr || (dl === dr && l !== undefined && (r === undefined || l.since < r.since || (l.since === r.since && l.order < r.order)))
    const c = pickLeft ? l! : r!
    if (pickLeft) left--
    else right++
    // Nothing further away can fit in the seed's own range.
    if (Math.min(dl, dr) > minRange) break
    if (taken.has(c) || total + c.size > rules.size) continue
    const nlo = Math.min(lo, c.skill)
    const nhi = Math.max(hi, c.skill)
    const nrange = Math.min(minRange, rangeOf(c, rules, now))
    if (nhi - nlo > nrange) continue
    group.push(c)
    total += c.size
    lo = nlo
    hi = nhi
    minRange = nrange
  }
  return total === rules.size ? group : null
}
