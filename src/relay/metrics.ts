/** Prometheus metrics of one relay instance (its own registry, never prom-client's global one). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

export interface MetricsSources {
  sockets(): number
  rooms(): number
  slotsInUse(): number
  pendingJoins(): number
  handshakesInFlight(): number
  didFetchesInFlight(): number
  lobbyRooms(): number
  matchWaiting(): number
  hosts(): number
  socialSockets(): number
  presenceOnline(): number
  presenceWatches(): number
  socialGraphCacheEntries(): number
  /** 1 while the Redis connection is ready, 0 while it is not; -1 without `redis`. */
  redisUp(): number
}

/** The relay's Prometheus metrics (`/metrics`). */
export class RelayMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry()
  /** Admissions, by auth (`did`, `anonymous`). */
  readonly admissions: Counter<'auth'>
  /** Refusals, by code and stage. */
  readonly refusals: Counter<'code' | 'stage'>
  /** Signals routed, by type. */
  readonly signalsRouted: Counter<'type'>
  /** Signals dropped, by reason. */
  readonly signalsDropped: Counter<'reason'>
  /** Join durations, by outcome. */
  readonly joinDuration: Histogram<'outcome'>
  /** DID lookups, by result. */
  readonly didLookups: Counter<'result'>
  /** DID fetches refused by a concurrency cap, by scope. */
  readonly didFetchesLimited: Counter<'scope'>
  /** Joins refused by the handshake budget, by scope. */
  readonly handshakesLimited: Counter<'scope'>
  /** Matchmaking requests by how they ended (`matched`, `timeout`, `cancelled`, `interrupted`, ...). */
  readonly matchOutcomes: Counter<'outcome'>
  /** Invites sent on the social stream, by outcome (`delivered`, `not_friends`, `offline`, `rate_limited`, `graph_unavailable`). */
  readonly invites: Counter<'outcome'>

  constructor(sources: MetricsSources) {
    const registers = [this.registry]
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers, collect() { this.set(read()) } })
    gauge('bitecs_relay_sockets', 'Open PeerJS sockets (registered peers).', sources.sockets)
    gauge('bitecs_relay_rooms', 'Rooms with at least one connected peer.', sources.rooms)
    gauge('bitecs_relay_slots_in_use', 'Relay-wide peer slots held (verifying, admitted, connected).', sources.slotsInUse)
    gauge('bitecs_relay_pending_joins', 'Admissions waiting for their socket.', sources.pendingJoins)
    gauge('bitecs_relay_handshakes_in_flight', 'Joins waiting on the network (issuer key or handle fetch): places held in the handshake budget.', sources.handshakesInFlight)
    gauge('bitecs_relay_did_fetches_in_flight', 'Fetches in flight (did:web documents, handle well-knowns, PLC directory).', sources.didFetchesInFlight)
    gauge('bitecs_relay_lobby_rooms', 'Rooms in the room directory (created, matchmade, rebuilt).', sources.lobbyRooms)
    gauge('bitecs_relay_match_waiting', 'Players waiting for a match (this process).', sources.matchWaiting)
    gauge('bitecs_relay_hosts', 'Hosts with an open registration stream on this process.', sources.hosts)
    this.matchOutcomes = new Counter({ name: 'bitecs_relay_match_outcomes_total', help: 'Matchmaking outcomes: matched and lobby_full (no room for it) once per match, timeout once per player.', labelNames: ['outcome'], registers })
    gauge('bitecs_relay_social_sockets', 'Open social sockets (presence stream).', sources.socialSockets)
    gauge('bitecs_relay_presence_online', 'Signed-in players online and visible (this process).', sources.presenceOnline)
    gauge('bitecs_relay_presence_watches', 'Accounts watched, summed over social sockets (this process).', sources.presenceWatches)
    gauge('bitecs_relay_redis_up', '1 while the Redis connection is ready, 0 while it is away; -1 without --redis.', sources.redisUp)
    gauge('bitecs_relay_social_graph_cache_entries', 'Social graph answers cached (repos, or AppView pairs).', sources.socialGraphCacheEntries)
    this.invites = new Counter({ name: 'bitecs_relay_invites_total', help: 'Invites by outcome (delivered|not_friends|offline|rate_limited|graph_unavailable).', labelNames: ['outcome'], registers })
    this.admissions = new Counter({ name: 'bitecs_relay_admissions_total', help: 'Joins admitted, by auth kind (atproto|anonymous).', labelNames: ['auth'], registers })
    this.refusals = new Counter({ name: 'bitecs_relay_refusals_total', help: 'Refusals by error code and stage (join|socket|http|social|lobby).', labelNames: ['code', 'stage'], registers })
    this.signalsRouted = new Counter({ name: 'bitecs_relay_signals_routed_total', help: 'Signals delivered to a peer, by type.', labelNames: ['type'], registers })
    this.signalsDropped = new Counter({ name: 'bitecs_relay_signals_dropped_total', help: 'Client messages not delivered, by reason.', labelNames: ['reason'], registers })
    this.joinDuration = new Histogram({ name: 'bitecs_relay_join_duration_seconds', help: 'Join request handling time, by outcome.', labelNames: ['outcome'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers })
    this.didFetchesLimited = new Counter({ name: 'bitecs_relay_did_fetches_limited_total', help: 'Fetches refused by the concurrency caps, by scope (host|global|plc).', labelNames: ['scope'], registers })
    this.handshakesLimited = new Counter({ name: 'bitecs_relay_handshakes_limited_total', help: 'Joins refused a wait on the network, by cap (relay|address|did).', labelNames: ['scope'], registers })
    this.didLookups = new Counter({ name: 'bitecs_relay_did_lookups_total', help: 'Issuer key lookups by result (hit|miss|negative_hit|coalesced).', labelNames: ['result'], registers })
  }

  /** Current value of a counter/gauge with labels, for tests and /healthz. */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name)
    if (!metric) return 0
    const data = await metric.get()
    let sum = 0
    for (const v of data.values) {
      if (Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want)) sum += v.value
    }
    return sum
  }
}
