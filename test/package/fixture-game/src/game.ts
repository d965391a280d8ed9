// The game as a user writes it: its own world, generated stores, the network and the Babylon binding.
import { addComponent, addEntity, createWorld } from 'bitecs'
import { createNetwork, peerJsTransport, relayClient, type Network, type PeerJsTransport } from 'bitecs-multiuser'
import { attachBabylon } from 'bitecs-multiuser/babylon'
import { Engine } from '@babylonjs/core/Engines/engine.js'
import { Scene } from '@babylonjs/core/scene.js'
import { FreeCamera } from '@babylonjs/core/Cameras/freeCamera.js'
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js'
import { CreateBox } from '@babylonjs/core/Meshes/Builders/boxBuilder.js'
import { Chat, Health, Player, TeamChosen, Transform, arenaSchema } from './generated/arena/schema.js'
import { Team } from './generated/common/types.js'
import type { TokenSource } from 'bitecs-multiuser'

export interface Game {
  net: Network
  transport: PeerJsTransport
  me: number
  chats: string[]
  step(): void
}

export function startGame(canvas: HTMLCanvasElement, relayUrl: string, room: string, token?: TokenSource): Game {
  const world = createWorld()
  const transport = peerJsTransport({ relay: relayClient(relayUrl, token ? { token } : {}), room, iceServers: [] })
  const net = createNetwork(world, { schema: arenaSchema, transport, tickRate: 30 })

  const engine = new Engine(canvas)
  const scene = new Scene(engine)
  new FreeCamera('camera', new Vector3(0, 5, -10), scene)
  attachBabylon(scene, net, { prefabs: [[Transform, { create: ({ eid, scene }) => CreateBox(`box${eid}`, { size: 1 }, scene) }]] })

  const me = addEntity(world)
  addComponent(world, me, Transform)
  addComponent(world, me, Health)
  addComponent(world, me, Player)
  Transform.x[me] = 1.5
  Health.hp[me] = 100
  Health.team[me] = Team.TEAM_RED
  Player.name[me] = 'player'
  Player.scores[me] = { wins: 3 }
  Player.team[me] = Team.TEAM_BLUE
  Player.badges[me] = [{ label: 'first', level: 1 }]
  net.spawn(me)

  const chats: string[] = []
  net.on(Chat, (msg, from) => chats.push(`${from.id}: ${msg.text}`))
  net.on(TeamChosen, (msg) => chats.push(`team ${Team[msg.team]}`))
  net.events.on('peerJoined', () => net.send(Chat, { text: 'hello' }))

  const step = (): void => {
    net.receive()
    Transform.yaw[me] += 0.01
    net.flush()
  }
  engine.runRenderLoop(() => scene.render())
  return { net, transport, me, chats, step }
}
