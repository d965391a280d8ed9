/**
 * A bench scenario to profile, outside the groups: `ours` (one sender, `R` receivers) on the bench world, stepped
 * `T` ticks; prints the mean `flush()` and `receive()` time. With the CPU profiler:
 *
 *   N=1000 F=0.1 P=random R=1 T=3000 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts
 *
 * N entities (1000), F the moving share (0.1), P the mover pattern (`fixed` | `random`), R receivers (1), T ticks
 * (3000). Bundling it first (`npx esbuild bench/profile.ts --bundle --platform=node --format=esm --outfile=…`) gives
 * the profile's line ticks real line numbers.
 */
import { createOurs } from './contenders/ours.js'
import { createBenchWorld, type MoverPattern } from './world.js'

const env = (k: string, d: string): string => process.env[k] ?? d
const w = createBenchWorld(Number(env('N', '1000')), Number(env('F', '0.1')), 0x5eed, env('P', 'random') as MoverPattern)
const inst = await createOurs(w, { receivers: Number(env('R', '1')) })
const ticks = Number(env('T', '3000'))
let flush = 0
let receive = 0
for (let t = 0; t < ticks; t++) {
  w.step()
  const t0 = performance.now()
  inst.encode()
  const t1 = performance.now()
  inst.between?.()
  const t2 = performance.now()
  inst.decode()
  const t3 = performance.now()
  inst.after?.()
  flush += t1 - t0
  receive += t3 - t2
}
console.log(`flush ${((flush / ticks) * 1000).toFixed(1)} µs, receive ${((receive / ticks) * 1000).toFixed(1)} µs (mean of ${ticks} ticks)`)
