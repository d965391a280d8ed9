/** A tiny typed event emitter (no Node `events` in browser code). A throwing listener does not stop the others. */
export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Set<(...args: never[]) => void>>()

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
