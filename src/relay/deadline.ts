/** Bounds how long the relay waits for a promise (the join's verification); the work itself is not cancelled. */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
    timer.unref()
  })
  work.catch(() => {}) // a late failure after the deadline is nobody's to handle
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}
