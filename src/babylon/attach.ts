/**
 * attachBabylon: replicated bitECS entities <-> Babylon nodes.
 *
 * For every replicated entity (ours and remote) that has the transform component, the prefab chosen for its
 * archetype creates a node; each frame the node follows the entity: remote entities read the network's
 * interpolated view (`net.interpolated(Transform)`), entities we own read the ECS store directly (no delay).
 * When the entity goes (despawned, its owner left, removed locally) the prefab disposes the node and, by
 * default, its materials and textures.
 *
 * Spawns and despawns are found with bitECS observers on the transform component (`onAdd` / `onRemove`), never by
 * looking into the network's internals. Only Babylon's deep ESM paths are imported, so apps stay tree-shakeable.
 */
import type { Scene } from '@babylonjs/core/scene.js'
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js'
import type { Node } from '@babylonjs/core/node.js'
import type { Observer } from '@babylonjs/core/Misc/observable.js'
import { Quaternion } from '@babylonjs/core/Maths/math.vector.js'
import { entityExists, hasComponent, observe, onAdd, onRemove, query } from 'bitecs'
import type { ComponentStore, NumericArray } from '../protocol/index.js'
import type { Network } from '../ecs/index.js'

/** What a prefab is told about the entity it renders. */
export interface PrefabContext {
  readonly eid: number
  readonly scene: Scene
  readonly net: Network
  /** True while this peer owns the entity (it changes on ownership transfer). */
  readonly local: boolean
}

/** Creates (and optionally updates and disposes) the Babylon node of one kind of entity. */
export interface Prefab<N extends TransformNode = TransformNode> {
  create(ctx: PrefabContext): N
  /** Called every frame after the transform was applied: colors, labels, anything read from other components. */
  update?(node: N, ctx: PrefabContext): void
  /** Default: `node.dispose(false, true)`, i.e. the node, its children, their materials and textures. */
  dispose?(node: N, ctx: PrefabContext): void
}

/**
 * Which prefab an entity gets: `[component store, prefab]` pairs (the first component the entity has wins), or a
 * function of the entity (null: no node for it).
 */
export type PrefabChooser = ReadonlyArray<readonly [component: object, prefab: Prefab]> | ((eid: number) => Prefab | null)

/** How transform values reach a node. */
export interface TransformBinding<S extends ComponentStore = ComponentStore> {
  /** The transform component's store (as added to entities). */
  store: S
  /** Writes the values of `eid` (from `view`: the store for our entities, the interpolated view for remote ones). */
  apply(node: TransformNode, view: S, eid: number): void
}

export interface AttachBabylonOptions {
  prefabs: PrefabChooser
  /**
   * The transform component: a store with numeric fields `x`, `y`, `z` and optionally `yaw` (radians about +Y),
   * or a full binding. Default: the store of the schema's component named `Transform` (as generated; pass it
   * explicitly if you gave `createNetwork` your own `stores`).
   */
  transform?: ComponentStore | TransformBinding
  /** Update on `scene.onBeforeRenderObservable` (default true); with false call `binding.update()` each frame. */
  autoUpdate?: boolean
}

export interface BabylonBinding {
  /** Creates nodes for new entities, moves every node, disposes nodes of entities that are gone. */
  update(): void
  /** The node of an entity, if it has one. */
  nodeOf(eid: number): TransformNode | undefined
  /** The entity a node (or any of its descendants, e.g. a picked mesh) belongs to. */
  entityOf(node: Node | null | undefined): number | undefined
  /** Entities that currently have a node. */
  readonly entities: ReadonlySet<number>
  /** Disposes every node and stops observing. The world and the network are untouched. */
  dispose(): void
}

interface Bound {
  readonly eid: number
  readonly node: TransformNode
  readonly prefab: Prefab
  readonly ctx: { eid: number; scene: Scene; net: Network; local: boolean }
}

const yawQuat = new Quaternion()

