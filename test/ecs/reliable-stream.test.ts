// The reliable stream (src/ecs/reliable-stream.ts) on its own, between real peers' contexts over the in-memory
// transport: frames as they go on the wire, in-order processing, a stalled inbox retried after the others, the
// inbox bound, and a bad message counted without stopping the stream. The stream knows no message kinds: here its
// messages are events whose ids number them, handled by the test's own handler.
import { describe, expect, it } from 'vitest'
import { Invalid, STALL, type Outcome } from '../../src/ecs/context.js'
import type { PeerState } from '../../src/ecs/peers.js'
import { PACED_FRAME_BYTES, ReliableStream } from '../../src/ecs/reliable-stream.js'
import { decodeFrame, encodeMessage, type Message } from '../../src/protocol/reliable-codec.js'
import { createMemoryNetwork } from '../../src/transport/memory/index.js'
import { roomPeer, type RoomPeer } from './helpers/rooms.js'

const HOUR = 3600_000
const event = (n: number, bytes = 0): Uint8Array => encodeMessage({ body: { $case: 'event', value: { event: n, payload: new Uint8Array(bytes), refs: [] } } })
const numberOf = (m: Message): number => (m.body?.$case === 'event' ? m.body.value.event : -1)

/** Peers a, b (and c) on one hub; every reliable frame b receives is kept, in order, with its sender. */
function setup(limits: { a?: object; b?: object } = {}) {
  const hub = createMemoryNetwork({ seed: 2 })
  const a = roomPeer(hub, 'a', 3 * HOUR, { limits: limits.a })
  const b = roomPeer(hub, 'b', 11 * HOUR, { limits: limits.b })
  const c = roomPeer(hub, 'c', 6 * HOUR)
  const frames: { from: string; data: Uint8Array }[] = []
  b.ctx.transport.on('message', (from, channel, data) => {
    if (channel === 'reliable') frames.push({ from, data })
  })
  hub.advance(0)
  const link = (from: RoomPeer, to: string): PeerState => {
    from.ctx.peers.join({ id: to, did: null, admittedAt: 0 })
    return from.ctx.peers.get(to)!
  }
  const aToB = link(a, 'b')
  const cToB = link(c, 'b')
  link(b, 'a')
  link(b, 'c')
  hub.advance(1)
  frames.length = 0 // the hellos
  return { hub, a, b, c, frames, aToB, cToB }
}

