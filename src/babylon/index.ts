/**
 * Replicated entities as Babylon.js nodes (`attachBabylon`, `bindTransform`). Babylon (`@babylonjs/core`, deep ESM imports) is an optional peer dependency: this entry is the only one that imports it.
 *
 * @packageDocumentation
 */
// `bitecs-multiuser/babylon`: replicated entities as Babylon nodes. Babylon (@babylonjs/core, deep ESM imports) is a
// peer dependency: this entry is the only one that imports it.
export { attachBabylon, bindTransform, xyzYaw, type AttachBabylonOptions, type NumericField, type TransformMapping, type BabylonBinding, type Prefab, type PrefabChooser, type PrefabContext, type TransformBinding } from './attach.js'
