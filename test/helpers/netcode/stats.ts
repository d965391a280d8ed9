/** The p-quantile (0..1) of `xs` (nearest rank); NaN when empty. */
export function percentileOf(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const a = [...xs].sort((x, y) => x - y)
  return a[Math.min(a.length - 1, Math.floor(p * a.length))]
}
