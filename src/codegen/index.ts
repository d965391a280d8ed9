/**
 * The code generator (Node only; a dev dependency of a game): `.proto` components and events to typed bitECS stores and codecs, as a function (`generate`) and a Vite plugin (`multiuserCodegen`).
 *
 * @packageDocumentation
 */
// `@bitecs-multiuser/codegen`: the generator's programmatic API and its Vite plugin (Node only; a dev dependency of a game).
export { generate, buildOutputs, type GenerateOptions, type GenerateResult } from './generate.js'
export { multiuserCodegen, type MultiuserCodegenPluginOptions } from './vite-plugin.js'
export { CodegenError, formatDiagnostic, type ProtoDiagnostic } from './errors.js'
export { canonicalSchema, fingerprintOf } from './fingerprint.js'
export { TS_PROTO_OPTIONS } from './ts-proto.js'
