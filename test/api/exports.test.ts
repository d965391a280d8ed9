// The public API is what README documents: every name each entry point exports, listed here, so an export added
// or lost shows as a diff of this file; each must appear in README.md; and the runtime exports match the list.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { exportedNames, repo } from '../helpers/source-graph.js'

const ENTRIES: Record<string, { file: string; values: string[]; types: string[] }> = {
  'bitecs-multiuser': {
    file: 'src/index.ts',
    values: [
      'anonymous', 'AuthErrorCode', 'BitReader', 'BitWriter', 'createMemoryNetwork', 'createNetwork', 'DecodeError', 'DEFAULT_LIMITS',
      'DEFAULT_LOBBY_LXM', 'DEFAULT_LXM', 'DEFAULT_SERVICE_ID', 'defineComponent', 'defineEvent', 'defineSchema', 'ErrorCode', 'gridRelevance',
      'JoinError', 'joinRoom', 'LobbyError', 'MultiuserAuthError', 'MultiuserError', 'PEERJS_TRANSPORT_DEFAULTS', 'peerJsTransport', 'registerHost', 'relayClient',
      'staticTokenSource', 'TicketError', 'verifySessionTicket', 'verifyTicket', 'withLinkConditions',
    ],
    types: [
      'Channel', 'ChannelCounters', 'ComponentCounters', 'ComponentDef', 'ComponentSpec', 'ComponentStore', 'ConditionedTransport',
      'ConditionsCounters', 'CongestionStats', 'CreatedRoom', 'CreateRoomRequest', 'DespawnReason', 'DidDocumentLike', 'DropCounters', 'EntityEvent',
      'EntityRefCodec', 'EventDef', 'FieldDef', 'FieldKind', 'FieldSpec', 'GridRelevanceOptions', 'HostRegistration', 'HostSession', 'IceServer', 'InspectedEntity', 'JoinAnswer',
      'JoinResult', 'JoinRoomOptions', 'JsonValue', 'LinkConditions', 'LinkCounters', 'LinkOptions', 'ListRoomsQuery', 'LobbyClient', 'Match',
      'MatchmakeOptions', 'MatchRequest', 'MemoryNetwork', 'MemoryNetworkOptions', 'MemoryTransport', 'MessageCodec', 'NetId', 'NetInspection',
      'NetPeer', 'NetStats', 'Network', 'NetworkEvents', 'NetworkLimits', 'NetworkOptions', 'NumericArray', 'ObjectCodec', 'OwnershipChange',
      'PeerIdentity', 'PeerJsServerOptions', 'PeerJsTransport', 'PeerJsTransportEvents', 'PeerJsTransportOptions', 'PriorityFn', 'QuantizeOptions',
      'Quantizer', 'Refused', 'RelayClient', 'RelayClientOptions', 'RegisterHostOptions', 'RelayJoinOptions', 'RelevanceFn', 'RoomAccessMode', 'RoomCredentials', 'RoomInfo',
      'RoomList', 'RoomVisibility', 'RosterEntry', 'Schema', 'SchemaDifference', 'SchemaSpec', 'SessionMember', 'SessionTicketClaims', 'Sync',
      'TicketClaims', 'TokenRequest', 'TokenSource', 'Transport', 'TransportEvents', 'TransportStatus', 'TypedArrayName',
      'VerifySessionTicketOptions', 'VerifyTicketOptions', 'WithLinkConditionsOptions',
    ],
  },
  '@bitecs-multiuser/relay': {
    file: 'src/relay/index.ts',
    values: [
      'AuthErrorCode', 'CachingDidKeyResolver', 'CachingHandleVerifier', 'LocalHostRegistry', 'LocalInviteRouter', 'LocalMatchQueue', 'LocalPresenceStore',
      'LocalRoomDirectory', 'LocalRoomPolicies', 'LocalSignalRouter', 'MATCH_QUEUE_DEFAULTS', 'MemoryReplayCache', 'RELAY_DEFAULTS', 'RelayError',
      'createRelay', 'defaultDataDir', 'generateRelayKeyHex', 'noHandles', 'rotateRelayKey', 'verifySessionTicket', 'verifyTicket',
    ],
    types: [
      'AuthMode', 'ControlMessage', 'CreateResult', 'CreateRoomRequest', 'CreatedRoom', 'DeliveryResult', 'DidIdentity', 'DidKeyCacheStats', 'DidKeyResolver',
      'EnqueueResult', 'FriendPresence', 'HandleVerifier', 'HostAnnouncement', 'HostRecord', 'HostRegistry', 'IceServer', 'Invite', 'InviteRouter',
      'JoinRequestBody', 'JoinResult', 'Match', 'MatchEvent', 'MatchQueue', 'MatchQueueRules', 'OutboundMessage', 'PeerEndpoint', 'PeerJsServerOptions',
      'PresenceState', 'PresenceStore', 'QueueEntry', 'QueueOutcome', 'Relationship', 'Relay', 'RelayDidDocument', 'RelayMetrics', 'RelayOptions',
      'RelayStats', 'ReplayCache', 'ReplayCheck', 'ResolvedRelayOptions', 'RoomDirectory', 'RoomEntry', 'RoomFilter', 'RoomInfo', 'RoomList', 'RoomPolicies',
      'RoomRecord', 'RosterEntry', 'RouteOutcome', 'SessionMember', 'SessionTicketClaims', 'SignalRouter', 'SigningKeyInfo', 'SocialGraph', 'TicketClaims',
    ],
  },
  'bitecs-multiuser/atproto': {
    file: 'src/atproto/index.ts',
    values: ['atprotoRelayScope', 'atprotoSignIn', 'atprotoTokenSource'],
    types: ['AtprotoRelayScopeOptions', 'AtprotoSession', 'AtprotoSignIn', 'AtprotoSignInOptions', 'AtprotoTokenSourceOptions'],
  },
  'bitecs-multiuser/social': {
    file: 'src/social/index.ts',
    values: [
      'DEFAULT_SOCIAL_LXM', 'SESSION_COLLECTION', 'SOCIAL_CLIENT_DEFAULTS', 'SocialError', 'appViewSocialGraph', 'areFriends', 'friendsOf', 'listSessions',
      'pdsResolver', 'pdsSocialGraph', 'sessionPublisher', 'socialClient', 'trackSession',
    ],
    types: [
      'AppViewSocialGraphOptions', 'FriendPresence', 'GraphFetch', 'Invite', 'ListSessionsOptions', 'PdsResolver', 'PdsResolverOptions', 'PdsSocialGraphOptions',
      'PublishedSession', 'Relationship', 'SessionPublisher', 'SessionPublisherOptions', 'SessionRecord', 'SessionTransport', 'SocialClient',
      'SocialClientEvents', 'SocialClientOptions', 'SocialGraph', 'SocialStatus', 'SocialWebSocket',
    ],
  },
  'bitecs-multiuser/inspector': {
    file: 'src/inspector/index.ts',
    values: ['attachInspector'],
    types: ['Inspector', 'InspectorOptions'],
  },
  'bitecs-multiuser/wire': {
    file: 'src/protocol/protobuf-wire.ts',
    values: ['BinaryReader', 'BinaryWriter', 'WireType'],
    types: [],
  },
  'bitecs-multiuser/babylon': {
    file: 'src/babylon/index.ts',
    values: ['attachBabylon', 'bindTransform', 'xyzYaw'],
    types: ['AttachBabylonOptions', 'BabylonBinding', 'NumericField', 'Prefab', 'PrefabChooser', 'PrefabContext', 'TransformBinding', 'TransformMapping'],
  },
  '@bitecs-multiuser/codegen': {
    file: 'src/codegen/index.ts',
    values: ['CodegenError', 'TS_PROTO_OPTIONS', 'buildOutputs', 'canonicalSchema', 'fingerprintOf', 'formatDiagnostic', 'generate', 'multiuserCodegen'],
    types: ['GenerateOptions', 'GenerateResult', 'MultiuserCodegenPluginOptions', 'ProtoDiagnostic'],
  },
}

const readme = readFileSync(`${repo}/README.md`, 'utf8')

describe('public API', () => {
  for (const [entry, want] of Object.entries(ENTRIES)) {
    describe(entry, () => {
      const names = exportedNames(`${repo}/${want.file}`)
      const of = (kind: string) => [...names].filter(([, k]) => k === kind).map(([n]) => n).sort()

      it('exports exactly the listed names', () => {
        expect({ values: of('value'), types: of('type') }).toEqual({ values: [...want.values].sort(), types: [...want.types].sort() })
      })

      it('exports at run time exactly the listed values', async () => {
        const mod = (await import(`${repo}/${want.file}`)) as Record<string, unknown>
        expect(Object.keys(mod).sort()).toEqual([...want.values].sort())
      })

      it('documents every name in README', () => {
        const missing = [...want.values, ...want.types].filter((n) => !new RegExp(`\\b${n}\\b`).test(readme))
        expect(missing).toEqual([])
      })
    })
  }
})
