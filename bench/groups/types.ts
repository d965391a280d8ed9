/**
 * A bench group is one module that plugs into `bench/run.ts`: it runs, returns a JSON-able value stored
 * under its `name` in results.json, may contribute ratios and target verdicts, and renders its own
 * console table and RESULTS.md section. Groups that a run did not select are kept from the existing file.
 */
export interface GroupContext {
  quick: boolean
  log(line: string): void
}

export interface Target {
  /** What is promised, e.g. "bytes ≤ 0.35 × bitECS SoA diff (1 000 entities, 10 % moving)". */
  name: string
  /** Measured value (ratio or absolute). */
  value: number
  limit: number
  unit: string
  met: boolean
  /** The contender the figure is about, when it is not the real `ours` (e.g. "ours-codec"). */
  subject?: string
}

export interface GroupOutput<R = unknown, M = unknown> {
  /** Stored at results[name] (e.g. the issue's `"encode": [ rows ]`). */
  result: R
  /** Stored at results.meta[name]: how the group ran (ticks, contenders, ...). */
  meta?: M
  ratios?: Record<string, number>
  targets?: Target[]
}

export interface BenchGroup<R = unknown, M = unknown> {
  readonly name: string
  readonly title: string
  /** Runs in `--quick` mode too (CI smoke)? */
  readonly inQuick: boolean
  run(ctx: GroupContext): Promise<GroupOutput<R, M>>
  /** Plain-text table for the console. */
  table(result: R, meta: M | undefined): string
  /** A RESULTS.md section (without the title). */
  markdown(result: R, meta: M | undefined, all: Results): string
}

export interface RunInfo {
  date: string
  quick: boolean
  seconds: number
  ratioKeys: string[]
  targetNames: string[]
}

export interface Results {
  machine: string
  cores: number
  memory: string
  node: string
  /** git HEAD when run, and src/ or generated/ files that differed from it. */
  commit: string
  uncommitted: string[]
  /** 1-minute load average when the run started and ended (others' work on a shared machine). */
  loadavg: number[]
  date: string
  quick: boolean
  runs: Record<string, RunInfo>
  ratios: Record<string, number>
  targets: Target[]
  meta: Record<string, unknown>
  [group: string]: unknown
}
