// attachBabylon in Node with Babylon's NullEngine: two peers (A owns, B watches) on an in-memory transport.
// Spawn -> a node in both scenes; move -> B's node follows the interpolated value, A's the store at once;
// despawn / owner leaving -> the node, its child meshes, materials and textures are gone.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js'
import { Scene } from '@babylonjs/core/scene.js'
import { FreeCamera } from '@babylonjs/core/Cameras/freeCamera.js'
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js'
import { Color3 } from '@babylonjs/core/Maths/math.color.js'
import { CreateCapsule } from '@babylonjs/core/Meshes/Builders/capsuleBuilder.js'
import { CreateBox } from '@babylonjs/core/Meshes/Builders/boxBuilder.js'
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial.js'
import { Texture } from '@babylonjs/core/Materials/Textures/texture.js'
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js'
import { addComponent, addEntity, createWorld, removeEntity, type World } from 'bitecs'
import { createNetwork, createMemoryNetwork, type MemoryNetwork, type MemoryTransport, type Network } from '../../src/index.js'
import { attachBabylon, type BabylonBinding, type Prefab } from '../../src/babylon/index.js'
import { createDemoSchema, type DemoSchema } from '../../generated/demo/schema.js'

interface Peer {
  transport: MemoryTransport
  world: World
  s: DemoSchema
  net: Network
  scene: Scene
  view: BabylonBinding
}

let hub: MemoryNetwork
let engine: NullEngine
let peers: Peer[]

/** An avatar: a capsule with its own material and texture, and a child "hat" with another material. */
const avatar = (s: DemoSchema): Prefab<Mesh> => ({
  create({ eid, scene }) {
    const body = CreateCapsule(`avatar-${eid}`, { height: 1.8, radius: 0.4 }, scene)
    const mat = new StandardMaterial(`avatar-mat-${eid}`, scene)
    mat.diffuseTexture = new Texture('data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', scene)
    body.material = mat
    const hat = CreateBox(`hat-${eid}`, { size: 0.3 }, scene)
    hat.parent = body
    hat.position.y = 1
    hat.material = new StandardMaterial(`hat-mat-${eid}`, scene)
    return body
  },
  update(node, { eid }) {
    ;(node.material as StandardMaterial).diffuseColor = Color3.FromHexString('#' + s.Avatar.color[eid].toString(16).padStart(6, '0'))
  },
})

function peer(id: string): Peer {
  const world = createWorld()
  const s = createDemoSchema(256)
  const transport = hub.join(id)
  const net = createNetwork(world, { schema: s.schema, transport, maxEntities: 256, interpolationDelay: 100 })
  const scene = new Scene(engine)
  new FreeCamera('cam', new Vector3(0, 5, -10), scene)
  const view = attachBabylon(scene, net, { prefabs: [[s.Avatar, avatar(s)]], transform: s.Transform })
  return { transport, world, s, net, scene, view }
}

/** One network tick of 1000/30 ms: deliver, receive, flush, render every scene (the binding hooks the render). */
function tick(n = 1): void {
  for (let i = 0; i < n; i++) {
    hub.advance(1000 / 30)
    for (const p of peers) p.net.receive()
    for (const p of peers) p.net.flush()
    for (const p of peers) p.scene.render()
  }
}

const counts = (scene: Scene) => ({ meshes: scene.meshes.length, materials: scene.materials.length, textures: scene.textures.length })

beforeEach(() => {
  hub = createMemoryNetwork()
  engine = new NullEngine()
  peers = [peer('a'), peer('b')]
  tick(2)
})
afterEach(() => {
  for (const p of peers) {
    p.view.dispose()
    p.net.close()
    p.scene.dispose()
  }
  engine.dispose()
  hub.dispose()
})

function spawnAvatar(p: Peer, x: number, color = 0x3366ff): number {
  const eid = addEntity(p.world)
  addComponent(p.world, eid, p.s.Transform)
  addComponent(p.world, eid, p.s.Avatar)
  p.s.Transform.x[eid] = x
  p.s.Avatar.name[eid] = 'alice'
  p.s.Avatar.color[eid] = color
  p.net.spawn(eid)
  return eid
}

