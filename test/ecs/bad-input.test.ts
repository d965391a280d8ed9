import { describe, expect, it } from 'vitest'
import { BitWriter } from '../../src/protocol/index.js'
import { createHeader, writeHeader } from '../../src/protocol/delta-format.js'
import { writeExpGolomb } from '../../src/protocol/exp-golomb.js'
import { buildFrame, encodeMessage, PROTOCOL_VERSION, type Message } from '../../src/protocol/reliable-codec.js'
import { SpawnBatchWriter } from '../../src/protocol/spawn-codec.js'
import type { MemoryTransport } from '../../src/transport/memory/index.js'
import { createHarness, replicaOf, type Harness } from './helpers/peers.js'
import { FINGERPRINT } from '../helpers/test-schema.js'

const frame = (...m: Message[]): Uint8Array => buildFrame(m.map(encodeMessage))
/** A SpawnBatch of entities without components, `origin` an index into `origins` (0: the sender). */
const spawns = (origins: string[], entries: { origin: number; n: number }[]): Message => {
  const w = new SpawnBatchWriter([])
  for (const e of entries) w.add(e.origin, e.n, e.n, false, 0, 0, null, [], 0)
  return { body: { $case: 'spawns', value: { deltaSeq: 0, origins, body: w.finish(), refs: [] } } }
}
const hello = (): Message => ({ body: { $case: 'hello', value: { fingerprint: FINGERPRINT, protocolVersion: PROTOCOL_VERSION, connectedAt: 0, authority: 0, sessionTicket: '' } } })

/** A delta packet from scratch: `entities` = [slot, x wire value]. */
function delta(seq: number, entities: [number, number][], cut = 0): Uint8Array {
  const w = new BitWriter()
  const h = createHeader()
  h.seq = seq
  writeHeader(w, h)
  let prev = -1
  for (const [slot, x] of entities) {
    writeExpGolomb(w, slot - prev)
    if (prev === -1) writeExpGolomb(w, 0) // first entity: no baseline (absolute values)
    prev = slot
    w.writeBits(0, 1) // not same masks
    w.writeBits(1, 1) // Transform present
    w.writeBits(1, 4) // x only
    w.writeBits(x, 20)
    w.writeBits(0, 1) // Velocity absent
  }
  writeExpGolomb(w, 0)
  const out = w.finish()
  return cut > 0 ? out.subarray(0, out.length - cut) : out
}

/** p0 (victim) and p1 (honest owner of one entity) plus a raw transport 'evil' that passed the hello. */
function setup(): { h: Harness; evil: MemoryTransport; e: number; r: number } {
  const h = createHarness(2)
  const [, b] = h.peers
  const evil = h.hub.join('evil')
  h.hub.advance(1)
  evil.send('p0', 'reliable', frame(hello()))
  h.step(3)
  const e = h.spawnMover(b, { x: 4 })
  h.step(3)
  return { h, evil, e, r: replicaOf(b, e, h.peers[0])! }
}

/** Sends, then runs ticks; asserts receive() never throws. */
function deliver(h: Harness, send: () => void): void {
  send()
  h.hub.advance(1)
  expect(() => h.step(2)).not.toThrow()
}

