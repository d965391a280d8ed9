/** A candidate for inheriting a leaving peer's persistent entities. */
export interface HeirCandidate {
  readonly id: string
  /** When the peer joined the session (from its Hello). */
  readonly connectedAt: number
}

/**
 * The deterministic heir every peer agrees on: the longest-connected remaining peer (smallest connectedAt),
 * ties broken by the smaller id (string order).
 */
export function electHeir(candidates: Iterable<HeirCandidate>): string | null {
  let best: HeirCandidate | null = null
  for (const c of candidates) {
    if (!best || c.connectedAt < best.connectedAt || (c.connectedAt === best.connectedAt && c.id < best.id)) best = c
  }
  return best ? best.id : null
}
