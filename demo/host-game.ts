// The demo as a host-mode game (`npm run host`, README "Demo"): this headless host spawns an avatar for every player
// who joins and moves it by the player's inputs, and simulates the crates (they circle the middle of the ground).
// Open the demo with `#room=arena&host=1` to play against it.
import { addComponent, addEntity, removeEntity, type World } from 'bitecs'
import { defineHostGame, type Network } from 'bitecs-multiuser'
import { Avatar, Crate, Move, Transform, demoSchema } from '../generated/demo/schema.js'
import { moveAvatar, TICK_RATE } from './sim.js'

const CRATE_COLORS = [0xe07a3f, 0x3f8ee0, 0xe0c53f, 0x9b59d0]
const players = new Map<string, number>()
const crates: number[] = []
let t = 0

export default defineHostGame({
  schema: demoSchema,
  tickRate: TICK_RATE,
  setup(world: World, host: Network) {
    for (let i = 0; i < CRATE_COLORS.length; i++) {
      const c = addEntity(world)
      addComponent(world, c, Transform)
      addComponent(world, c, Crate)
      Transform.y[c] = 0.5
      Crate.color[c] = CRATE_COLORS[i]
      host.spawn(c)
      crates.push(c)
    }
    host.events.on('peerJoined', (peer) => {
      const eid = addEntity(world)
      addComponent(world, eid, Transform)
      addComponent(world, eid, Avatar)
      Transform.x[eid] = (Math.random() - 0.5) * 8
      Transform.z[eid] = (Math.random() - 0.5) * 8 - 3
      Avatar.name[eid] = peer.handle ?? `guest-${peer.id.slice(0, 4)}`
      Avatar.did[eid] = peer.did ?? ''
      Avatar.color[eid] = (Math.random() * 0xffffff) | 0x202020
      Avatar.peer[eid] = peer.id
      host.spawn(eid)
      players.set(peer.id, eid)
    })
    host.events.on('peerLeft', (id) => {
      const eid = players.get(id)
      if (eid === undefined) return
      players.delete(id)
      host.despawn(eid)
      removeEntity(world, eid)
    })
    host.onInput(Move, (input, from) => {
      const eid = players.get(from.id)
      if (eid !== undefined) moveAvatar(eid, input)
    })
  },
  tick(_world: World, dt: number) {
    t += dt
    for (const [i, c] of crates.entries()) {
      const a = t * 0.3 + (i * 2 * Math.PI) / crates.length
      Transform.x[c] = Math.cos(a) * 6
      Transform.z[c] = Math.sin(a) * 6 + 3
      Transform.yaw[c] = Math.atan2(Math.sin(-a), Math.cos(-a))
    }
  },
})
