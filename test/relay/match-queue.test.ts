/**
 * The matchmaker's rules on the in-process queue, driven by a virtual clock (its origin large and random, as a relay
 * started at any time): fill to N, widening skill ranges, same attributes, parties kept whole, cancel, timeouts,
 * caps. Every outcome is deterministic: the same entries and clock give the same matches.
 */
import { describe, expect, it } from 'vitest'
import { LocalMatchQueue, MATCH_QUEUE_DEFAULTS, type MatchQueueRules, type QueueEntry, type QueueOutcome } from '../../src/relay/index.js'

const origin = 1_700_000_000_000 + Math.floor(Math.random() * 1e9)

function setup(over: Partial<MatchQueueRules> = {}) {
  let n = 0
  const q = new LocalMatchQueue(() => `id${++n}`)
  const rules: MatchQueueRules = { ...MATCH_QUEUE_DEFAULTS, ...over }
  let now = origin
  const add = (id: string, attributes: QueueEntry['attributes'] = {}, party?: QueueEntry['party']) =>
    q.enqueue({ id, queue: 'q', did: null, attributes, ...(party ? { party } : {}), enqueuedAt: now }, rules)
  return {
    q,
    add,
    at: (ms: number) => (now = origin + ms),
    tick: () => q.tick(now),
  }
}

const matched = (out: QueueOutcome[]) => out.filter((o) => o.kind === 'matched').map((o) => (o.kind === 'matched' ? o.members.map((m) => m.id) : []))
const expired = (out: QueueOutcome[]) => out.filter((o) => o.kind === 'expired').map((o) => (o.kind === 'expired' ? o.entry.id : ''))

