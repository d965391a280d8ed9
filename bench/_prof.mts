import { createOurs } from './contenders/ours.js'
import { createBenchWorld } from './world.js'
const n = Number(process.env.N ?? 1000), pattern = (process.env.P ?? 'random') as 'random' | 'fixed'
const receivers = Number(process.env.R ?? 1)
const w = createBenchWorld(n, Number(process.env.F ?? 0.1), 0x5eed, pattern)
const inst = await createOurs(w, { receivers })
const ticks = Number(process.env.T ?? 3000)
let enc = 0, dec = 0
for (let t = 0; t < ticks; t++) {
  w.step()
  const t0 = performance.now(); inst.encode(); const t1 = performance.now()
  inst.between?.(); const t2 = performance.now(); if (!process.env.NODEC) inst.decode(); const t3 = performance.now(); inst.after?.()
  enc += t1 - t0; dec += t3 - t2
}
console.log(`flush ${(enc / ticks * 1000).toFixed(1)} µs, receive ${(dec / ticks * 1000).toFixed(1)} µs`)
