// The HUD (peers with RTT, kbit/s per channel, loss, entities, tick rate: all from net.stats / net.peers) and the
// "network conditions" panel (withLinkConditions on this tab's transport).
import type { Game } from './game.js'

const kbit = (bytesPerSecond: number): string => ((bytesPerSecond * 8) / 1000).toFixed(1).padStart(7)

export function startHud(el: HTMLElement, game: Game): void {
  const render = () => {
    const { net, transport } = game
    const s = net.stats
    const lines = [
      `me      ${game.myName()}${transport.self?.did ? '  (' + transport.self.did.slice(0, 20) + '…)' : ''}`,
      `relay   ${transport.status}`,
      `peers   ${net.peers.length}`,
      ...net.peers.map((p) => `  ${game.nameOf(p.id).slice(0, 18).padEnd(18)} rtt ${p.rtt.toFixed(1).padStart(6)} ms  loss ${(p.loss * 100).toFixed(1).padStart(5)} %`),
      `kbit/s        up    down`,
      `reliable   ${kbit(s.sentPerSecond.reliable.bytes)} ${kbit(s.receivedPerSecond.reliable.bytes)}`,
      `unreliable ${kbit(s.sentPerSecond.unreliable.bytes)} ${kbit(s.receivedPerSecond.unreliable.bytes)}`,
      `loss     ${(s.loss * 100).toFixed(1)} %   dropped ${Object.values(s.dropped).reduce((a, b) => a + b, 0)}`,
      `entities ${s.entities.owned} own / ${s.entities.remote} remote`,
      `tick     ${game.ticksPerSecond} Hz (target ${net.tickRate})   render ${Number.isFinite(game.fps) ? game.fps.toFixed(0) : 0} fps`,
    ]
    const c = transport.conditions
    if (c.loss || c.latency || c.jitter) {
      const k = transport.conditionsCounters
      lines.push(`simulated ${c.latency} ± ${c.jitter} ms, ${(c.loss! * 100).toFixed(0)} % loss: dropped ${k.droppedSent} out / ${k.droppedReceived} in`)
    }
    el.textContent = lines.join('\n')
  }
  render()
  setInterval(render, 500)
}

export function startConditionsPanel(game: Game): void {
  const inputs = {
    loss: document.querySelector<HTMLInputElement>('#c-loss')!,
    latency: document.querySelector<HTMLInputElement>('#c-latency')!,
    jitter: document.querySelector<HTMLInputElement>('#c-jitter')!,
  }
  const apply = () => {
    const loss = Number(inputs.loss.value) / 100
    const latency = Number(inputs.latency.value)
    const jitter = Number(inputs.jitter.value)
    game.transport.setConditions({ loss, latency, jitter })
    inputs.loss.nextElementSibling!.textContent = `${inputs.loss.value} %`
    inputs.latency.nextElementSibling!.textContent = `${latency} ms`
    inputs.jitter.nextElementSibling!.textContent = `${jitter} ms`
  }
  for (const i of Object.values(inputs)) i.addEventListener('input', apply)
}
