/**
 * attachBabylon: replicated bitECS entities <-> Babylon nodes.
 *
 * For every replicated entity (ours and remote) that has one of the transform components, the prefab chosen for its
 * archetype creates a node; each frame the node follows the entity through every transform binding whose component
 * it has (a binding maps a component's fields to the node: position, rotation, scale, or any code): remote entities
 * read the network's interpolated view (`net.interpolated(store)`), entities we own read the ECS store directly.
 * When the entity goes (despawned, its owner left, removed locally) the prefab disposes the node and, by
 * default, its materials and textures.
 *
 * Spawns and despawns are found with bitECS observers on the transform components (`onAdd` / `onRemove`), never by
 * looking into the network's internals. Only Babylon's deep ESM paths are imported, so apps stay tree-shakeable.
 */
import type { Scene } from '@babylonjs/core/scene.js'
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js'
import type { Node } from '@babylonjs/core/node.js'
import type { Observer } from '@babylonjs/core/Misc/observable.js'
import { Quaternion, Vector3 } from '@babylonjs/core/Maths/math.vector.js'
import { entityExists, hasComponent, observe, onAdd, onRemove, query } from 'bitecs'
import type { ComponentStore, NumericArray } from '../protocol/index.js'
import type { Network } from '../ecs/index.js'

/** What a prefab is told about the entity it renders. */
export interface PrefabContext {
  /** The entity. */
  readonly eid: number
  /** The scene the node belongs in. */
  readonly scene: Scene
  /** The network the entity belongs to. */
  readonly net: Network
  /** True while this peer owns the entity (it changes on ownership transfer). */
  readonly local: boolean
}

