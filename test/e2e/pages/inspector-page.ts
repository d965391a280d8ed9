// Test page: the network inspector on a small 2D game with no Babylon, three players in this page over the in-memory
// hub in real time (a link with latency, jitter and loss), each with its own world and clock. The inspector watches
// "you" (whose transport is wrapped by withLinkConditions). Playwright drives it through window.__i.
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { createMemoryNetwork, createNetwork, withLinkConditions, type Network } from 'bitecs-multiuser'
import { attachInspector, type Inspector } from '../../../src/inspector/index.js'
import { createTestSchema, type TestSchema } from '../../helpers/test-schema.js'

const hub = createMemoryNetwork({ seed: 11, realTime: true, link: { latency: 35, jitter: 10, loss: 0.03 } })
interface Player { id: string; world: World; net: Network; s: TestSchema; mine: number[]; hue: number }
const players: Player[] = []
const you = withLinkConditions(hub.join('you'), {}, { seed: 5 })

function player(id: string, hue: number, count: number, transport = hub.join(id)): Player {
  const s = createTestSchema(256)
  const world = createWorld()
  const net = createNetwork(world, { schema: s.schema, transport, maxEntities: 256 })
  const p: Player = { id, world, net, s, mine: [], hue }
  for (let i = 0; i < count; i++) {
    const e = addEntity(world)
    addComponent(world, e, s.Transform)
    addComponent(world, e, s.Velocity)
    if (i === 0) {
      addComponent(world, e, s.Color)
      s.Color.rgb[e] = hue
      s.Color.label[e] = id
    }
    s.Transform.x[e] = (Math.random() - 0.5) * 40
    s.Transform.z[e] = (Math.random() - 0.5) * 24
    net.spawn(e, { persistent: i === count - 1 })
    p.mine.push(e)
  }
  players.push(p)
  return p
}
const me = player('you', 0x3fb950, 3, you)
player('alice', 0x2f81f7, 5)
player('bob', 0xd29922, 2)

let t = 0
setInterval(() => {
  t += 1 / 30
  for (const p of players) {
    p.net.receive()
    p.mine.forEach((e, i) => {
      const a = t * (0.4 + i * 0.15) + p.hue
      p.s.Velocity.x[e] = Math.cos(a) * 3
      p.s.Velocity.z[e] = Math.sin(a) * 3
      p.s.Transform.x[e] += p.s.Velocity.x[e] / 30
      p.s.Transform.z[e] += p.s.Velocity.z[e] / 30
      p.s.Transform.yaw[e] = a
    })
    p.net.flush()
  }
}, 1000 / 30)

// The arena as "you" sees it: every replicated entity, drawn from the interpolated view.
const canvas = document.getElementById('arena') as HTMLCanvasElement
const draw = (): void => {
  const g = canvas.getContext('2d')!
  canvas.width = canvas.clientWidth
  canvas.height = canvas.clientHeight
  const view = me.net.interpolated(me.s.Transform)
  const scale = Math.min((canvas.width - 460) / 60, canvas.height / 36)
  const cx = (canvas.width - 440) / 2
  const cy = canvas.height / 2
  g.strokeStyle = '#21262d'
  for (let x = -30; x <= 30; x += 5) g.strokeRect(cx + x * scale, cy - 18 * scale, 0, 36 * scale)
  for (const e of me.net.inspect().entities) {
    const owner = players.find((p) => p.id === e.owner)!
    g.fillStyle = `#${owner.hue.toString(16).padStart(6, '0')}`
    g.beginPath()
    g.arc(cx + view.x[e.eid] * scale, cy + view.z[e.eid] * scale, 7, 0, Math.PI * 2)
    g.fill()
  }
  requestAnimationFrame(draw)
}
requestAnimationFrame(draw)

let inspector: Inspector | null = attachInspector(me.net, { container: document.getElementById('panel')!, conditions: you, intervalMs: 250 })

;(window as unknown as { __i: unknown }).__i = {
  conditions: () => you.conditions,
  entities: () => me.net.inspect().entities.length,
  dispose: () => {
    inspector?.dispose()
    inspector = null
  },
}
