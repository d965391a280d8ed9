export function median(xs: ArrayLike<number>): number {
  const a = Float64Array.from(xs).sort()
  if (a.length === 0) return NaN
  const m = a.length >> 1
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < xs.length; i++) s += xs[i]
  return xs.length ? s / xs.length : NaN
}

export function percentile(xs: ArrayLike<number>, p: number): number {
  const a = Float64Array.from(xs).sort()
  if (a.length === 0) return NaN
  return a[Math.min(a.length - 1, Math.floor(p * a.length))]
}

/** Rounds for JSON: 3 significant decimals is plenty for µs and ratios. */
export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x)

/** Fixed-width plain-text table. */
export function textTable(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))]
  const width = head.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)))
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(width[c]) : v.padStart(width[c]))).join('  ')
  return [line(head), width.map((n) => '-'.repeat(n)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

export function mdTable(head: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const a = align ?? head.map((_, i) => (i === 0 ? 'l' : 'r'))
  return [
    `| ${head.join(' | ')} |`,
    `|${a.map((x) => (x === 'l' ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')
}

export const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n))
export const fmtUs = (n: number): string => (!Number.isFinite(n) ? '–' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2))
export const fmtRatio = (n: number): string => (!Number.isFinite(n) ? '–' : n >= 10 ? n.toFixed(1) : n.toFixed(3))
