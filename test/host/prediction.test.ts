// Host mode prediction: a client's own entity answers its inputs at once, is reconciled with the host's state (the
// inputs the host has not applied replayed on it), and a correction is eased in by the visual offset.
import type { World } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { MoveInput, type GameSchema } from '../../generated/game/schema.js'
import type { Divergence } from '../../src/index.js'
import { createHostHarness, TICK_MS, type HostHarness } from './helpers.js'

const DX = 0.125

/**
 * Host and one client, 50 ms each way (100 ms RTT); the host moves the client's entity by its inputs, and with
 * `knockback` also pushes it back 1 unit at that input: what the client cannot predict.
 */
function setup(options: { knockback?: number; correctionHalfLife?: number; predict?: boolean; determinismCheck?: boolean } = {}) {
  const h: HostHarness = createHostHarness(1, {
    link: { latency: 50 },
    client: () => ({ correctionHalfLife: options.correctionHalfLife ?? 100, determinismCheck: options.determinismCheck === true }),
  })
  h.step(3)
  const c = h.clients[0]
  const onHost = h.spawnFor(c, 0)
  const move = (g: GameSchema) => (_w: World, eid: number, input: MoveInput) => {
    g.Transform.x[eid] += input.dx
  }
  const hostMove = move(h.host.g)
  h.host.net.onInput(MoveInput, (input, _from, seq) => {
    hostMove(h.host.world, onHost, input)
    if (seq === options.knockback) h.host.g.Transform.x[onHost] -= 1
  })
  h.step(6)
  const me = h.replica(c, onHost)!
  if (options.predict !== false) c.net.predict(me, MoveInput, move(c.g)) // the same step, without the knockback
  const view = c.net.interpolated(c.g.Transform)
  return { h, c, me, onHost, view }
}

