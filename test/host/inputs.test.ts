// Host mode inputs: every tick each client sends its input on the unreliable channel with the two before it; the
// host applies each once, in order, per client, and acknowledges the last applied one in its state packets.
import { describe, expect, it } from 'vitest'
import { MoveInput } from '../../generated/game/schema.js'
import { decodeInputPacket, encodeInputPacket, INPUT_PACKET, wrapHostState } from '../../src/protocol/input-format.js'
import { createHostHarness } from './helpers.js'

/** Runs 3 clients sending 300 inputs each over links losing `loss` of unreliable packets; returns what the host applied. */
function run(loss: number, inputRedundancy?: number) {
  const h = createHostHarness(3, { link: { loss, latency: 20, jitter: 10 }, client: () => (inputRedundancy ? { inputRedundancy } : {}) })
  h.step(5)
  const applied = new Map<string, { seq: number; dx: number }[]>()
  h.host.net.onInput(MoveInput, (input, from, seq) => {
    let list = applied.get(from.id)
    if (!list) applied.set(from.id, (list = []))
    list.push({ seq, dx: input.dx })
  })
  const sent = new Map<string, number[]>()
  let tick = 0
  h.step(300, () => {
    tick++
    for (const [i, c] of h.clients.entries()) {
      const dx = (i + 1) * 0.25 + tick / 64 // exact in float32
      const seq = c.net.sendInput(MoveInput, { dx, dz: 0, jump: false })
      sent.set(c.id, [...(sent.get(c.id) ?? []), dx])
      expect(seq).toBe(tick)
    }
  })
  h.step(10) // the last inputs arrive, their acknowledgement comes back
  return { h, applied, sent }
}

describe('host mode: inputs', () => {
  it('under 20 % loss: every input applied exactly once, in order, per client; the host acknowledges the last', () => {
    const { h, applied, sent } = run(0.2)
    for (const c of h.clients) {
      const got = applied.get(c.id)!
      const seqs = got.map((a) => a.seq)
      for (let k = 1; k < seqs.length; k++) expect(seqs[k]).toBeGreaterThan(seqs[k - 1]) // in order, never twice
      for (const a of got) expect(a.dx).toBe(sent.get(c.id)![a.seq - 1]) // the input sent under that seq
      expect(seqs.at(-1)).toBe(300)
      // Three copies of each input: lost only when three packets in a row are (0.8 %).
      expect(got.length).toBeGreaterThanOrEqual(295)
      expect(c.net.stats.host.acknowledgedInput).toBe(300)
      expect(c.net.stats.host.inputsSent).toBe(300)
    }
    const hs = h.host.net.stats.host
    expect(hs.inputsApplied + hs.inputsLost).toBe(900)
    expect(h.hub.counters(undefined, 'host').unreliable.dropped).toBeGreaterThan(100) // the links did lose packets
  })

  it('without redundancy the same loss costs about a fifth of the inputs (what the repeats save)', () => {
    const { h } = run(0.2, 1)
    const hs = h.host.net.stats.host
    expect(hs.inputsApplied + hs.inputsLost).toBe(900)
    expect(hs.inputsLost).toBeGreaterThan(100)
  })

  it('an input packet carries the newest input and the two before it', () => {
    const h = createHostHarness(1)
    h.step(5)
    const packets: Uint8Array[] = []
    h.host.transport.on('message', (_from, channel, data) => {
      if (channel === 'unreliable' && data[0] === INPUT_PACKET) packets.push(data)
    })
    const c = h.clients[0]
    for (let i = 1; i <= 4; i++) {
      c.net.sendInput(MoveInput, { dx: i, dz: 0, jump: false })
      h.step(1)
    }
    expect(packets.map((p) => decodeInputPacket(p).map((i) => i.seq))).toEqual([[1], [2, 1], [3, 2, 1], [4, 3, 2]])
    expect(MoveInput.codec.decode(decodeInputPacket(packets[3])[0].bytes).dx).toBe(4)
  })

  it('a malformed input packet, or a host state packet from a client, is dropped and struck; the inputs after it still apply', () => {
    const h = createHostHarness(1)
    h.step(5)
    const c = h.clients[0]
    const got: number[] = []
    h.host.net.onInput(MoveInput, (_i, _f, seq) => got.push(seq))
    c.net.sendInput(MoveInput, { dx: 1, dz: 0, jump: false })
    h.step(2)
    const truncated = encodeInputPacket([{ seq: 2, input: 1, bytes: new Uint8Array([13, 0, 0]) }]).subarray(0, 4)
    c.transport.send('host', 'unreliable', truncated)
    c.transport.send('host', 'unreliable', encodeInputPacket([{ seq: 9, input: 77, bytes: new Uint8Array(0) }])) // no such input
    c.transport.send('host', 'unreliable', wrapHostState(1, new Uint8Array([0xd1]))) // only the host sends these
    h.step(2)
    expect(h.host.net.stats.dropped.malformed).toBe(3)
    expect(h.host.net.stats.invalid).toBe(3)
    expect(got).toEqual([1])
    c.net.sendInput(MoveInput, { dx: 1, dz: 0, jump: false })
    h.step(2)
    expect(got).toEqual([1, 2])
  })
})
