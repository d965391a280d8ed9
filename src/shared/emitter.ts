/**
 * The one typed event emitter of the library (no Node `events` in browser code): transports, the in-memory hub and
 * networks use it. A throwing listener does not stop the others.
 */
export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Set<(...args: never[]) => void>>()

  /** `onListenerError` sees what a listener threw; by default it is rethrown asynchronously (reported, not lost). */
  constructor(private readonly onListenerError?: (error: unknown) => void) {}

  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const l of [...set]) {
      try {
        ;(l as (...a: Parameters<Events[E]>) => void)(...args)
      } catch (e) {
        if (this.onListenerError) this.onListenerError(e)
        else
          queueMicrotask(() => {
            throw e
          })
      }
    }
  }

  clear(): void {
    this.listeners.clear()
  }
}
