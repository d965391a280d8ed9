/** A tiny typed event emitter: `on` returns an unsubscribe function; listener errors never escape `emit`. */
export type Listener<A extends unknown[]> = (...args: A) => void

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<(...args: never[]) => void>>()

  constructor(private readonly onListenerError?: (error: unknown) => void) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    const l = listener as unknown as (...args: never[]) => void
    set.add(l)
    return () => set.delete(l)
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const l of [...set]) {
      try {
        ;(l as unknown as Listener<Events[K]>)(...args)
      } catch (e) {
        this.onListenerError?.(e)
      }
    }
  }
}
