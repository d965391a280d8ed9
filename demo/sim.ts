// Host mode: the one step both sides run. The host moves a player's avatar by each of its Move inputs; the player's
// page predicts the same step at once (net.predict). No Babylon here: the headless host imports it too.
import { Transform, type Move } from '../generated/demo/schema.js'

export const WORLD_HALF = 20
export const TICK_RATE = 30
/** Walking speed, m/s. */
export const SPEED = 5

/** Walks avatar `eid` one tick in the input's direction (clamped to the ground) and turns it where it faces. */
export function moveAvatar(eid: number, input: Move): void {
  const step = SPEED / TICK_RATE
  Transform.x[eid] = Math.max(-WORLD_HALF + 0.5, Math.min(WORLD_HALF - 0.5, Transform.x[eid] + input.dx * step))
  Transform.z[eid] = Math.max(-WORLD_HALF + 0.5, Math.min(WORLD_HALF - 0.5, Transform.z[eid] + input.dz * step))
  if (input.dx !== 0 || input.dz !== 0) Transform.yaw[eid] = input.yaw
}
