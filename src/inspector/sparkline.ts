/**
 * A sparkline on a canvas: the samples as a line over a filled area, scaled to their maximum (or `floor`), spread
 * over the whole width (the oldest at the left edge once the history is full).
 */
export function drawSparkline(canvas: HTMLCanvasElement, values: readonly number[], color: string, floor = 0): void {
  const ratio = globalThis.devicePixelRatio || 1
  const w = canvas.clientWidth || canvas.width
  const h = canvas.clientHeight || canvas.height
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio)
    canvas.height = Math.round(h * ratio)
  }
  const g = canvas.getContext('2d')
  if (!g) return
  g.setTransform(ratio, 0, 0, ratio, 0, 0)
  g.clearRect(0, 0, w, h)
  if (values.length === 0) return
  const max = Math.max(floor, ...values)
  const step = w / Math.max(1, values.length - 1)
  const x0 = values.length === 1 ? w : 0
  const y = (v: number): number => (max > 0 ? h - 1 - (v / max) * (h - 2) : h - 1)
  g.beginPath()
  g.moveTo(x0, h)
  values.forEach((v, i) => g.lineTo(x0 + i * step, y(v)))
  g.lineTo(x0 + (values.length - 1) * step, h)
  g.closePath()
  g.globalAlpha = 0.25
  g.fillStyle = color
  g.fill()
  g.globalAlpha = 1
  g.beginPath()
  values.forEach((v, i) => (i === 0 ? g.moveTo(x0, y(v)) : g.lineTo(x0 + i * step, y(v))))
  g.strokeStyle = color
  g.lineWidth = 1.5
  g.stroke()
}