describe('LocalMatchQueue', () => {
  it('fills to N: nothing until N players wait, then one match of exactly N, in arrival order', () => {
    const s = setup({ size: 3 })
    s.add('a')
    s.add('b')
    expect(s.tick()).toEqual([])
    s.add('c')
    s.add('d')
    const out = s.tick()
    expect(matched(out)).toEqual([['a', 'b', 'c']])
    expect(out[0]).toMatchObject({ kind: 'matched', queue: 'q', session: 'id1', room: 'm-id2' })
    expect(s.q.waiting()).toBe(1)
    expect(s.q.waiting('q')).toBe(1)
  })

  it('widens the skill range with waiting time; both players must accept the spread', () => {
    const s = setup({ skillRange: 100, skillWidenPerSec: 25, skillMaxRange: 1000 })
    s.add('a', { skill: 1000 })
    s.add('b', { skill: 1150 }) // spread 150: needs both ranges at 150, i.e. 2 s of waiting each
    s.at(1_000)
    expect(s.tick()).toEqual([])
    s.at(1_999)
    expect(s.tick()).toEqual([])
    s.at(2_000)
    expect(matched(s.tick())).toEqual([['a', 'b']])

    // A newcomer's narrow range holds back a match with a player who waited long.
    const t = setup({ skillRange: 100, skillWidenPerSec: 25 })
    t.add('old', { skill: 1000 })
    t.at(10_000)
    t.add('new', { skill: 1300 })
    expect(t.tick()).toEqual([]) // old accepts 350, new only 100
    t.at(17_999)
    expect(t.tick()).toEqual([])
    t.at(18_000) // new waited 8 s: 100 + 200 = 300
    expect(matched(t.tick())).toEqual([['old', 'new']])
  })

  it('serves the longest-waiting player first, with the closest skill first; never wider than skillMaxRange', () => {
    const s = setup({ skillRange: 100, skillWidenPerSec: 25, skillMaxRange: 300 })
    s.add('a', { skill: 1000 })
    s.at(1_900)
    s.add('far', { skill: 1099 })
    s.add('near', { skill: 1050 })
    expect(matched(s.tick())).toEqual([['a', 'near']])
    expect(s.q.waiting()).toBe(1)

    const capped = setup({ skillRange: 100, skillWidenPerSec: 1000, skillMaxRange: 300, timeoutMs: 2 * 3_600_000 })
    capped.add('x', { skill: 0 })
    capped.add('y', { skill: 301 })
    capped.at(3_600_000)
    expect(capped.tick()).toEqual([])
  })

  it('matches only equal sameAttributes (region), however long they wait', () => {
    const s = setup({ sameAttributes: ['region'], timeoutMs: 10 * 60_000 })
    s.add('eu1', { region: 'eu' })
    s.add('us1', { region: 'us' })
    s.at(5 * 60_000)
    expect(s.tick()).toEqual([])
    s.add('eu2', { region: 'eu' })
    expect(matched(s.tick())).toEqual([['eu1', 'eu2']])
    expect(s.q.waiting()).toBe(1)
  })

  it('keeps parties together: a party is matched whole or not at all, and waits for all its members', () => {
    const s = setup({ size: 4, skillRange: 300 })
    const party = { id: 'party-0123456789abcdef', size: 3 }
    s.add('p1', { skill: 1000 }, party)
    s.add('p2', { skill: 1200 }, party)
    s.add('solo1', { skill: 1100 })
    s.add('solo2', { skill: 1100 })
    // The party is not complete: the two solos cannot fill 4 alone.
    expect(s.tick()).toEqual([])
    s.add('p3', { skill: 1100 }, party)
    const [m] = matched(s.tick())
    expect(new Set(m)).toEqual(new Set(['p1', 'p2', 'p3', 'solo1']))
    expect(s.q.waiting()).toBe(1)

    // Two parties of 2 never fill a match of 3 by splitting one.
    const t = setup({ size: 3 })
    t.add('a1', {}, { id: 'aaaaaaaaaaaaaaaa', size: 2 })
    t.add('a2', {}, { id: 'aaaaaaaaaaaaaaaa', size: 2 })
    t.add('b1', {}, { id: 'bbbbbbbbbbbbbbbb', size: 2 })
    t.add('b2', {}, { id: 'bbbbbbbbbbbbbbbb', size: 2 })
    expect(t.tick()).toEqual([])
    t.add('c')
    expect(matched(t.tick())).toEqual([['a1', 'a2', 'c']])
  })

  it('refuses a party member who disagrees with the party (size, region) or one member too many', () => {
    const s = setup({ size: 4 })
    const id = 'pppppppppppppppp'
    expect(s.add('p1', { region: 'eu' }, { id, size: 2 })).toBe('queued')
    expect(s.add('x', { region: 'eu' }, { id, size: 3 })).toBe('party-mismatch')
    expect(s.add('y', { region: 'us' }, { id, size: 2 })).toBe('party-mismatch')
    expect(s.add('p2', { region: 'eu' }, { id, size: 2 })).toBe('queued')
    expect(s.add('z', { region: 'eu' }, { id, size: 2 })).toBe('party-mismatch')
    expect(s.q.waiting()).toBe(2)
  })

  it('cancel removes a waiting player: it is never matched', () => {
    const s = setup()
    s.add('a')
    expect(s.q.cancel('a')).toBe(true)
    expect(s.q.cancel('a')).toBe(false)
    s.add('b')
    expect(s.tick()).toEqual([])
    s.add('c')
    expect(matched(s.tick())).toEqual([['b', 'c']])
    expect(s.q.queueCount()).toBe(0)
  })

  it('times a wait out at timeoutMs (a party member on its own), and caps a queue at maxWaiting', () => {
    const s = setup({ size: 3, timeoutMs: 30_000, maxWaiting: 3 })
    s.add('a')
    s.at(10_000)
    s.add('p1', {}, { id: 'qqqqqqqqqqqqqqqq', size: 2 })
    s.add('b')
    expect(s.add('over')).toBe('queue-full')
    s.at(29_999)
    expect(s.tick()).toEqual([])
    s.at(30_000)
    expect(expired(s.tick())).toEqual(['a'])
    s.at(40_000)
    expect(expired(s.tick())).toEqual(['p1', 'b'])
    expect(s.q.waiting()).toBe(0)
  })

  it('is deterministic: the same arrivals and clock give the same matches', () => {
    const run = () => {
      const s = setup({ size: 2, skillRange: 50, skillWidenPerSec: 10 })
      const skills = [1500, 1210, 1000, 1490, 1230, 980, 1600, 1205]
      const all: string[][] = []
      for (let t = 0, next = 0; t <= 30_000; t += 250) {
        s.at(t)
        for (; next < skills.length && next * 300 <= t; next++) s.add(`p${next}`, { skill: skills[next] })
        all.push(...matched(s.tick()))
      }
      return all
    }
    const first = run()
    expect(first).toEqual(run())
    // p0/p3 as soon as p3 is in (spread 10), p1/p4 (20), p2/p5 (20); p6/p7 (395 apart) would need 34.5 s of widening.
    expect(first).toEqual([['p0', 'p3'], ['p1', 'p4'], ['p2', 'p5']])
  })
})
