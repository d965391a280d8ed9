/** The last `size` samples of named series (the inspector's sparklines), oldest first. */
export class History {
  private readonly series = new Map<string, number[]>()

  constructor(private readonly size: number) {}

  push(name: string, value: number): void {
    let s = this.series.get(name)
    if (!s) this.series.set(name, (s = []))
    s.push(Number.isFinite(value) ? value : 0)
    if (s.length > this.size) s.splice(0, s.length - this.size)
  }

  get(name: string): readonly number[] {
    return this.series.get(name) ?? []
  }

  /** Forgets the series whose names `keep` refuses (peers that left). */
  prune(keep: (name: string) => boolean): void {
    for (const name of [...this.series.keys()]) if (!keep(name)) this.series.delete(name)
  }
}
