import { bitecsSoa, bitecsSoaDiff } from './bitecs-soa.js'
import { colyseus } from './colyseus.js'
import { json } from './json.js'
import { ours } from './ours.js'
import { oursCodec } from './ours-codec.js'
import { protobufjsPacked, protobufjsRepeated } from './protobufjs.js'
import type { Contender } from './types.js'

/** Every contender of the encode group, in table order. */
export const contenders: Contender[] = [...(ours ? [ours] : []), oursCodec, bitecsSoa, bitecsSoaDiff, colyseus, protobufjsRepeated, protobufjsPacked, json]
