/**
 * Message kind → the room that handles it. The reliable stream hands every message here in order; before a peer's
 * hello only its hello (or a refusal) is accepted.
 */
import type { BodyOf, Message, MessageKind } from '../protocol/reliable-codec.js'
import { Invalid, type NetContext, type Outcome } from './context.js'
import type { PeerState } from './peers.js'

type Handlers = { [K in MessageKind]: (p: PeerState, value: BodyOf<K>, overdue: boolean) => Outcome }

/** `overdue`: the message has waited `limits.maxStallMs` for an ownership change; it must not wait again. */
export function createDispatch(ctx: NetContext): (p: PeerState, m: Message, overdue: boolean) => Outcome {
  const handlers: Handlers = {
    hello: (p, v, overdue) => ctx.peers.onHello(p, v, overdue),
    refusal: (p, v) => ctx.peers.onRefusal(p, v),
    spawns: (p, v, overdue) => ctx.spawns.onBatch(p, v, overdue),
    despawn: (p, v) => ctx.entities.onDespawn(p, v),
    componentAdd: (p, v) => ctx.entities.onComponent(p, v, true),
    componentUpdate: (p, v) => ctx.entities.onComponent(p, v, false),
    componentRemove: (p, v) => ctx.entities.onComponentRemove(p, v),
    ownershipRequest: (p, v) => ctx.ownership.onRequest(p, v),
    ownershipDeny: (p, v) => ctx.ownership.onDeny(p, v),
    ownershipTransfer: (p, v) => ctx.ownership.onTransfer(p, v),
    ownershipClaim: (p, v, overdue) => ctx.ownership.onClaim(p, v, overdue),
    event: (p, v) => ctx.events.onEvent(p, v),
  }
  return (p, m, overdue) => {
    const body = m.body
    if (!body) throw new Invalid('malformed', 'empty message')
    if (!p.ready && body.$case !== 'hello' && body.$case !== 'refusal') throw new Invalid('malformed', `${body.$case} before hello`)
    if (!ctx.authority.accepts(body.$case)) throw new Invalid('notOwner', `${body.$case} from a client: in host mode the host owns every entity`)
    return (handlers[body.$case] as (p: PeerState, value: unknown, overdue: boolean) => Outcome)(p, body.value, overdue)
  }
}
