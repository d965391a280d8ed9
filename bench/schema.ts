/**
 * The benchmark's components are the demo game's, generated from `proto/game.proto` by `npm run gen`:
 * Transform (x, y, z: 0.001 over ±512 = 20 bits; yaw: 12-bit angle) and Velocity (x, z: 0.01 over ±64).
 */
export {
  TransformDef, VelocityDef, createGameSchema,
  type TransformStore, type VelocityStore, type GameSchema,
} from '../generated/game/schema.js'