/** Creates (and optionally updates and disposes) the Babylon node of one kind of entity. */
export interface Prefab<N extends TransformNode = TransformNode> {
  /** Creates the node of an entity (called once, when the entity appears). */
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

/** How one component's values reach a node. Make one with {@link bindTransform} to have `view` typed by the store. */
export interface TransformBinding<S extends ComponentStore = ComponentStore> {
  /** The component's store (as added to entities). */
  store: S
  /** Writes the values of `eid` (from `view`: the store for our entities, the interpolated view for remote ones). */
  apply(node: TransformNode, view: S, eid: number): void
}

/** The names of a store's numeric fields. */
export type NumericField<S> = { [K in keyof S]: S[K] extends NumericArray ? K : never }[keyof S] & string

/**
 * Which fields of a store drive which node properties; `null` leaves that axis to the game (or to another binding).
 * E.g. a top-down game on the XZ plane: `{ position: ['x', null, 'y'], rotationY: 'angle' }`.
 */
export interface TransformMapping<S extends ComponentStore> {
  /** `node.position` x, y, z. Default `['x', 'y', 'z']` (each where the store has it). */
  position?: readonly [NumericField<S> | null, NumericField<S> | null, NumericField<S> | null]
  /** Radians about +X (pitch), +Y (yaw), +Z (roll). Default `rotationY: 'yaw'` where the store has one. */
  rotationX?: NumericField<S> | null
  /** Radians about +Y (yaw). */
  rotationY?: NumericField<S> | null
  /** Radians about +Z (roll). */
  rotationZ?: NumericField<S> | null
  /** `node.scaling` x, y, z, or one field for all three. Default none. */
  scale?: readonly [NumericField<S> | null, NumericField<S> | null, NumericField<S> | null] | NumericField<S> | null
}

/** Options of {@link attachBabylon}. */
export interface AttachBabylonOptions {
  /** Which prefab (node maker) each entity gets. */
  prefabs: PrefabChooser
  /**
   * The transform components: a store (mapped by default: `x`, `y`, `z`, and `yaw` as radians about +Y), a binding
   * ({@link bindTransform}: a field mapping or your own `apply`), or several (a node follows every one whose
   * component its entity has, in order; an entity gets a node when it has any). Default: the store of the schema's
   * component named `Transform` (as generated; pass it explicitly if you gave `createNetwork` your own `stores`).
   */
  transform?: ComponentStore | TransformBinding | ReadonlyArray<ComponentStore | TransformBinding>
  /** Update on `scene.onBeforeRenderObservable` (default true); with false call `binding.update()` each frame. */
  autoUpdate?: boolean
}

/** What {@link attachBabylon} returns: the nodes of the replicated entities, kept in place every frame. */
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

const rotQuat = new Quaternion()
const euler = new Vector3()

const isNumeric = (v: unknown): v is NumericArray => ArrayBuffer.isView(v) && !(v instanceof DataView)

/**
 * A binding of `store` to nodes: a field mapping (default: `x`, `y`, `z` → position and `yaw` → rotation about +Y,
 * each where the store has it), or your own `apply`, whose `view` is typed by the store. Throws a TypeError naming a
 * mapped field the store does not have (or that is not numeric).
 */
export function bindTransform<S extends ComponentStore>(store: S, how?: TransformMapping<S> | ((node: TransformNode, view: S, eid: number) => void)): TransformBinding<S> {
  if (typeof how === 'function') return { store, apply: how }
  const has = (f: string): boolean => isNumeric(store[f])
  const m: TransformMapping<S> = how ?? {
    position: (['x', 'y', 'z'] as const).map((f) => (has(f) ? f : null)) as unknown as TransformMapping<S>['position'],
    rotationY: (has('yaw') ? 'yaw' : null) as TransformMapping<S>['rotationY'],
  }
  const axes = (v: TransformMapping<S>['scale']): readonly (string | null)[] => (v == null ? [null, null, null] : typeof v === 'string' ? [v, v, v] : v)
  const position = axes(m.position)
  const rotation = [m.rotationX ?? null, m.rotationY ?? null, m.rotationZ ?? null]
  const scale = axes(m.scale)
  for (const f of [...position, ...rotation, ...scale]) if (f !== null && !has(f)) throw new TypeError(`transform store has no numeric field "${f}"`)
  const anyRotation = rotation.some((f) => f !== null)
  const write = (target: Vector3, fields: readonly (string | null)[], v: Record<string, NumericArray>, eid: number): void => {
    if (fields[0] !== null) target.x = v[fields[0]][eid]
    if (fields[1] !== null) target.y = v[fields[1]][eid]
    if (fields[2] !== null) target.z = v[fields[2]][eid]
  }
  return {
    store,
    apply(node, view, eid) {
      const v = view as unknown as Record<string, NumericArray>
      write(node.position, position, v, eid)
      write(node.scaling, scale, v, eid)
      if (!anyRotation) return
      if (!node.rotationQuaternion) return write(node.rotation, rotation, v, eid)
      // A quaternion-rotated node (e.g. an imported mesh): the axes left alone keep their current angles.
      node.rotationQuaternion.toEulerAnglesToRef(euler)
      write(euler, rotation, v, eid)
      Quaternion.RotationYawPitchRollToRef(euler.y, euler.x, euler.z, rotQuat)
      node.rotationQuaternion.copyFrom(rotQuat)
    },
  }
}

/** The default binding: position from `x`, `y`, `z`, rotation about +Y from `yaw` if the store has it (`bindTransform(store)`, requiring x, y and z). */
export function xyzYaw(store: ComponentStore): TransformBinding {
  for (const f of ['x', 'y', 'z']) if (!isNumeric(store[f])) throw new TypeError(`transform store has no numeric field "${f}"`)
  return bindTransform(store)
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
  const isBinding = (x: ComponentStore | TransformBinding): x is TransformBinding => typeof x.apply === 'function' && 'store' in x
  const bindings: TransformBinding[] = (Array.isArray(t) ? t : [t]).map((x: ComponentStore | TransformBinding) => (isBinding(x) ? x : xyzYaw(x)))
  if (bindings.length === 0) throw new TypeError('attachBabylon: options.transform lists no component')
  const stores = bindings.map((b) => b.store)
  /** Whether `eid` has one of the transform components (`except`: one being removed). */
  const hasTransform = (eid: number, except?: ComponentStore): boolean => stores.some((s) => s !== except && hasComponent(world, eid, s))
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

  const unobserve = stores.flatMap((store) => [
    observe(world, onAdd(store), (eid: number) => void pending.add(eid)),
    // Synchronous: the eid may be recycled by the next addEntity, before our next update.
    observe(world, onRemove(store), (eid: number) => {
      if (hasTransform(eid, store)) return
      pending.delete(eid)
      release(eid)
    }),
  ])
  for (const store of stores) for (const eid of query(world, [store])) pending.add(eid)

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
      if (!entityExists(world, eid) || !hasTransform(eid)) {
        pending.delete(eid)
        continue
      }
      if (!net.isReplicated(eid)) continue // ours, not spawned yet: wait for net.spawn
      pending.delete(eid)
      if (!bound.has(eid)) create(eid)
    }
    net.interpolate()
    const remoteViews = bindings.map((binding) => net.interpolated(binding.store))
    for (const b of bound.values()) {
      if (!net.isReplicated(b.eid)) {
        // net.despawn() of one of ours (the local entity stays): it no longer belongs to the shared world.
        release(b.eid)
        continue
      }
      const local = net.isOwner(b.eid)
      b.ctx.local = local
      for (let i = 0; i < bindings.length; i++) {
        const binding = bindings[i]
        if (hasComponent(world, b.eid, binding.store)) binding.apply(b.node, local ? binding.store : remoteViews[i], b.eid)
      }
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
