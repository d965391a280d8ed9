/**
 * The events room: a game's `.proto` events on the reliable stream (ordered, exactly once, to the peers connected
 * when sent), and their handlers. A handler that throws is counted and reported (`error`); the others still run.
 * An event sent with `self: true` is also handed to our own handlers at the next `receive()`, decoded from the bytes
 * that went out, so every peer's handlers see the same message. Entity fields (`EventDef.entityFields`) go out as
 * net ids (the envelope's `refs`) and reach each handler as that peer's own eid (0: none, or not in its world).
 */
import { encodeMessage, refIndex, type BodyOf, type NetId } from '../protocol/reliable-codec.js'
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
  /** Events sent with `self: true`, for our handlers at the next receive(). */
  private own: { event: number; payload: Uint8Array; refs: NetId[] }[] = []

  constructor(private readonly ctx: NetContext) {}

  send<T>(event: EventDef<T>, message: T, to?: string, self = false): void {
    const { schema, peers, stream, settings } = this.ctx
    if (schema.eventById(event.id) !== (event as EventDef)) throw new MultiuserError(ErrorCode.UNKNOWN_EVENT, `event ${event.name} is not in this schema`)
    const refs: NetId[] = []
    let out = message
    if (event.entityFields) {
      const copy = { ...message } as Record<string, unknown>
      for (const f of event.entityFields) copy[f] = refIndex(refs, typeof copy[f] === 'number' && copy[f] !== 0 ? this.ctx.refs.toNetId(copy[f]) : null)
      out = copy as T
    }
    const payload = event.codec.encode(out).finish()
    const bytes = encodeMessage({ body: { $case: 'event', value: { event: event.id, payload, refs } } })
    const max = settings.limits.maxReliableBytes
    if (bytes.length + FRAME_SLACK > max) throw new MultiuserError(ErrorCode.PAYLOAD_TOO_LARGE, `event of ${bytes.length} bytes exceeds ${max}`)
    if (to !== undefined) {
      const p = peers.get(to)
      if (!p || !p.ready || p.gone) throw new MultiuserError(ErrorCode.PEER_UNKNOWN, `no connected peer ${to}`)
      stream.queue(p, bytes)
    } else for (const p of peers.ready()) stream.queue(p, bytes)
    if (self) this.own.push({ event: event.id, payload, refs })
  }

  /** Hands the events we sent with `self: true` to our own handlers (`from` is this peer). */
  deliverOwn(): void {
    if (this.own.length === 0) return
    const own = this.own
    this.own = []
    const me = this.ctx.peers.selfInfo()
    for (const e of own) {
      try {
        this.dispatch(this.ctx.schema.eventById(e.event)!, e.payload, e.refs, me)
      } catch (err) {
        this.ctx.emitter.emit('error', err) // our own codec could not decode what it encoded
      }
    }
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
    this.dispatch(def, v.payload, v.refs, this.ctx.peers.info(p))
  }

  private dispatch(def: EventDef, payload: Uint8Array, refs: readonly NetId[], from: NetPeer): void {
    let msg: unknown
    try {
      msg = def.codec.decode(payload)
    } catch (e) {
      throw new Invalid('malformed', `${def.name}: ${(e as Error).message}`)
    }
    if (def.entityFields) {
      const m = msg as Record<string, unknown>
      for (const f of def.entityFields) {
        const ref = m[f]
        if (typeof ref !== 'number' || ref > refs.length) throw new Invalid('malformed', `${def.name}.${f}: entity reference ${String(ref)} of ${refs.length}`)
        m[f] = ref === 0 ? 0 : this.ctx.refs.eidOf(refs[ref - 1])
      }
    }
    const hs = this.handlers.get(def.id)
    if (!hs) return
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