describe('reliable stream', () => {
  it(`batches a peer's queued messages into frames of at most ${PACED_FRAME_BYTES} bytes, in order`, () => {
    const { hub, a, aToB, frames } = setup()
    const indices = []
    for (let n = 1; n <= 2500; n++) indices.push(a.ctx.stream.queue(aToB, event(n)))
    expect(indices[0]).toBe(2) // the hello is message 1 of the stream
    expect(indices.at(-1)).toBe(2501)
    a.ctx.stream.flush()
    hub.advance(1)
    const batches = frames.map((f) => decodeFrame(f.data).map(numberOf))
    expect(frames.every((f) => f.data.length <= PACED_FRAME_BYTES)).toBe(true)
    expect(frames.slice(0, -1).every((f) => f.data.length > PACED_FRAME_BYTES - 8)).toBe(true) // full but the last
    expect(batches.flat()).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1))
    expect(aToB.stream.outHead).toBe(aToB.stream.outbox.length)
  })

  it('keeps every frame within maxReliableBytes; a larger message goes in a frame of its own', () => {
    const { hub, a, aToB, frames } = setup({ a: { maxReliableBytes: 1000 } })
    for (let n = 1; n <= 100; n++) a.ctx.stream.queue(aToB, event(n, 100))
    a.ctx.stream.queue(aToB, event(101, 2000))
    a.ctx.stream.queue(aToB, event(102, 100))
    a.ctx.stream.flush()
    hub.advance(1)
    const per = Math.floor(1000 / (event(1, 100).length + 2)) // a message costs its bytes, its tag and its length
    const counts = frames.map((f) => decodeFrame(f.data).length)
    expect(counts.slice(0, -3)).toEqual(Array(counts.length - 3).fill(per))
    expect(counts.slice(-2)).toEqual([1, 1])
    expect(frames.slice(0, -2).every((f) => f.data.length <= 1000)).toBe(true)
    expect(frames.flatMap((f) => decodeFrame(f.data).map(numberOf))).toEqual(Array.from({ length: 102 }, (_, i) => i + 1))
  })

  it("processes each peer's messages in order; a stalled one waits until another peer's message it depends on ran", () => {
    const { hub, a, b, c, aToB, cToB, frames } = setup()
    const ran: string[] = []
    let unlocked = false
    const stream = new ReliableStream(b.ctx, (p, m): Outcome => {
      const n = numberOf(m)
      if (p.id === 'a' && n === 2 && !unlocked) return STALL // e.g. a despawn at an epoch whose transfer comes from c
      if (p.id === 'c' && n === 100) unlocked = true
      ran.push(`${p.id}:${n}`)
    })
    for (const n of [1, 2, 3]) a.ctx.stream.queue(aToB, event(n))
    a.ctx.stream.flush()
    hub.advance(1)
    for (const f of frames.splice(0)) stream.receive(b.ctx.peers.get(f.from)!, f.data)
    expect(ran).toEqual(['a:1'])
    const fromA = b.ctx.peers.get('a')!
    expect(fromA.stream.processed).toBe(1) // what b's delta headers acknowledge to a
    stream.runAll()
    expect(ran).toEqual(['a:1']) // still waiting: nothing it depends on arrived
    c.ctx.stream.queue(cToB, event(100))
    c.ctx.stream.flush()
    hub.advance(1)
    for (const f of frames.splice(0)) stream.receive(b.ctx.peers.get(f.from)!, f.data)
    stream.runAll()
    expect(ran).toEqual(['a:1', 'c:100', 'a:2', 'a:3'])
    expect(fromA.stream.processed).toBe(3)
    expect(fromA.stream.inbox).toEqual([]) // emptied once drained
  })

  it('a stall is bounded: after maxStallMs the message is handed over once more as overdue, then the stream goes on', () => {
    const { hub, a, b, aToB, frames } = setup({ b: { maxStallMs: 2000 } })
    const ran: string[] = []
    const stream = new ReliableStream(b.ctx, (_p, m, overdue): Outcome => {
      const n = numberOf(m)
      ran.push(`${n}${overdue ? ' (overdue)' : ''}`)
      if (n === 2) return STALL // waits for a change that never comes (its sender left), overdue or not
    })
    for (const n of [1, 2, 3]) a.ctx.stream.queue(aToB, event(n))
    a.ctx.stream.flush()
    hub.advance(1)
    for (const f of frames.splice(0)) stream.receive(b.ctx.peers.get(f.from)!, f.data)
    expect(ran).toEqual(['1', '2'])
    hub.advance(1999)
    stream.runAll()
    expect(ran).toEqual(['1', '2', '2'])
    hub.advance(1)
    stream.runAll()
    // Overdue and still waiting: dropped as stale (not struck), and the stream goes on.
    expect(ran).toEqual(['1', '2', '2', '2 (overdue)', '3'])
    const fromA = b.ctx.peers.get('a')!
    expect(fromA.stream.processed).toBe(3)
    expect(b.ctx.stats.dropped.stale).toBe(1)
    expect(fromA.invalid).toBe(0)
  })

  it('bounds what may wait: a frame beyond maxQueuedMessages waiting messages is dropped and struck', () => {
    const { hub, a, b, aToB, frames } = setup({ b: { maxQueuedMessages: 8 } })
    const stream = new ReliableStream(b.ctx, () => STALL) // nothing ever unblocks
    for (let k = 0; k < 3; k++) {
      for (let n = 0; n < 5; n++) a.ctx.stream.queue(aToB, event(k * 5 + n))
      a.ctx.stream.flush()
    }
    hub.advance(1)
    for (const f of frames.splice(0)) stream.receive(b.ctx.peers.get(f.from)!, f.data)
    const fromA = b.ctx.peers.get('a')!
    expect(fromA.stream.inbox.length).toBe(10) // 5 waiting ≤ 8: the second frame got in; 10 > 8: not the third
    expect(b.ctx.stats.dropped.queueFull).toBe(1)
    expect(fromA.invalid).toBe(1)
  })

  it('a message that throws is counted under its reason and struck; the stream goes on', () => {
    const { hub, a, b, aToB, frames } = setup()
    const ran: number[] = []
    const stream = new ReliableStream(b.ctx, (_p, m) => {
      const n = numberOf(m)
      if (n === 3) throw new Invalid('notOwner', 'forged')
      if (n === 4) throw new Error('a decoder bug')
      ran.push(n)
    })
    for (let n = 1; n <= 5; n++) a.ctx.stream.queue(aToB, event(n))
    a.ctx.stream.flush()
    hub.advance(1)
    for (const f of frames.splice(0)) stream.receive(b.ctx.peers.get(f.from)!, f.data)
    expect(ran).toEqual([1, 2, 5])
    expect(b.ctx.stats.dropped).toMatchObject({ notOwner: 1, malformed: 1 })
    const fromA = b.ctx.peers.get('a')!
    expect(fromA.invalid).toBe(2)
    expect(fromA.stream.processed).toBe(5)
    stream.receive(fromA, new Uint8Array([0x0a, 0xff])) // not a frame
    expect(b.ctx.stats.dropped.malformed).toBe(2)
    expect(fromA.invalid).toBe(3)
  })
})