describe('attachBabylon', () => {
  it('spawn creates the node on both peers; moves follow; despawn leaves no mesh, material or texture behind', () => {
    const [a, b] = peers
    const before = [counts(a.scene), counts(b.scene)]
    const eid = spawnAvatar(a, 3)
    tick(3)
    // A: its own entity has a node at once; B: the remote copy has one too, placed from the replicated state.
    const nodeA = a.view.nodeOf(eid)!
    expect(nodeA.position.x).toBeCloseTo(3, 3)
    expect(b.view.entities.size).toBe(1)
    const remote = [...b.view.entities][0]
    const nodeB = b.view.nodeOf(remote)!
    expect(nodeB.name).toBe(`avatar-${remote}`)
    expect(nodeB.position.x).toBeCloseTo(3, 2)
    expect((nodeB as Mesh).material!.name).toBe(`avatar-mat-${remote}`)
    expect(((nodeB as Mesh).material as StandardMaterial).diffuseColor.toHexString()).toBe('#3366FF')
    expect(counts(b.scene)).toEqual({ meshes: before[1].meshes + 2, materials: before[1].materials + 2, textures: before[1].textures + 1 })
    // Picking a child mesh finds the entity.
    expect(b.view.entityOf(nodeB.getChildMeshes()[0])).toBe(remote)

    // Move on A: A's node follows the store on the next frame; B's follows within the interpolation delay.
    a.s.Transform.x[eid] = 4
    a.s.Transform.z[eid] = -2
    a.s.Transform.yaw[eid] = 1
    a.scene.render()
    expect(nodeA.position.x).toBeCloseTo(4, 5)
    expect(nodeA.position.z).toBeCloseTo(-2, 5)
    tick(10)
    expect(nodeB.position.x).toBeCloseTo(4, 2)
    expect(nodeB.position.z).toBeCloseTo(-2, 2)
    expect(nodeB.rotation.y).toBeCloseTo(1, 1)

    // Despawn: removed on B by the network, removed locally on A by the game.
    a.net.despawn(eid)
    removeEntity(a.world, eid)
    tick(3)
    expect(a.view.entities.size).toBe(0)
    expect(b.view.entities.size).toBe(0)
    expect(nodeB.isDisposed()).toBe(true)
    expect(counts(a.scene)).toEqual(before[0])
    expect(counts(b.scene)).toEqual(before[1])
  })

  it('remote nodes interpolate between two samples (no jump), ours move at once', () => {
    const [a, b] = peers
    const eid = spawnAvatar(a, 1)
    tick(3)
    // A first delta (the interpolator buffers delta samples only, not the spawn state), then a rest.
    a.s.Transform.x[eid] = 0
    tick(10)
    const remote = [...b.view.entities][0]
    const nodeB = b.view.nodeOf(remote)!
    expect(nodeB.position.x).toBeCloseTo(0, 3)
    // One new sample at x = 2, then render B at 2 ms steps with no further network traffic from A.
    a.s.Transform.x[eid] = 2
    a.net.flush()
    const xs: number[] = []
    for (let t = 0; t < 300; t += 2) {
      hub.advance(2)
      b.net.receive()
      b.scene.render()
      xs.push(nodeB.position.x)
    }
    expect(xs[0]).toBeCloseTo(0, 3)
    expect(xs.at(-1)).toBeCloseTo(2, 2)
    for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThanOrEqual(xs[i - 1] - 1e-6)
    const between = xs.filter((x) => x > 0.1 && x < 1.9)
    // The move spans one tick (33 ms): ~16 frames of 2 ms in between, none a jump larger than a frame's share.
    expect(between.length).toBeGreaterThanOrEqual(10)
    for (let i = 1; i < xs.length; i++) expect(xs[i] - xs[i - 1]).toBeLessThan(0.25)
  })

  it('the owner leaving removes its nodes on the other peer', () => {
    const [a, b] = peers
    const before = counts(b.scene)
    spawnAvatar(a, 1)
    spawnAvatar(a, 2)
    tick(3)
    expect(b.view.entities.size).toBe(2)
    expect(counts(b.scene).meshes).toBe(before.meshes + 4)
    a.transport.close()
    tick(2)
    expect(b.view.entities.size).toBe(0)
    expect(counts(b.scene)).toEqual(before)
  })

  it('a prefab function chooses per entity; an entity id reused in the same frame gets a fresh node', () => {
    const [a, b] = peers
    b.view.dispose()
    const made: string[] = []
    const box: Prefab = { create: ({ eid, scene, local }) => (made.push(`box ${eid} ${local}`), CreateBox(`box-${eid}`, {}, scene)) }
    const view = attachBabylon(b.scene, b.net, { prefabs: (eid) => (b.s.Avatar.color[eid] === 0xff0000 ? box : null) })
    const red = spawnAvatar(a, 1, 0xff0000)
    spawnAvatar(a, 2, 0x00ff00) // no prefab: no node
    tick(3)
    expect(view.entities.size).toBe(1)
    const first = [...view.entities][0]
    expect(made).toEqual([`box ${first} false`])
    // Ours too (local: true), created on the frame after net.spawn.
    const mine = addEntity(b.world)
    addComponent(b.world, mine, b.s.Transform)
    addComponent(b.world, mine, b.s.Avatar)
    b.s.Avatar.color[mine] = 0xff0000
    b.scene.render()
    expect(view.nodeOf(mine)).toBeUndefined() // not replicated yet
    b.net.spawn(mine)
    b.scene.render()
    expect(made.at(-1)).toBe(`box ${mine} true`)
    // Remove the remote red one and add a new entity in the same frame: bitECS recycles the id.
    const old = view.nodeOf(first)!
    a.net.despawn(red)
    hub.advance(1000 / 30)
    a.net.flush()
    hub.advance(1)
    b.net.receive()
    expect(old.isDisposed()).toBe(true)
    const reused = addEntity(b.world)
    expect(reused).toBe(first)
    addComponent(b.world, reused, b.s.Transform)
    addComponent(b.world, reused, b.s.Avatar)
    b.s.Avatar.color[reused] = 0xff0000
    b.net.spawn(reused)
    b.scene.render()
    expect(view.nodeOf(reused)).not.toBe(old)
    expect(view.nodeOf(reused)!.isDisposed()).toBe(false)
    view.dispose()
    expect(b.scene.meshes.length).toBe(0)
  })
})
