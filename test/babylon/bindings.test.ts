// attachBabylon for any game shape, in Node with Babylon's NullEngine, two peers over the in-memory hub: a top-down
// game's 2D body mapped onto the XZ plane (`{ position: ['x', null, 'y'], rotationY: 'angle' }`), a second transform
// component (a turret's aim) bound by typed code, nodes that follow every component their entity has.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js'
import { Scene } from '@babylonjs/core/scene.js'
import { FreeCamera } from '@babylonjs/core/Cameras/freeCamera.js'
import { Quaternion, Vector3 } from '@babylonjs/core/Maths/math.vector.js'
import { CreateBox } from '@babylonjs/core/Meshes/Builders/boxBuilder.js'
import { TransformNode } from '@babylonjs/core/Meshes/transformNode.js'
import { addComponent, addEntity, createWorld, removeComponent, type World } from 'bitecs'
import { createMemoryNetwork, createNetwork, defineComponent, defineSchema, type ComponentDef, type MemoryNetwork, type Network } from '../../src/index.js'
import { attachBabylon, bindTransform, type BabylonBinding } from '../../src/babylon/index.js'

type BodyStore = { x: Float32Array; y: Float32Array; angle: Float32Array }
type TurretStore = { aim: Float32Array; level: Uint8Array }
const BodyDef = defineComponent<BodyStore>({
  id: 1, name: 'td.Body', sync: 'DELTA', interpolate: true,
  fields: [
    { name: 'x', number: 1, kind: 'f32', quantize: { min: -100, max: 100, precision: 0.001 } },
    { name: 'y', number: 2, kind: 'f32', quantize: { min: -100, max: 100, precision: 0.001 } },
    { name: 'angle', number: 3, kind: 'f32', quantize: { angle: true, bits: 14 } },
  ],
})
const TurretDef = defineComponent<TurretStore>({
  id: 2, name: 'td.Turret', sync: 'DELTA', interpolate: true,
  fields: [{ name: 'aim', number: 1, kind: 'f32', quantize: { angle: true, bits: 14 } }, { name: 'level', number: 2, kind: 'u32', array: 'Uint8Array' }],
})

interface Peer { world: World; net: Network; scene: Scene; view: BabylonBinding; Body: BodyStore; Turret: TurretStore }

let hub: MemoryNetwork
let engine: NullEngine
let peers: Peer[]

function peer(id: string): Peer {
  const Body = BodyDef.createStore(64)
  const Turret = TurretDef.createStore(64)
  const schema = defineSchema({ components: [{ def: BodyDef as ComponentDef, store: Body }, { def: TurretDef as ComponentDef, store: Turret }], events: [], fingerprint: 'td' })
  const world = createWorld()
  const net = createNetwork(world, { schema, transport: hub.join(id), maxEntities: 64 })
  const scene = new Scene(engine)
  new FreeCamera('cam', new Vector3(0, 5, -10), scene)
  const view = attachBabylon(scene, net, {
    prefabs: (eid) => ({
      create: ({ scene }) => {
        const root = new TransformNode(`tank-${eid}`, scene)
        root.position.y = 0.5 // the ground: no field maps y
        CreateBox(`barrel-${eid}`, {}, scene).parent = root
        return root
      },
    }),
    transform: [
      bindTransform(Body, { position: ['x', null, 'y'], rotationY: 'angle' }),
      bindTransform(Turret, (node, view, eid) => {
        // `view` is a TurretStore: its fields are typed.
        const aim: number = view.aim[eid]
        node.getChildren()[0].metadata = { aim, level: view.level[eid] }
        // @ts-expect-error no such field in the Turret store
        void view.angle
      }),
    ],
  })
  return { world, net, scene, view, Body, Turret }
}

function tick(n = 1): void {
  for (let i = 0; i < n; i++) {
    hub.advance(1000 / 30)
    for (const p of peers) p.net.receive()
    for (const p of peers) p.net.flush()
    for (const p of peers) p.scene.render()
  }
}

beforeEach(() => {
  hub = createMemoryNetwork({ seed: 4 })
  engine = new NullEngine()
  peers = [peer('a'), peer('b')]
  tick(2)
})
afterEach(() => {
  for (const p of peers) p.view.dispose(), p.net.close(), p.scene.dispose()
  engine.dispose()
  hub.dispose()
})

describe('attachBabylon for any game shape', () => {
  it('a top-down body drives position x/z and rotation y on both peers; the axis it does not map is the game\'s', () => {
    const [a, b] = peers
    const e = addEntity(a.world)
    addComponent(a.world, e, a.Body)
    a.Body.x[e] = 3
    a.Body.y[e] = -7
    a.Body.angle[e] = 1.25
    a.net.spawn(e)
    tick(12)
    const remote = [...b.view.entities][0]
    for (const node of [a.view.nodeOf(e)!, b.view.nodeOf(remote)!]) {
      expect(node.position.x).toBeCloseTo(3, 2)
      expect(node.position.z).toBeCloseTo(-7, 2)
      expect(node.position.y).toBe(0.5)
      expect(node.rotation.y).toBeCloseTo(1.25, 3)
    }
  })

  it('several transform components: a node follows each one its entity has, and stays while it has any', () => {
    const [a, b] = peers
    const e = addEntity(a.world)
    addComponent(a.world, e, a.Body)
    addComponent(a.world, e, a.Turret)
    a.Body.x[e] = 1
    a.Turret.aim[e] = -0.5
    a.Turret.level[e] = 3
    a.net.spawn(e)
    const turretOnly = addEntity(a.world)
    addComponent(a.world, turretOnly, a.Turret)
    a.Turret.aim[turretOnly] = 2
    a.net.spawn(turretOnly)
    tick(12)
    const barrel = (p: Peer, eid: number) => p.view.nodeOf(eid)!.getChildren()[0].metadata as { aim: number; level: number }
    const there = b.net.eidOf(a.net.netIdOf(e)!)!
    expect(b.view.nodeOf(there)!.position.x).toBeCloseTo(1, 2)
    expect(barrel(b, there).aim).toBeCloseTo(-0.5, 3)
    expect(barrel(b, there).level).toBe(3)
    expect(barrel(b, b.net.eidOf(a.net.netIdOf(turretOnly)!)!).aim).toBeCloseTo(2, 3)
    expect(b.view.entities.size).toBe(2)
    // Losing one of its transform components keeps the node; losing the last one disposes it.
    removeComponent(a.world, e, a.Body)
    tick(6)
    expect(b.view.nodeOf(there)?.isDisposed()).toBe(false)
    removeComponent(a.world, e, a.Turret)
    tick(6)
    expect(b.view.nodeOf(there)).toBeUndefined()
    expect(a.view.nodeOf(e)).toBeUndefined()
  })

  it('a quaternion-rotated node keeps the angles nobody maps; a mapped field the store lacks is a TypeError naming it', () => {
    const [a] = peers
    const node = new TransformNode('q', a.scene)
    node.rotationQuaternion = Quaternion.RotationYawPitchRoll(0, 0.3, 0)
    bindTransform(a.Body, { rotationY: 'angle' }).apply(node, a.Body, 0)
    const e = node.rotationQuaternion.toEulerAngles()
    expect(e.x).toBeCloseTo(0.3, 5)
    expect(e.y).toBeCloseTo(0, 5)
    // @ts-expect-error 'z' is not a field of the Body store
    expect(() => bindTransform(a.Body, { position: ['x', 'z', null] })).toThrow(/no numeric field "z"/)
  })
})
