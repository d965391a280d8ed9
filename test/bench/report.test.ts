// bench/RESULTS.md and its SVG charts are what bench/results.json renders to (committed together), and each chart
// draws every contender of the run.
import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderCharts } from '../../bench/charts.js'
import type { Results } from '../../bench/groups/types.js'
import { renderMarkdown } from '../../bench/report.js'
import { repo } from '../helpers/source-graph.js'

const results = JSON.parse(readFileSync(`${repo}/bench/results.json`, 'utf8')) as Results

describe('bench report', () => {
  const charts = renderCharts(results)

  it('RESULTS.md and bench/charts/ are what results.json renders to', () => {
    expect(readFileSync(`${repo}/bench/RESULTS.md`, 'utf8')).toBe(renderMarkdown(results))
    expect(readdirSync(`${repo}/bench/charts`).sort()).toEqual(charts.map((c) => c.file).sort())
    for (const c of charts) expect(readFileSync(`${repo}/bench/charts/${c.file}`, 'utf8'), c.file).toBe(c.svg)
  })

  it('bytes and encode time against entities for every contender, and convergence and bytes against loss', () => {
    const contenders = new Set((results.encode as { contender: string }[]).map((e) => e.contender))
    expect(charts.map((c) => c.file)).toEqual(['bytes-vs-entities-10.svg', 'encode-vs-entities-10.svg', 'bytes-vs-entities-100.svg', 'encode-vs-entities-100.svg', 'converge-vs-loss.svg', 'bytes-vs-loss.svg'])
    for (const c of charts.slice(0, 4)) {
      expect(c.svg.match(/<polyline /g), c.file).toHaveLength(contenders.size)
      for (const name of contenders) expect(c.svg, c.file).toContain(`>${name}</text>`)
    }
    for (const c of charts) expect(c.svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^]*<\/svg>\n$/)
  })
})
