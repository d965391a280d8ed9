/**
 * `attachInspector(net, { container })`: a network panel for any game, in plain DOM and canvas (no framework).
 * Every `intervalMs` it samples `net.peers`, `net.stats` and `net.inspect()` and redraws: per peer RTT and loss
 * sparklines, kbit/s per channel and way over the last minute, bytes per component per second (where the bandwidth
 * goes), the entity list with owner and interpolation buffer depth, and, given this page's `ConditionedTransport`,
 * buttons for simulated loss, latency and bandwidth. Everything a peer sends (ids, DIDs, handles) is written as text.
 */
import type { Network } from '../ecs/index.js'
import type { ConditionedTransport, LinkConditions } from '../transport/conditions.js'
import type { Channel } from '../transport/transport.js'
import { History } from './history.js'
import { drawSparkline } from './sparkline.js'
import { INSPECTOR_CSS } from './style.js'

/** Options of {@link attachInspector}. */
export interface InspectorOptions {
  /** The element the panel is appended to. */
  container: HTMLElement
  /**
   * This page's transport wrapped by `withLinkConditions`: the panel gets buttons for simulated loss, latency and
   * bandwidth. Without it, no buttons.
   */
  conditions?: ConditionedTransport
  /** How often the panel samples and redraws, ms. Default 500. */
  intervalMs?: number
  /** How far back the sparklines go, s. Default 60. */
  historySeconds?: number
  /** Most entities listed (the rest are counted). Default 40. */
  maxEntities?: number
  /** Starts folded to its title line (a click unfolds it). Default false. */
  folded?: boolean
}

/** The panel {@link attachInspector} appended. */
export interface Inspector {
  /** The panel's root element. */
  readonly element: HTMLElement
  /** Samples and redraws now (it also does every `intervalMs`). */
  update(): void
  /** Stops sampling and removes the panel. The network is untouched. */
  dispose(): void
}

/** The presets of the simulated-conditions buttons. */
const PRESETS: ReadonlyArray<{ key: 'loss' | 'latency' | 'bandwidth'; label: string; values: ReadonlyArray<[number, string]> }> = [
  { key: 'loss', label: 'loss', values: [[0, '0'], [0.02, '2 %'], [0.1, '10 %'], [0.3, '30 %']] },
  { key: 'latency', label: 'latency', values: [[0, '0'], [50, '50 ms'], [150, '150 ms'], [400, '400 ms']] },
  { key: 'bandwidth', label: 'bandwidth', values: [[0, '∞'], [125_000, '1 Mbit/s'], [32_000, '256 kbit/s'], [8_000, '64 kbit/s']] },
]
const COLORS = { rtt: '#d29922', loss: '#f85149', up: '#3fb950', down: '#2f81f7' }
const WAYS: ReadonlyArray<[Channel, 'up' | 'down']> = [['unreliable', 'up'], ['unreliable', 'down'], ['reliable', 'up'], ['reliable', 'down']]

type Child = Node | string
function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  e.append(...children)
  return e
}

