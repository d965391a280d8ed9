// The game: a bitECS world whose Transform and Player components replicate to every page in the room, drawn by
// Babylon.js. Each page owns one box (its player) and moves it with WASD / the arrow keys; Enter sends a chat line.
import { addComponent, addEntity, createWorld } from 'bitecs'
import { createNetwork, peerJsTransport, relayClient, withLinkConditions } from 'bitecs-multiuser'
import { attachBabylon, bindTransform, type Prefab } from 'bitecs-multiuser/babylon'
import { Engine } from '@babylonjs/core/Engines/engine.js'
import { Scene } from '@babylonjs/core/scene.js'
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js'
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js'
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js'
import { Color3 } from '@babylonjs/core/Maths/math.color.js'
import { CreateBox } from '@babylonjs/core/Meshes/Builders/boxBuilder.js'
import { CreateGround } from '@babylonjs/core/Meshes/Builders/groundBuilder.js'
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial.js'
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js'
import { Chat, Player, Transform, gameSchema } from './generated/game/schema.js'

const params = new URLSearchParams(location.search)
const relay = params.get('relay') ?? 'http://127.0.0.1:8787/'
const room = location.hash.match(/room=([\w-]+)/)?.[1] ?? 'lobby'
const status = document.getElementById('status')!

// The network: peers meet through the relay, then talk peer to peer over WebRTC.
const world = createWorld()
const transport = withLinkConditions(peerJsTransport({ relay: relayClient(relay), room }))
const net = createNetwork(world, { schema: gameSchema, transport, tickRate: 30 })
const showStatus = (): void => void (status.textContent = `${transport.status} · room ${room} · ${net.peers.length + 1} here · Enter to chat`)
transport.on('status', showStatus)
net.events.on('peerJoined', showStatus)
net.events.on('peerLeft', showStatus)

// The scene: every replicated entity with a Transform gets a box, in its owner's color.
const canvas = document.getElementById('scene') as HTMLCanvasElement
const engine = new Engine(canvas, true)
const scene = new Scene(engine)
const camera = new ArcRotateCamera('camera', -Math.PI / 2, 1.0, 24, Vector3.Zero(), scene)
camera.attachControl(canvas, true)
new HemisphericLight('light', new Vector3(0.3, 1, 0.2), scene)
CreateGround('ground', { width: 100, height: 100 }, scene).material = Object.assign(new StandardMaterial('ground', scene), { diffuseColor: new Color3(0.2, 0.25, 0.2) })
const playerBox: Prefab<Mesh> = {
  create: ({ eid, scene }) => {
    const box = CreateBox(`player-${eid}`, { size: 1 }, scene)
    box.position.y = 0.5
    box.material = new StandardMaterial(`player-${eid}`, scene)
    return box
  },
  update: (box, { eid }) => void ((box.material as StandardMaterial).diffuseColor = Color3.FromHexString(`#${Player.color[eid].toString(16).padStart(6, '0')}`)),
}
// Transform has x and z (the ground plane) and yaw: mapped onto the box; its height stays the prefab's.
attachBabylon(scene, net, { prefabs: [[Player, playerBox]], transform: bindTransform(Transform, { position: ['x', null, 'z'], rotationY: 'yaw' }) })

// This page's player.
const me = addEntity(world)
addComponent(world, me, Transform)
addComponent(world, me, Player)
Transform.x[me] = Math.random() * 10 - 5
Transform.z[me] = Math.random() * 10 - 5
Player.color[me] = Math.floor(Math.random() * 0xffffff)
net.spawn(me)

const chats: string[] = []
net.on(Chat, (msg, from) => chats.push(`${from.id.slice(0, 6)}: ${msg.text}`))
net.events.on('peerJoined', () => net.send(Chat, { text: 'hello' }))

const keys = new Set<string>()
addEventListener('keydown', (e) => {
  keys.add(e.key.toLowerCase())
  if (e.key === 'Enter') {
    const text = prompt('say')
    if (text) net.send(Chat, { text }, { self: true })
  }
})
addEventListener('keyup', (e) => keys.delete(e.key.toLowerCase()))

// One network tick: apply what arrived, move, send what changed. Timers, not frames: a hidden tab keeps playing.
setInterval(() => {
  net.receive()
  const dx = (keys.has('d') || keys.has('arrowright') ? 1 : 0) - (keys.has('a') || keys.has('arrowleft') ? 1 : 0)
  const dz = (keys.has('w') || keys.has('arrowup') ? 1 : 0) - (keys.has('s') || keys.has('arrowdown') ? 1 : 0)
  Transform.x[me] += dx * 0.2
  Transform.z[me] += dz * 0.2
  if (dx || dz) Transform.yaw[me] = Math.atan2(dx, dz)
  net.flush()
}, 1000 / 30)
engine.runRenderLoop(() => scene.render())
addEventListener('resize', () => engine.resize())

// `?inspect`: the network inspector, loaded only then (a chunk of its own, not in the game's bundle).
if (params.has('inspect')) {
  void import('bitecs-multiuser/inspector').then(({ attachInspector }) => attachInspector(net, { container: document.getElementById('inspector')!, conditions: transport }))
}

// For tests and the console.
Object.assign(window, { game: { net, peers: () => net.peers.length, remote: () => net.stats.entities.remote, chats: () => chats } })
