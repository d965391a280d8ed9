// `@bitecs-multiuser/codegen`: the generator's programmatic API and its Vite plugin (Node only; a dev dependency of a game).
export { generate, buildOutputs, type GenerateOptions, type GenerateResult } from './generate.js'
export { multiuserCodegen, type MultiuserCodegenPluginOptions } from './vite-plugin.js'
export { CodegenError, formatDiagnostic, type ProtoDiagnostic } from './errors.js'
export { canonicalSchema, fingerprintOf } from './fingerprint.js'
export { TS_PROTO_OPTIONS } from './ts-proto.js'
