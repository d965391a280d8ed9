/**
 * The events room: a game's `.proto` events on the reliable stream (ordered, exactly once, to the peers connected
 * when sent), and their handlers. A handler that throws is counted and reported (`error`); the others still run.
 */
import { encodeMessage, type BodyOf } from '../protocol/reliable-codec.js'
import type { EventDef } from '../protocol/schema.js'
import { ErrorCode, MultiuserError } from '../shared/errors.js'
import { Invalid, type NetContext } from './context.js'
import type { NetPeer } from './network.js'
import type { PeerState } from './peers.js'

/** Room a frame needs around one message, at most (checked at send: an event must fit a frame of its own). */
const FRAME_SLACK = 16

type Handler = (message: unknown, from: NetPeer) => void

export class Events {
  private readonly handlers = new Map<number, Set<Handler>>()

  constructor(private readonly ctx: NetContext) {}

  send<T>(event: EventDef<T>, message: T, to?: string): void {
    const { schema, peers, stream, settings } = this.ctx
    if (schema.eventById(event.id) !== (event as EventDef)) throw new MultiuserError(ErrorCode.UNKNOWN_EVENT, `event ${event.name} is not in this schema`)
    const payload = event.codec.encode(message).finish()
    const bytes = encodeMessage({ body: { $case: 'event', value: { event: event.id, payload } } })
    const max = settings.limits.maxReliableBytes
    if (bytes.length + FRAME_SLACK > max) throw new MultiuserError(ErrorCode.PAYLOAD_TOO_LARGE, `event of ${bytes.length} bytes exceeds ${max}`)
    if (to !== undefined) {
      const p = peers.get(to)
      if (!p || !p.ready || p.gone) throw new MultiuserError(ErrorCode.PEER_UNKNOWN, `no connected peer ${to}`)
      stream.queue(p, bytes)
    } else for (const p of peers.ready()) stream.queue(p, bytes)
  }

  on<T>(event: EventDef<T>, handler: (message: T, from: NetPeer) => void): () => void {
    let set = this.handlers.get(event.id)
    if (!set) this.handlers.set(event.id, (set = new Set()))
    const h = handler as Handler
    set.add(h)
    return () => set.delete(h)
  }

  onEvent(p: PeerState, v: BodyOf<'event'>): void {
    const def = this.ctx.schema.eventById(v.event)
    if (!def) throw new Invalid('malformed', `unknown event id ${v.event}`)
    let msg: unknown
    try {
      msg = def.codec.decode(v.payload)
    } catch (e) {
      throw new Invalid('malformed', `${def.name}: ${(e as Error).message}`)
    }
    const hs = this.handlers.get(def.id)
    if (!hs) return
    const from = this.ctx.peers.info(p)
    for (const h of [...hs]) {
      try {
        h(msg, from)
      } catch (e) {
        this.ctx.stats.handlerErrors++
        this.ctx.emitter.emit('error', e)
      }
    }
  }
}
