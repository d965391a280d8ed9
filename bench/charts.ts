/**
 * SVG charts of bench/results.json for RESULTS.md (written by `npm run bench` and `bench/report.ts` next to it, in
 * `charts/`): bytes per tick and encode time against the entity count for every contender, and what packet loss
 * costs (ticks to converge, bytes per tick). Plain SVG text, no chart library: a chart is a few polylines on log
 * or linear axes, and the file must stay a diff-able text that GitHub renders.
 */
import type { Results } from './groups/types.js'

export interface Series {
  name: string
  points: ReadonlyArray<readonly [number, number]>
  dashed?: boolean
}

export interface ChartSpec {
  title: string
  x: { label: string; log?: boolean }
  y: { label: string; log?: boolean }
  series: readonly Series[]
}

const W = 640
const H = 360
const M = { left: 64, right: 170, top: 34, bottom: 46 }
const PALETTE = ['#2f81f7', '#d1242f', '#1a7f37', '#bf8700', '#8250df', '#0a7e8c', '#e16f24', '#57606a', '#bf3989']

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmt = (v: number): string => (Math.abs(v) >= 1e6 ? `${+(v / 1e6).toPrecision(3)}M` : Math.abs(v) >= 10_000 ? `${+(v / 1000).toPrecision(3)}k` : `${+v.toPrecision(3)}`)

/** Tick values of an axis over [lo, hi]: powers of ten (log), or about five round steps (linear). */
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = []
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e)
    return out
  }
  const raw = (hi - lo) / 5 || 1
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!
  const out: number[] = []
  for (let v = Math.floor(lo / step) * step; v <= hi + step / 2; v += step) out.push(+v.toPrecision(12))
  return out
}

/** One line chart as an SVG document. */
export function lineChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points).filter(([x, y]) => (!spec.x.log || x > 0) && (!spec.y.log || y > 0))
  if (all.length === 0) return ''
  const xs = all.map((p) => p[0])
  const ys = all.map((p) => p[1])
  const xt = ticks(Math.min(...xs), Math.max(...xs), spec.x.log === true)
  const yt = ticks(spec.y.log ? Math.min(...ys) : Math.min(0, ...ys), Math.max(...ys), spec.y.log === true)
  const [x0, x1] = [xt[0], xt[xt.length - 1]]
  const [y0, y1] = [yt[0], yt[yt.length - 1]]
  const map = (v: number, lo: number, hi: number, log: boolean | undefined, a: number, b: number): number => {
    const t = log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1) : (v - lo) / (hi - lo || 1)
    return a + t * (b - a)
  }
  const px = (v: number): number => map(v, x0, x1, spec.x.log, M.left, W - M.right)
  const py = (v: number): number => map(v, y0, y1, spec.y.log, H - M.bottom, M.top)
  const L: string[] = []
  L.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`)
  L.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`)
  L.push(`<text x="${M.left}" y="20" font-size="14" font-weight="600" fill="#1f2328">${esc(spec.title)}</text>`)
  for (const t of xt) {
    const x = px(t).toFixed(1)
    L.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${H - M.bottom}" stroke="#d0d7de" stroke-width="1"/>`)
    L.push(`<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle" fill="#57606a">${fmt(t)}</text>`)
  }
  for (const t of yt) {
    const y = py(t).toFixed(1)
    L.push(`<line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#d0d7de" stroke-width="1"/>`)
    L.push(`<text x="${M.left - 6}" y="${y}" dy="4" text-anchor="end" fill="#57606a">${fmt(t)}</text>`)
  }
  L.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle" fill="#1f2328">${esc(spec.x.label)}${spec.x.log ? ' (log)' : ''}</text>`)
  L.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#1f2328">${esc(spec.y.label)}${spec.y.log ? ' (log)' : ''}</text>`)
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]
    const pts = s.points.filter(([x, y]) => (!spec.x.log || x > 0) && (!spec.y.log || y > 0)).map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`)
    if (pts.length === 0) return
    L.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`)
    for (const p of pts) L.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${color}"/>`)
    const ly = M.top + 8 + i * 18
    L.push(`<line x1="${W - M.right + 12}" y1="${ly}" x2="${W - M.right + 32}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`)
    L.push(`<text x="${W - M.right + 38}" y="${ly}" dy="4" fill="#1f2328">${esc(s.name)}</text>`)
  })
  L.push('</svg>')
  return L.join('\n') + '\n'
}

interface EncodeRow { contender: string; entities: number; moving: number; bytesPerTick: number; encodeUsPerTick: number }
interface LossRow { loss: number; bytesPerTick: number; ticksToConverge: number; ticksToConvergeMax: number }

/** The charts of a results file, by file name (`charts/<name>.svg`), each with the caption RESULTS.md gives it. */
export function renderCharts(r: Results): { file: string; caption: string; svg: string }[] {
  const out: { file: string; caption: string; svg: string }[] = []
  const encode = (r.encode ?? []) as EncodeRow[]
  const contenders = [...new Set(encode.map((e) => e.contender))]
  const vsEntities = (moving: number, value: (e: EncodeRow) => number): Series[] =>
    contenders.map((c) => ({
      name: c,
      dashed: c !== 'ours' && c !== 'ours-codec',
      points: encode.filter((e) => e.contender === c && e.moving === moving).sort((a, b) => a.entities - b.entities).map((e) => [e.entities, value(e)] as const),
    })).filter((s) => s.points.length > 0)
  for (const moving of [0.1, 1]) {
    const pct = `${moving * 100} % moving`
    const bytes = lineChart({ title: `Bytes per tick, ${pct}`, x: { label: 'entities', log: true }, y: { label: 'bytes per tick', log: true }, series: vsEntities(moving, (e) => e.bytesPerTick) })
    if (bytes) out.push({ file: `bytes-vs-entities-${moving * 100}.svg`, caption: `Bytes per tick against entities, ${pct}, every contender`, svg: bytes })
    const cpu = lineChart({ title: `Encode time per tick, ${pct}`, x: { label: 'entities', log: true }, y: { label: 'µs per tick', log: true }, series: vsEntities(moving, (e) => e.encodeUsPerTick) })
    if (cpu) out.push({ file: `encode-vs-entities-${moving * 100}.svg`, caption: `Encode time (CPU) per tick against entities, ${pct}, every contender`, svg: cpu })
  }
  const loss = ((r.loss ?? []) as LossRow[]).slice().sort((a, b) => a.loss - b.loss)
  if (loss.length > 0) {
    const converge = lineChart({
      title: 'Convergence under packet loss',
      x: { label: 'packet loss (%)' },
      y: { label: 'ticks to converge after movement stops' },
      series: [
        { name: 'median', points: loss.map((l) => [l.loss * 100, l.ticksToConverge] as const) },
        { name: 'worst', dashed: true, points: loss.map((l) => [l.loss * 100, l.ticksToConvergeMax] as const) },
      ],
    })
    if (converge) out.push({ file: 'converge-vs-loss.svg', caption: 'Netcode error under loss: ticks until every receiver holds the final state, against packet loss', svg: converge })
    const base = loss[0].bytesPerTick
    const overhead = lineChart({
      title: 'What loss costs in bytes',
      x: { label: 'packet loss (%)' },
      y: { label: 'bytes per tick, % over no loss' },
      series: [{ name: 'ours', points: loss.map((l) => [l.loss * 100, ((l.bytesPerTick - base) / base) * 100] as const) }],
    })
    if (overhead) out.push({ file: 'bytes-vs-loss.svg', caption: 'Bytes per tick under loss, relative to no loss (lost changes are sent again in the next delta)', svg: overhead })
  }
  return out
}
