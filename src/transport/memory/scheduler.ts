/**
 * Time-ordered task queue for the in-memory network. Virtual mode: time only moves in `advance(ms)`, so tests are
 * deterministic. Real mode: tasks run from `setTimeout` against `performance.now()` (demos).
 */
interface Task {
  at: number
  order: number
  run: () => void
}

export interface Scheduler {
  readonly now: number
  at(time: number, run: () => void): void
  /** Virtual mode: runs every task due within the next `ms` milliseconds, in time order, then sets now += ms. */
  advance(ms: number): void
  /** Runs every task due now (no time passes). */
  drain(): void
  readonly pending: number
  dispose(): void
}

export function createScheduler(realTime: boolean): Scheduler {
  const heap: Task[] = []
  let order = 0
  let virtualNow = 0
  let timer: ReturnType<typeof setTimeout> | null = null
  const clock = realTime ? () => performance.now() : () => virtualNow

  const less = (a: Task, b: Task): boolean => a.at < b.at || (a.at === b.at && a.order < b.order)
  const push = (t: Task): void => {
    heap.push(t)
    let i = heap.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(heap[i], heap[p])) break
      ;[heap[i], heap[p]] = [heap[p], heap[i]]
      i = p
    }
  }
  const pop = (): Task => {
    const top = heap[0]
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && less(heap[l], heap[m])) m = l
        if (r < heap.length && less(heap[r], heap[m])) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m], heap[i]]
        i = m
      }
    }
    return top
  }
  const runDue = (until: number): void => {
    while (heap.length > 0 && heap[0].at <= until) {
      const t = pop()
      if (!realTime && t.at > virtualNow) virtualNow = t.at
      t.run()
    }
  }
  const arm = (): void => {
    if (!realTime) return
    if (timer) clearTimeout(timer)
    timer = null
    if (heap.length === 0) return
    timer = setTimeout(() => {
      timer = null
      runDue(clock())
      arm()
    }, Math.max(0, heap[0].at - clock()))
  }

  return {
    get now() {
      return clock()
    },
    get pending() {
      return heap.length
    },
    at(time, run) {
      push({ at: time, order: order++, run })
      arm()
    },
    advance(ms) {
      if (realTime) throw new Error('advance() is for virtual time; this network runs on real timers')
      const until = virtualNow + ms
      runDue(until)
      virtualNow = until
    },
    drain() {
      runDue(clock())
    },
    dispose() {
      if (timer) clearTimeout(timer)
      timer = null
      heap.length = 0
    },
  }
}
