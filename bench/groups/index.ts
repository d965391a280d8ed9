import { cpuGroup } from './cpu.js'
import { cubesGroup } from './cubes.js'
import { encodeGroup } from './encode.js'
import { flushGroup } from './flush.js'
import { hostGroup } from './host.js'
import { lobbyGroup } from './lobby.js'
import { lossGroup } from './loss.js'
import { netcodeGroup } from './netcode.js'
import { relayGroup } from './relay.js'
import { relayScaleGroup } from './relay-scale.js'
import type { BenchGroup } from './types.js'
import { webrtcGroup } from './webrtc.js'

/**
 * Every group `npm run bench` knows, in run order. A new group (e.g. "webrtc", "relay") is one module
 * implementing {@link BenchGroup}, added here; results.json keeps the groups a run did not select.
 */
export const groups: BenchGroup<any, any>[] = [encodeGroup, flushGroup, cpuGroup, cubesGroup, lossGroup, netcodeGroup, hostGroup, webrtcGroup, relayGroup, relayScaleGroup, lobbyGroup]