/** Default transform application: position from x/y/z, rotation about +Y from yaw (if the store has it). */
export function xyzYaw(store: ComponentStore): TransformBinding {
  const s = store as Record<string, NumericArray | undefined>
  for (const f of ['x', 'y', 'z']) if (!s[f] || typeof s[f]!.length !== 'number') throw new TypeError(`transform store has no numeric field "${f}"`)
  const hasYaw = s.yaw !== undefined
  return {
    store,
    apply(node, view, eid) {
      const v = view as Record<string, NumericArray>
      node.position.set(v.x[eid], v.y[eid], v.z[eid])
      if (!hasYaw) return
      const yaw = v.yaw[eid]
      if (node.rotationQuaternion) {
        Quaternion.RotationYawPitchRollToRef(yaw, 0, 0, yawQuat)
        node.rotationQuaternion.copyFrom(yawQuat)
      } else node.rotation.y = yaw
    },
  }
}

function defaultTransform(net: Network): ComponentStore {
  const def = net.schema.components.find((c) => c.name === 'Transform' || c.name.endsWith('.Transform'))
  const store = def && net.schema.stores.get(def.id)
  if (!store) throw new TypeError('attachBabylon: the schema has no component named Transform; pass options.transform')
  return store
}

/** Binds replicated entities of `net`'s world to Babylon nodes in `scene`. */
export function attachBabylon(scene: Scene, net: Network, options: AttachBabylonOptions): BabylonBinding {
  const world = net.world
  const t = options.transform ?? defaultTransform(net)
  const binding: TransformBinding = 'apply' in t && 'store' in t ? (t as TransformBinding) : xyzYaw(t as ComponentStore)
  const store = binding.store
  const choose: (eid: number) => Prefab | null =
    typeof options.prefabs === 'function'
      ? options.prefabs
      : ((pairs) => (eid: number) => {
          for (const [component, prefab] of pairs) if (hasComponent(world, eid, component)) return prefab
          return null
        })(options.prefabs)

  const bound = new Map<number, Bound>()
  const byNode = new WeakMap<Node, number>()
  /** Entities that gained the transform and may need a node (waiting for the end of the frame, or for net.spawn). */
  const pending = new Set<number>()
  let disposed = false

  const release = (eid: number): void => {
    const b = bound.get(eid)
    if (!b) return
    bound.delete(eid)
    byNode.delete(b.node)
    if (b.prefab.dispose) b.prefab.dispose(b.node, b.ctx)
    else b.node.dispose(false, true)
  }

  const unobserve = [
    observe(world, onAdd(store), (eid: number) => void pending.add(eid)),
    // Synchronous: the eid may be recycled by the next addEntity, before our next update.
    observe(world, onRemove(store), (eid: number) => {
      pending.delete(eid)
      release(eid)
    }),
  ]
  for (const eid of query(world, [store])) pending.add(eid)

  const create = (eid: number): void => {
    const prefab = choose(eid)
    if (!prefab) return
    const ctx = { eid, scene, net, local: net.isOwner(eid) }
    const node = prefab.create(ctx)
    bound.set(eid, { eid, node, prefab, ctx })
    byNode.set(node, eid)
  }

  const update = (): void => {
    if (disposed) return
    for (const eid of pending) {
      if (!entityExists(world, eid) || !hasComponent(world, eid, store)) {
        pending.delete(eid)
        continue
      }
      if (!net.isReplicated(eid)) continue // ours, not spawned yet: wait for net.spawn
      pending.delete(eid)
      if (!bound.has(eid)) create(eid)
    }
    net.interpolate()
    const remoteView = net.interpolated(store)
    for (const b of bound.values()) {
      if (!net.isReplicated(b.eid)) {
        // net.despawn() of one of ours (the local entity stays): it no longer belongs to the shared world.
        release(b.eid)
        continue
      }
      const local = net.isOwner(b.eid)
      b.ctx.local = local
      binding.apply(b.node, local ? store : remoteView, b.eid)
      b.prefab.update?.(b.node, b.ctx)
    }
  }

  let observer: Observer<Scene> | null = null
  if (options.autoUpdate !== false) observer = scene.onBeforeRenderObservable.add(update)

  return {
    update,
    nodeOf: (eid) => bound.get(eid)?.node,
    entityOf(node) {
      for (let n: Node | null | undefined = node; n; n = n.parent) {
        const eid = byNode.get(n)
        if (eid !== undefined) return eid
      }
      return undefined
    },
    get entities() {
      return new Set(bound.keys())
    },
    dispose() {
      if (disposed) return
      disposed = true
      if (observer) scene.onBeforeRenderObservable.remove(observer)
      for (const u of unobserve) u()
      for (const eid of [...bound.keys()]) release(eid)
      pending.clear()
    },
  }
}
