// `bitecs-multiuser/babylon`: replicated entities as Babylon nodes. Babylon (@babylonjs/core, deep ESM imports) is a
// peer dependency: this entry is the only one that imports it.
export { attachBabylon, xyzYaw, type AttachBabylonOptions, type BabylonBinding, type Prefab, type PrefabChooser, type PrefabContext, type TransformBinding } from './attach.js'
