// The HUD (peers with RTT, kbit/s per channel, loss, entities, tick rate: all from net.stats / net.peers) and the
// "network conditions" panel (withLinkConditions on this tab's transport).
import type { Game } from './game.js'

const kbit = (bytesPerSecond: number): string => ((bytesPerSecond * 8) / 1000).toFixed(1).padStart(7)

/** Screens where the full HUD would cover the scene: it starts folded to its one-line summary (tap to open). */
const SMALL = '(max-width: 700px), (max-height: 560px)'

export function startHud(el: HTMLElement, summary: HTMLElement, panel: HTMLDetailsElement, game: Game): void {
  const small = matchMedia(SMALL)
  const fold = () => (panel.open = !small.matches)
  fold()
  small.addEventListener('change', fold)
  const render = () => {
    const { net, transport } = game
    const s = net.stats
    const lines = [
      `me      ${game.myName()}${transport.self?.did ? '  (' + transport.self.did.slice(0, 20) + '…)' : ''}`,
      `relay   ${transport.status}`,
      `peers   ${net.peers.length}`,
      ...net.peers.map((p) => `  ${game.nameOf(p.id).slice(0, 18).padEnd(18)} rtt ${p.rtt.toFixed(1).padStart(6)} ms  loss ${(p.loss * 100).toFixed(1).padStart(5)} %`),
      ...net.peers.map((p) => `  ${''.padEnd(18)} budget ${kbit(p.sendBudget)} kbit/s  path ${p.capacity > 0 ? kbit(p.capacity) : '      ?'}  queue ${p.queueDelay.toFixed(0)} ms`),
      `kbit/s        up    down`,
      `reliable   ${kbit(s.sentPerSecond.reliable.bytes)} ${kbit(s.receivedPerSecond.reliable.bytes)}`,
      `unreliable ${kbit(s.sentPerSecond.unreliable.bytes)} ${kbit(s.receivedPerSecond.unreliable.bytes)}`,
      `loss     ${(s.loss * 100).toFixed(1)} %   dropped ${Object.values(s.dropped).reduce((a, b) => a + b, 0)}`,
      `entities ${s.entities.owned} own / ${s.entities.remote} remote   put off ${s.congestion.deferred}`,
      `tick     ${game.ticksPerSecond} Hz (target ${net.tickRate})   render ${Number.isFinite(game.fps) ? game.fps.toFixed(0) : 0} fps`,
    ]
    const c = transport.conditions
    if (c.loss || c.latency || c.jitter || c.bandwidth) {
      const k = transport.conditionsCounters
      const bw = c.bandwidth ? `, ${kbit(c.bandwidth).trim()} kbit/s` : ''
      lines.push(`simulated ${c.latency} ± ${c.jitter} ms, ${(c.loss! * 100).toFixed(0)} % loss${bw}: dropped ${k.droppedSent} out / ${k.droppedReceived} in`)
    }
    el.textContent = lines.join('\n')
    const rtts = net.peers.map((p) => p.rtt)
    summary.textContent = `${transport.status} · ${net.peers.length} peer${net.peers.length === 1 ? '' : 's'}${rtts.length ? ` · rtt ${Math.max(...rtts).toFixed(0)} ms` : ''} · ${game.ticksPerSecond} Hz`
  }
  render()
  setInterval(render, 500)
}

export function startConditionsPanel(game: Game): void {
  const inputs = {
    loss: document.querySelector<HTMLInputElement>('#c-loss')!,
    latency: document.querySelector<HTMLInputElement>('#c-latency')!,
    jitter: document.querySelector<HTMLInputElement>('#c-jitter')!,
    bandwidth: document.querySelector<HTMLInputElement>('#c-bandwidth')!,
  }
  const apply = () => {
    game.transport.setConditions({
      loss: Number(inputs.loss.value) / 100,
      latency: Number(inputs.latency.value),
      jitter: Number(inputs.jitter.value),
      bandwidth: Number(inputs.bandwidth.value) * 125, // kbit/s → bytes/s
    })
    show()
  }
  const units = { loss: '%', latency: 'ms', jitter: 'ms', bandwidth: 'kbit/s' }
  // The sliders show the conditions in force, whoever set them (this panel, or setConditions from code or the console).
  const show = () => {
    const c = game.transport.conditions
    const values = { loss: Math.round((c.loss ?? 0) * 100), latency: c.latency ?? 0, jitter: c.jitter ?? 0, bandwidth: Math.round((c.bandwidth ?? 0) / 125) }
    for (const [k, input] of Object.entries(inputs) as [keyof typeof values, HTMLInputElement][]) {
      if (input.value !== String(values[k])) input.value = String(values[k])
      input.nextElementSibling!.textContent = k === 'bandwidth' && values[k] === 0 ? '∞' : `${values[k]} ${units[k]}`
    }
  }
  for (const i of Object.values(inputs)) i.addEventListener('input', apply)
  show()
  setInterval(show, 250)
}
