import { describe, expect, it } from 'vitest'
import { sortRuns } from '../../src/ecs/run-sort.js'
import { createRng } from '../../src/transport/memory/index.js'

describe('sortRuns (the delta encoder\'s entity order)', () => {
  it('sorts distinct keys made of sorted runs, random keys, sorted and reversed input', () => {
    const rng = createRng(3)
    const cases: number[][] = [[], [5], [2, 1], [1, 2, 3], [3, 2, 1], [1, 4, 7, 2, 5, 8, 3, 6, 9]]
    for (let round = 0; round < 300; round++) {
      const n = Math.floor(rng() * 200)
      const keys = new Set<number>()
      while (keys.size < n) keys.add(Math.floor(rng() * 1e9) * 65536 + Math.floor(rng() * 65536))
      const all = [...keys]
      // A few ascending runs (as detect passes and the pending list produce), or fully random.
      if (round % 2 === 0) {
        const runs = 1 + Math.floor(rng() * 6)
        const parts: number[][] = Array.from({ length: runs }, () => [])
        for (const k of all) parts[Math.floor(rng() * runs)].push(k)
        cases.push(parts.flatMap((p) => p.sort((x, y) => x - y)))
      } else cases.push(all)
    }
    for (const c of cases) {
      const a = Float64Array.from(c)
      const scratch = new Float64Array(c.length)
      const out = sortRuns(a, c.length, scratch)
      expect(Array.from(out.subarray(0, c.length))).toEqual([...c].sort((x, y) => x - y))
    }
  })
})
