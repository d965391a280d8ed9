// The Babylon side of the demo: scene, camera, and the two prefabs (avatar, crate) that attachBabylon instantiates.
// Only deep ESM imports, so the bundle carries just what is used.
import { Engine } from '@babylonjs/core/Engines/engine.js'
import { Scene } from '@babylonjs/core/scene.js'
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js'
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js'
import { Color3, Color4 } from '@babylonjs/core/Maths/math.color.js'
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js'
import { TransformNode } from '@babylonjs/core/Meshes/transformNode.js'
import { Mesh } from '@babylonjs/core/Meshes/mesh.js'
import { CreateBox } from '@babylonjs/core/Meshes/Builders/boxBuilder.js'
import { CreateCapsule } from '@babylonjs/core/Meshes/Builders/capsuleBuilder.js'
import { CreateGround } from '@babylonjs/core/Meshes/Builders/groundBuilder.js'
import { CreatePlane } from '@babylonjs/core/Meshes/Builders/planeBuilder.js'
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial.js'
import { DynamicTexture } from '@babylonjs/core/Materials/Textures/dynamicTexture.js'
import '@babylonjs/core/Culling/ray.js' // scene.pick (click a crate)
import type { Prefab } from 'bitecs-multiuser/babylon'

import { WORLD_HALF } from './sim.js'

export { WORLD_HALF }

export function createScene(canvas: HTMLCanvasElement) {
  // preserveDrawingBuffer: screenshots of the canvas (tests, "share") see the last frame.
  const engine = new Engine(canvas, true, { preserveDrawingBuffer: true, stencil: true })
  const scene = new Scene(engine)
  scene.clearColor = new Color4(0.62, 0.76, 0.9, 1)
  const camera = new ArcRotateCamera('camera', -Math.PI / 2, 1.05, 13, new Vector3(0, 1, 0), scene)
  camera.attachControl(canvas, true)
  camera.inputs.removeByType('ArcRotateCameraKeyboardMoveInput') // the keys move the avatar
  camera.lowerRadiusLimit = 5
  camera.upperRadiusLimit = 30
  camera.upperBetaLimit = 1.45
  new HemisphericLight('sky', new Vector3(0.3, 1, 0.2), scene).intensity = 1.0

  const ground = CreateGround('ground', { width: WORLD_HALF * 2, height: WORLD_HALF * 2 }, scene)
  const grid = new DynamicTexture('grid', { width: 512, height: 512 }, scene, true)
  const ctx = grid.getContext()
  ctx.fillStyle = '#5f8a55'
  ctx.fillRect(0, 0, 512, 512)
  ctx.strokeStyle = '#ffffff30'
  for (let i = 0; i <= 512; i += 512 / 20) {
    ctx.beginPath()
    ctx.moveTo(i, 0)
    ctx.lineTo(i, 512)
    ctx.moveTo(0, i)
    ctx.lineTo(512, i)
    ctx.stroke()
  }
  grid.update()
  const groundMat = new StandardMaterial('ground', scene)
  groundMat.diffuseTexture = grid
  groundMat.specularColor = Color3.Black()
  ground.material = groundMat
  ground.isPickable = false
  return { engine, scene, camera }
}

export const hex = (rgb: number): Color3 => Color3.FromInts((rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255)

/** A billboard text label (its own texture and material: disposed with the node). */
function createLabel(name: string, parent: TransformNode, scene: Scene): { mesh: Mesh; draw(text: string): void } {
  const tex = new DynamicTexture(`${name}-tex`, { width: 512, height: 96 }, scene, true)
  tex.hasAlpha = true
  const mat = new StandardMaterial(`${name}-mat`, scene)
  mat.diffuseTexture = tex
  mat.emissiveColor = Color3.White()
  mat.disableLighting = true
  mat.useAlphaFromDiffuseTexture = true
  mat.backFaceCulling = false
  const mesh = CreatePlane(name, { width: 2.4, height: 0.45 }, scene)
  mesh.material = mat
  mesh.billboardMode = Mesh.BILLBOARDMODE_ALL
  mesh.parent = parent
  mesh.position.y = 2.25
  mesh.isPickable = false
  let last = ''
  return {
    mesh,
    draw(text) {
      if (text === last) return
      last = text
      const c = tex.getContext() as unknown as CanvasRenderingContext2D
      c.clearRect(0, 0, 512, 96)
      c.fillStyle = '#00000088'
      c.font = 'bold 44px system-ui, sans-serif'
      const w = Math.min(500, c.measureText(text).width + 28)
      c.fillRect(256 - w / 2, 14, w, 68)
      c.fillStyle = '#ffffff'
      c.textAlign = 'center'
      c.fillText(text, 256, 64, 480)
      tex.update()
    },
  }
}

/** What the prefabs read each frame (from the ECS, through the game). */
export interface Look {
  color(eid: number): number
  label(eid: number): string
  /** Crates: highlighted while carried. */
  carried?(eid: number): boolean
}

/** A player: a capsule (feet at the entity's position) with a "nose" showing where it faces, and a name label. */
export function avatarPrefab(look: Look): Prefab<TransformNode> {
  const labels = new Map<number, (text: string) => void>()
  return {
    create({ eid, scene }) {
      const root = new TransformNode(`avatar-${eid}`, scene)
      const mat = new StandardMaterial(`avatar-${eid}-mat`, scene)
      const body = CreateCapsule(`avatar-${eid}-body`, { height: 1.8, radius: 0.42 }, scene)
      body.parent = root
      body.position.y = 0.9
      body.material = mat
      const nose = CreateBox(`avatar-${eid}-nose`, { width: 0.3, height: 0.16, depth: 0.3 }, scene)
      nose.parent = root
      nose.position.set(0, 1.45, 0.38)
      nose.material = mat
      labels.set(eid, createLabel(`avatar-${eid}-label`, root, scene).draw)
      return root
    },
    update(root, { eid }) {
      const mat = (root.getChildMeshes()[0] as Mesh).material as StandardMaterial
      mat.diffuseColor = hex(look.color(eid))
      labels.get(eid)?.(look.label(eid))
    },
    dispose(root, { eid }) {
      labels.delete(eid)
      root.dispose(false, true)
    },
  }
}

/** A crate: a box whose color comes from the RELIABLE Crate component; glows while carried. */
export function cratePrefab(look: Look): Prefab<Mesh> {
  return {
    create({ eid, scene }) {
      const box = CreateBox(`crate-${eid}`, { size: 1 }, scene)
      box.material = new StandardMaterial(`crate-${eid}-mat`, scene)
      return box // centred: a crate on the ground has y = 0.5
    },
    update(box, { eid }) {
      const mat = box.material as StandardMaterial
      mat.diffuseColor = hex(look.color(eid))
      mat.emissiveColor = look.carried?.(eid) ? hex(look.color(eid)).scale(0.45) : Color3.Black()
    },
  }
}