describe('host mode: prediction and reconciliation', () => {
  it('at 100 ms RTT the predicted entity shows each input at once (0 frames of latency) and never mispredicts', () => {
    const { h, c, me, view } = setup()
    let sent = 0
    h.step(90, () => {
      const before = view.x[me]
      c.net.sendInput(MoveInput, { dx: DX, dz: 0, jump: false })
      sent++
      expect(c.g.Transform.x[me] - before).toBeCloseTo(DX, 3) // the store moved, before any flush or round trip
      expect(view.x[me] - before).toBeCloseTo(DX, 3) // and so did what is drawn
      expect(view.x[me]).toBeCloseTo(sent * DX, 2)
    })
    expect(c.net.stats.host.mispredictions).toBe(0)
    expect(c.net.stats.host.acknowledgedInput).toBeGreaterThan(80) // the host applied them (a round trip behind)
    h.step(10)
    expect(h.host.g.Transform.x[h.host.net.eidOf(c.net.netIdOf(me)!)!]).toBeCloseTo(90 * DX, 3)
    expect(view.x[me]).toBeCloseTo(90 * DX, 2)
  })

  it('under 20 % loss and 30 ms jitter it mispredicts only where the host lost an input', () => {
    const h = createHostHarness(1, { link: { latency: 50, jitter: 30, loss: 0.2 }, seed: 11 })
    h.step(3)
    const c = h.clients[0]
    const onHost = h.spawnFor(c, 0)
    const move = (g: GameSchema) => (_w: World, eid: number, input: MoveInput) => {
      g.Transform.x[eid] += input.dx
    }
    const hostMove = move(h.host.g)
    h.host.net.onInput(MoveInput, (input) => hostMove(h.host.world, onHost, input))
    h.step(6)
    const me = h.replica(c, onHost)!
    c.net.predict(me, MoveInput, move(c.g))
    let seq = 0
    h.step(300, () => {
      seq = c.net.sendInput(MoveInput, { dx: DX * Math.sin(seq / 10), dz: 0, jump: false })
    })
    h.step(10)
    expect(c.net.stats.host.mispredictions).toBeLessThanOrEqual(h.host.net.stats.host.inputsLost)
    expect(c.g.Transform.x[me]).toBeCloseTo(h.host.g.Transform.x[onHost], 3)
  })

  it('without predict the same input shows only a round trip later (what prediction saves)', () => {
    const { h, c, me, view } = setup({ predict: false })
    let firstMoved = -1
    let tick = 0
    h.step(30, () => {
      tick++
      c.net.sendInput(MoveInput, { dx: DX, dz: 0, jump: false })
      if (firstMoved < 0 && c.g.Transform.x[me] > 0) firstMoved = tick
    })
    expect(view.x[me]).toBeLessThanOrEqual(27 * DX) // at least three inputs behind
    expect(firstMoved).toBeGreaterThanOrEqual(3) // ≥ 100 ms: the input's round trip
  })

  /** 40 inputs, the 20th knocked back by the host; returns every frame's drawn x, store x and the host's x. */
  function knockedBack(correctionHalfLife: number) {
    const { h, c, me, onHost, view } = setup({ knockback: 20, correctionHalfLife })
    const frames: { view: number; store: number; host: number }[] = []
    const record = () => frames.push({ view: view.x[me], store: c.g.Transform.x[me], host: h.host.g.Transform.x[onHost] })
    h.step(40, () => {
      record() // after receive (the reconciled state, the offset decayed)
      c.net.sendInput(MoveInput, { dx: DX, dz: 0, jump: false })
    })
    h.step(30, record) // inputs stop: the correction settles
    return { c, frames }
  }

  it('a misprediction (a knockback only the host knows) is counted once, and eased in: no step beyond the input plus the offset\'s decay', () => {
    const halfLife = 100
    const { c, frames } = knockedBack(halfLife)
    expect(c.net.stats.host.mispredictions).toBe(1)
    expect(c.net.stats.host.lastCorrection).toBeCloseTo(1, 2)
    const share = 1 - Math.pow(2, -TICK_MS / halfLife) // of the offset shown per frame
    let worst = 0
    for (let i = 1; i < frames.length; i++) {
      const step = Math.abs(frames[i].view - frames[i - 1].view)
      const offset = Math.abs(frames[i - 1].view - frames[i - 1].store)
      worst = Math.max(worst, step - (DX + share * offset))
    }
    expect(worst).toBeLessThan(1e-3)
    // Corrected: it ends where the host says, drawn there too.
    const last = frames.at(-1)!
    expect(last.store).toBeCloseTo(40 * DX - 1, 3)
    expect(last.host).toBeCloseTo(40 * DX - 1, 3)
    expect(last.view).toBeCloseTo(40 * DX - 1, 2)
  })

  it('without smoothing (correctionHalfLife 0) the same correction is one visible jump', () => {
    const { frames } = knockedBack(0)
    let biggest = 0
    for (let i = 1; i < frames.length; i++) biggest = Math.max(biggest, Math.abs(frames[i].view - frames[i - 1].view))
    expect(biggest).toBeCloseTo(1 - DX, 2)
  })

  it('determinism check: reports the first input after which the host\'s state differs from the prediction', () => {
    for (const knockback of [undefined, 20]) {
      const { h, c } = setup({ knockback, determinismCheck: true })
      const seen: Divergence[] = []
      c.net.events.on('divergence', (d) => seen.push(d))
      h.step(40, () => c.net.sendInput(MoveInput, { dx: DX, dz: 0, jump: false }))
      h.step(10)
      if (knockback === undefined) {
        expect(seen).toEqual([])
        expect(c.net.stats.host.divergences).toBe(0)
      } else {
        expect(seen).toHaveLength(1)
        expect(seen[0]).toMatchObject({ seq: 20, field: 'game.Transform.x' })
        expect(seen[0].predicted - seen[0].host).toBeCloseTo(1, 2)
        expect(c.net.stats.host.divergences).toBe(1) // after the correction, the predictions hold again
      }
    }
  })
})