const short = (id: string): string => (id.length > 12 ? `${id.slice(0, 8)}…` : id)
const kbit = (bytesPerSecond: number): string => `${((bytesPerSecond * 8) / 1000).toFixed(1)} kbit/s`
const bytes = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(1)} kB/s` : `${Math.round(n)} B/s`)

/** Appends a network panel for `net` to `options.container`. */
export function attachInspector(net: Network, options: InspectorOptions): Inspector {
  const intervalMs = options.intervalMs ?? 500
  const capacity = Math.max(2, Math.round(((options.historySeconds ?? 60) * 1000) / intervalMs))
  const maxEntities = options.maxEntities ?? 40
  const history = new History(capacity)
  const spark = (series: string, color: string, floor = 0): HTMLCanvasElement => {
    const c = h('canvas', { 'data-series': series }) as HTMLCanvasElement
    queueMicrotask(() => drawSparkline(c, history.get(series), color, floor))
    return c
  }

  const root = h('section', { class: `bmu-inspector${options.folded ? ' folded' : ''}`, 'aria-label': 'network inspector' })
  const title = h('h1')
  const sections = { channels: h('div'), peers: h('div'), components: h('div'), entities: h('div'), conditions: h('div') }
  const body = h('div', { class: 'body' },
    h('h2', {}, 'channels (last minute)'), sections.channels,
    h('h2', {}, 'peers'), sections.peers,
    h('h2', {}, 'bandwidth by component (sent)'), sections.components,
    h('h2', {}, 'entities'), sections.entities,
    ...(options.conditions ? [h('h2', {}, 'simulated conditions (this page)'), sections.conditions] : []),
  )
  root.append(h('style', {}, INSPECTOR_CSS), title, body)
  title.addEventListener('click', () => root.classList.toggle('folded'))
  options.container.append(root)

  const sample = (): void => {
    const stats = net.stats
    for (const [ch, way] of WAYS) history.push(`${ch}.${way}`, (way === 'up' ? stats.sentPerSecond : stats.receivedPerSecond)[ch].bytes)
    const peers = net.peers
    for (const p of peers) {
      history.push(`rtt.${p.id}`, p.rtt)
      history.push(`loss.${p.id}`, p.loss)
    }
    const present = new Set(peers.map((p) => p.id))
    history.prune((name) => !name.includes('.') || name.startsWith('reliable.') || name.startsWith('unreliable.') || present.has(name.slice(name.indexOf('.') + 1)))
  }

  const render = (): void => {
    const stats = net.stats
    title.replaceChildren(h('span', {}, `network · ${net.selfId ? short(net.selfId) : 'not joined'}`), h('span', { class: 'muted' }, `tick ${net.tick} · ${stats.entities.owned} own / ${stats.entities.remote} remote`))

    sections.channels.replaceChildren(h('table', {}, ...WAYS.map(([ch, way]) => {
      const now = (way === 'up' ? stats.sentPerSecond : stats.receivedPerSecond)[ch].bytes
      return h('tr', { 'data-channel': `${ch}.${way}` }, h('td', {}, `${ch} ${way === 'up' ? '↑' : '↓'}`), h('td', { class: 'num' }, kbit(now)), h('td', {}, spark(`${ch}.${way}`, COLORS[way], 125)))
    })))

    const peers = net.peers
    sections.peers.replaceChildren(peers.length === 0 ? h('div', { class: 'muted' }, 'nobody else here') : h('table', {},
      h('tr', {}, h('th', {}, 'peer'), h('th', {}, 'rtt'), h('th'), h('th', {}, 'loss'), h('th')),
      ...peers.map((p) => h('tr', { 'data-peer': p.id },
        h('td', { title: p.did ?? 'anonymous' }, p.handle ?? short(p.id)),
        h('td', { class: 'num' }, `${p.rtt.toFixed(0)} ms`), h('td', {}, spark(`rtt.${p.id}`, COLORS.rtt, 20)),
        h('td', { class: 'num' }, `${(p.loss * 100).toFixed(0)} %`), h('td', {}, spark(`loss.${p.id}`, COLORS.loss, 0.05)),
      )),
    ))

    const comps = Object.entries(stats.components).sort((a, b) => b[1].bytesPerSecond - a[1].bytesPerSecond || a[0].localeCompare(b[0]))
    const top = Math.max(1, ...comps.map(([, c]) => c.bytesPerSecond))
    sections.components.replaceChildren(h('table', {}, ...comps.map(([name, c]) => h('tr', { 'data-component': name },
      h('td', {}, name), h('td', { class: 'num' }, bytes(c.bytesPerSecond)),
      h('td', { style: 'width: 40%' }, h('div', { class: 'bar', style: `width: ${((c.bytesPerSecond / top) * 100).toFixed(1)}%` })),
    ))))

    const me = net.selfId
    const all = [...net.inspect().entities].sort((a, b) => Number(b.owner === me) - Number(a.owner === me) || a.owner.localeCompare(b.owner) || a.eid - b.eid)
    sections.entities.replaceChildren(h('table', {},
      h('tr', {}, h('th', {}, 'eid'), h('th', {}, 'net id'), h('th', {}, 'owner'), h('th', { title: 'interpolation samples buffered' }, 'buffer')),
      ...all.slice(0, maxEntities).map((e) => h('tr', { 'data-eid': String(e.eid) },
        h('td', { class: 'num' }, String(e.eid)),
        h('td', {}, e.id ? `${e.id.n}@${short(e.id.origin)}` : '—'),
        h('td', {}, e.owner === me ? 'you' : short(e.owner), e.persistent ? h('span', { class: 'muted', title: 'persistent' }, ' ∞') : ''),
        h('td', { class: 'num' }, e.owner === me ? '—' : String(e.buffered)),
      )),
    ), ...(all.length > maxEntities ? [h('div', { class: 'muted' }, `… and ${all.length - maxEntities} more`)] : []))

    if (options.conditions) renderConditions(options.conditions)
  }

  const renderConditions = (t: ConditionedTransport): void => {
    const current = t.conditions
    sections.conditions.replaceChildren(...PRESETS.map((p) => h('div', { class: 'row' }, h('span', {}, p.label), ...p.values.map(([v, label]) => {
      const b = h('button', { type: 'button', 'data-condition': `${p.key}=${v}`, 'aria-pressed': String((current[p.key] ?? 0) === v) }, label)
      b.addEventListener('click', () => {
        const next: LinkConditions = { ...t.conditions, [p.key]: v }
        t.setConditions(next)
        renderConditions(t)
      })
      return b
    }))))
  }

  const update = (): void => {
    sample()
    render()
  }
  update()
  const timer = setInterval(update, intervalMs)
  return {
    element: root,
    update,
    dispose() {
      clearInterval(timer)
      root.remove()
    },
  }
}
