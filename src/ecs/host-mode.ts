/**
 * Host mode's options and rooms (README "Host mode"): who owns what and who is admitted (authority.ts), inputs
 * (inputs.ts), prediction and reconciliation (prediction.ts). Under owner authority the rooms exist and stay idle.
 */
import { HostAuthority, type AdmitFn, type Authority } from './authority.js'
import type { NetContext } from './context.js'
import { DEFAULT_INPUT_REDUNDANCY, Inputs } from './inputs.js'
import { Prediction } from './prediction.js'

/** The host-mode part of `createNetwork`'s options (README "Host mode"). */
export interface HostModeOptions {
  /**
   * Who owns replicated entities: `'owner'` (default), every peer what it spawns; `'host'`, one host owns them all
   * and its clients send inputs (README "Host mode"). Every peer of a room must use the same.
   */
  authority?: Authority
  /** Host mode: this peer is the host (default false: a client). */
  host?: boolean
  /**
   * Host mode, the host: admits a client only when this resolves for the session ticket of its hello (default: every
   * client). `sessionWhitelist(...)` checks relay-signed session tickets.
   */
  admit?: AdmitFn
  /**
   * Host mode: keep the links between clients idle so that, when the host leaves, the client admitted first takes
   * over with the state it has (`hostChanged`); every peer of the room must agree. Default false: clients drop their
   * links to each other (star topology).
   */
  hostMigration?: boolean
  /** Host mode, a client: its session ticket (from matchmaking), sent to the host in its hello. Default none. */
  sessionTicket?: string
  /** Host mode, a client: inputs per input packet, the newest and the ones before it (1..32). Default 3: two lost packets in a row cost nothing. */
  inputRedundancy?: number
  /**
   * Host mode, a client: a prediction's correction is shown as a visual offset that halves every this many ms (0: shown
   * at once). Default 100.
   */
  correctionHalfLife?: number
  /**
   * Host mode, a client: compare the prediction after each input with the host's state after it, and report the first
   * divergence (`divergence` event, `stats.host.divergences`). For tests and development. Default false.
   */
  determinismCheck?: boolean
}

/** Sets the host-mode rooms of `ctx` from `options`. */
export function attachHostMode(ctx: NetContext, options: HostModeOptions): void {
  const authority = options.authority ?? 'owner'
  if (authority !== 'owner' && authority !== 'host') throw new RangeError(`authority must be 'owner' or 'host' (got ${String(authority)})`)
  ctx.authority = new HostAuthority(ctx, authority, options.host === true, options.admit ?? null, options.sessionTicket ?? '', options.hostMigration === true)
  ctx.inputs = new Inputs(ctx, options.inputRedundancy ?? DEFAULT_INPUT_REDUNDANCY)
  ctx.prediction = new Prediction(ctx, options.correctionHalfLife ?? 100, options.determinismCheck === true)
  ctx.inputs.onLocal = (seq, def, input) => ctx.prediction.onLocal(seq, def, input)
}