describe('bad input is dropped, counted, and 10 invalid messages disconnect the sender', () => {
  it('each case is counted under its reason; the honest state is untouched', () => {
    const { h, evil, e, r } = setup()
    const [v, b] = h.peers
    const honestId = b.net.netIdOf(e)!
    expect(v.net.peers.map((p) => p.id).sort()).toEqual(['evil', 'p1'])
    const d = () => v.net.stats.dropped

    deliver(h, () => evil.send('p0', 'unreliable', delta(1, [[0, 5]], 2))) // truncated
    expect(d().malformed).toBe(1)
    deliver(h, () => evil.send('p0', 'reliable', new Uint8Array([0x0a, 0xff, 0xff, 0x01, 7]))) // corrupted frame
    expect(d().malformed).toBe(2)
    deliver(h, () => evil.send('p0', 'unreliable', new Uint8Array(1201))) // oversized unreliable
    deliver(h, () => evil.send('p0', 'reliable', new Uint8Array(1024 * 1024 + 1))) // oversized reliable
    expect(d().oversized).toBe(2)
    deliver(h, () => evil.send('p0', 'reliable', frame({ body: { $case: 'spawns', value: { deltaSeq: 0, origins: [], body: new Uint8Array([0xff, 0xff]), refs: [] } } })))
    expect(d().malformed).toBe(3) // a truncated spawn batch
    expect(v.net.stats.entities.remote).toBe(1)
    deliver(h, () => evil.send('p0', 'unreliable', delta(2, [[5, 1000]]))) // unknown entity (slot never announced)
    expect(d().unknownEntity).toBe(1)
    // Forged ownership: updating, transferring, despawning p1's entity, spawning in p1's name.
    deliver(h, () => evil.send('p0', 'reliable', frame({ body: { $case: 'componentUpdate', value: { id: honestId, epoch: 0, component: { component: 3, mask: 1, state: new Uint8Array([0]), refs: [] } } } })))
    deliver(h, () => evil.send('p0', 'reliable', frame({ body: { $case: 'ownershipTransfer', value: { id: honestId, newOwner: 'evil', epoch: 1, requestId: 1, components: [], scoped: false, viewers: [] } } })))
    deliver(h, () => evil.send('p0', 'reliable', frame({ body: { $case: 'despawn', value: { id: honestId, epoch: 0, culled: false } } })))
    expect(d().notOwner).toBe(3)
    expect(v.net.stats.invalid).toBe(9)
    expect(v.net.ownerOf(r)).toBe('p1')
    expect(v.s.Transform.x[r]).toBeCloseTo(4, 3)
    expect(v.net.stats.disconnects).toBe(0)
    // The tenth (a spawn in p1's name): disconnected.
    let evilLeft = ''
    evil.on('peerLeft', (id, reason) => (evilLeft = `${id}: ${reason}`))
    deliver(h, () => evil.send('p0', 'reliable', frame(spawns(['p1'], [{ origin: 1, n: 9 }]))))
    expect(d().notOwner).toBe(4)
    expect(v.net.stats.invalid).toBe(10)
    expect(v.net.stats.disconnects).toBe(1)
    expect(evilLeft).toBe('p0: too many invalid messages')
    expect(v.net.peers.map((p) => p.id)).toEqual(['p1'])
    // Nothing from it is processed any more.
    deliver(h, () => evil.send('p0', 'unreliable', delta(3, [[0, 1]], 3)))
    expect(v.net.stats.invalid).toBe(10)
    // The honest peer is unaffected.
    b.s.Transform.x[e] = 8
    h.step(3)
    expect(v.s.Transform.x[r]).toBeCloseTo(8, 3)
    expect(b.net.stats.invalid).toBe(0)
  })

  it('a reliable frame with no message (empty, or only a field we do not know) is malformed and struck', () => {
    const { h, evil } = setup()
    const [v] = h.peers
    for (const empty of [new Uint8Array([0x10, 0x01]), new Uint8Array(0), frame()]) deliver(h, () => evil.send('p0', 'reliable', empty))
    expect(v.net.stats.dropped.malformed).toBe(3)
    expect(v.net.stats.invalid).toBe(3)
  })

  it('a peer that skips the hello is invalid; stale and duplicate packets are dropped without a strike', () => {
    const h = createHarness(2, { link: { latency: 10, duplicate: 1 } })
    const [v] = h.peers
    const rude = h.hub.join('rude')
    h.hub.advance(1)
    rude.send('p0', 'reliable', frame({ body: { $case: 'event', value: { event: 1, payload: new Uint8Array(), refs: [] } } }))
    h.step(20)
    expect(v.net.stats.invalid).toBe(1)
    // Every unreliable packet p1 → p0 arrives twice: the copies are dropped as duplicates, not struck.
    expect(v.net.stats.dropped.duplicate).toBeGreaterThan(15)
    expect(v.net.peers.find((p) => p.id === 'p1')).toBeDefined()
  })
})

describe('inbound queue bounds', () => {
  it('a flood never grows the queue past 4096 messages / 16 MiB; the excess is dropped and counted', () => {
    const { h, evil } = setup()
    const [v] = h.peers
    const junk = new Uint8Array(1100)
    for (let i = 0; i < 10_000; i++) evil.send('p0', 'unreliable', junk)
    h.hub.advance(1)
    expect(v.net.stats.queue.messages).toBe(4096)
    expect(v.net.stats.queue.bytes).toBeLessThanOrEqual(4096 * 1100)
    // (one slot may hold an honest 14-byte packet from p1 that arrived in the same millisecond)
    expect(v.net.stats.dropped.queueFull).toBeGreaterThanOrEqual(10_000 - 4096)
    expect(v.net.stats.dropped.queueFull).toBeLessThanOrEqual(10_000 - 4095)
    expect(() => v.net.receive()).not.toThrow()
    expect(v.net.stats.queue.messages).toBe(0)
    expect(v.net.stats.disconnects).toBe(1) // the first 10 junk packets got it disconnected
    expect(v.net.stats.dropped.notReady).toBeGreaterThanOrEqual(4096 - 11)
  })

  it('the byte bound holds too (16 MiB default; here 1 MiB via limits)', () => {
    const h = createHarness(1, { net: { limits: { maxQueuedBytes: 1024 * 1024 } } })
    const [v] = h.peers
    const evil = h.hub.join('evil')
    h.hub.advance(1)
    h.step(1)
    const big = new Uint8Array(1000 * 1000)
    for (let i = 0; i < 5; i++) evil.send('p0', 'reliable', big)
    h.hub.advance(1)
    expect(v.net.stats.queue.messages).toBe(1)
    expect(v.net.stats.queue.bytes).toBe(1000 * 1000)
    expect(v.net.stats.dropped.queueFull).toBe(4)
  })
})
