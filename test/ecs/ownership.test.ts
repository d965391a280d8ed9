// The ownership room (src/ecs/ownership.ts) on its own: this peer is "b"; "a" and "c" are ready peers whose
// messages the test hands to the room, and what the room sends is read from their outboxes. Every peer's clock
// has its own large origin.
import { entityExists } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { Invalid, STALL } from '../../src/ecs/context.js'
import { createMemoryNetwork } from '../../src/transport/memory/index.js'
import { kinds, readyPeer, roomPeer, takeOutbox } from './helpers/rooms.js'

const HOUR = 3600_000

function setup(mine: number) {
  const hub = createMemoryNetwork({ seed: 3 })
  const b = roomPeer(hub, 'b', 7 * HOUR, { admittedAt: mine })
  const a = readyPeer(b.ctx, 'a', 2 * HOUR) // admitted first, unless `mine` is earlier
  const c = readyPeer(b.ctx, 'c', 9 * HOUR)
  takeOutbox(a)
  takeOutbox(c)
  const { ownership, registry } = b.ctx
  /** An entity spawned by `a` (slot `slot`), as b sees it. */
  const spawnOfA = (n: number, persistent: boolean) => {
    b.ctx.spawns.onSpawn(a, { id: { origin: 'a', n }, slot: n, persistent, epoch: 0, components: [] })
    return registry.lookup({ origin: 'a', n })!
  }
  return { hub, b, a, c, ownership, registry, spawnOfA }
}

const thrown = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    return e instanceof Invalid ? e.reason : `not Invalid: ${(e as Error).message}`
  }
  return 'nothing thrown'
}

describe('ownership room', () => {
  it('accepts a message only from the owner at the current epoch; a newer epoch waits; anything else is invalid', () => {
    const { a, c, ownership, spawnOfA } = setup(8 * HOUR)
    const rec = spawnOfA(0, true)
    expect(ownership.check(rec, a, 0)).toBeUndefined()
    expect(ownership.check(rec, a, 1)).toBe(STALL) // a transfer we have not seen yet leads there
    expect(thrown(() => ownership.check(rec, c, 0))).toBe('notOwner')
    rec.epoch = 2
    expect(thrown(() => ownership.check(rec, a, 1))).toBe('notOwner') // an old epoch
    expect(ownership.check(undefined, a, 3)).toBe(STALL) // an entity whose spawn or transfer is still on its way
    expect(thrown(() => ownership.check(undefined, a, 0))).toBe('unknownEntity')
  })

  it('a transfer to us: we own it at the new epoch under a fresh slot, our request resolves true, and we claim it', async () => {
    const { a, c, ownership, registry, spawnOfA } = setup(8 * HOUR)
    const rec = spawnOfA(0, false)
    const won = ownership.request(rec.eid)
    expect(ownership.request(rec.eid)).toBe(won) // one request per entity
    const [req] = takeOutbox(a)
    expect(req.body).toMatchObject({ $case: 'ownershipRequest', value: { id: { origin: 'a', n: 0 } } })
    expect(ownership.onTransfer(a, { id: rec.id!, newOwner: 'b', epoch: 1, requestId: 1, components: [], scoped: false, viewers: [] })).toBeUndefined()
    expect(await won).toBe(true)
    expect(registry.isOwned(rec.eid)).toBe(true)
    expect(rec).toMatchObject({ owner: 'b', epoch: 1 })
    expect(a.slots.get(0)).toBeNull() // a's late deltas for its old slot are stale, not invalid
    for (const p of [a, c]) {
      const [claim] = takeOutbox(p)
      expect(claim.body).toMatchObject({ $case: 'ownershipClaim', value: { id: rec.id, epoch: 1, slot: rec.slot } })
    }
  })

  it('the first request wins: the owner broadcasts the transfer with the full state, a later request is denied', async () => {
    const { a, c, ownership, registry, spawnOfA } = setup(8 * HOUR)
    const rec = spawnOfA(0, false)
    ownership.onTransfer(a, { id: rec.id!, newOwner: 'b', epoch: 1, requestId: 0, components: [], scoped: false, viewers: [] })
    takeOutbox(a)
    takeOutbox(c)
    ownership.onRequest(c, { id: rec.id!, requestId: 7 })
    expect(registry.isOwned(rec.eid)).toBe(false)
    expect(rec).toMatchObject({ owner: 'c', epoch: 2, slot: -1 })
    for (const p of [a, c]) {
      const [t] = takeOutbox(p)
      expect(t.body).toMatchObject({ $case: 'ownershipTransfer', value: { id: rec.id, newOwner: 'c', epoch: 2, requestId: 7 } })
    }
    ownership.onRequest(a, { id: rec.id!, requestId: 8 })
    expect(kinds(takeOutbox(a))).toEqual(['ownershipDeny'])
    expect(kinds(takeOutbox(c))).toEqual([])
    expect(rec.owner).toBe('c')
  })

  it('the owner leaves: a persistent entity passes to the longest-connected peer, others are despawned', async () => {
    const { a, b, ownership, registry, spawnOfA } = setup(8 * HOUR)
    const kept = spawnOfA(0, true)
    const gone = spawnOfA(1, false)
    const asked = ownership.request(gone.eid)
    // c becomes the owner of both (transfers from a), then leaves.
    for (const rec of [kept, gone]) ownership.onTransfer(a, { id: rec.id!, newOwner: 'c', epoch: 1, requestId: 0, components: [], scoped: false, viewers: [] })
    expect(await asked).toBe(false) // it went to c
    b.ctx.peers.leave('c', 'closed')
    expect(registry.get(gone.eid)).toBeUndefined()
    expect(entityExists(b.world, gone.eid)).toBe(false)
    // a connected at 2 h, b at 8 h, c is gone: a inherits, at the next epoch.
    expect(kept).toMatchObject({ owner: 'a', epoch: 2, slot: -1 })
    expect(registry.isOwned(kept.eid)).toBe(false)
  })

  it('when we are the longest-connected, we inherit and claim it to everyone', () => {
    const { c, b, registry, spawnOfA } = setup(1 * HOUR)
    const kept = spawnOfA(0, true)
    takeOutbox(c)
    b.ctx.peers.leave('a', 'timeout')
    expect(registry.isOwned(kept.eid)).toBe(true)
    expect(kept).toMatchObject({ owner: 'b', epoch: 1 })
    const [claim] = takeOutbox(c)
    expect(claim.body).toMatchObject({ $case: 'ownershipClaim', value: { id: kept.id, epoch: 1, slot: kept.slot } })
  })
})
