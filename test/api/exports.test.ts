// The public API is what README documents: every name each entry point exports, listed here, so an export added
// or lost shows as a diff of this file; each must appear in README.md; and the runtime exports match the list.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { exportedNames, repo } from '../helpers/source-graph.js'

const ENTRIES: Record<string, { file: string; values: string[]; types: string[] }> = {
  'bitecs-multiuser': {
    file: 'src/index.ts',
    values: [
      'AuthErrorCode', 'BitReader', 'BitWriter', 'DEFAULT_LIMITS', 'DEFAULT_LOBBY_LXM', 'DEFAULT_LXM', 'DEFAULT_SERVICE_ID', 'DecodeError', 'ErrorCode', 'JoinError',
      'LobbyError', 'MultiuserAuthError', 'MultiuserError', 'PEERJS_TRANSPORT_DEFAULTS', 'TicketError', 'anonymous', 'createMemoryNetwork',
      'createNetwork', 'defineComponent', 'defineEvent', 'defineSchema', 'joinRoom', 'peerJsTransport', 'relayClient', 'staticTokenSource',
      'verifySessionTicket', 'verifyTicket', 'withLinkConditions',
    ],
    types: [
      'Channel', 'ChannelCounters', 'ComponentDef', 'ComponentSpec', 'ComponentStore',
      'ConditionedTransport', 'ConditionsCounters', 'CreateRoomRequest', 'CreatedRoom', 'DidDocumentLike', 'DropCounters', 'EventDef', 'FieldDef', 'FieldKind', 'FieldSpec', 'IceServer',
      'JoinAnswer', 'JoinResult', 'JoinRoomOptions', 'JsonValue', 'LinkConditions', 'LinkCounters', 'LinkOptions', 'ListRoomsQuery', 'LobbyClient', 'Match',
      'MatchRequest', 'MatchmakeOptions', 'MemoryNetwork', 'MemoryNetworkOptions',
      'MemoryTransport', 'MessageCodec', 'NetPeer', 'NetStats', 'Network', 'NetworkEvents', 'NetworkLimits', 'NetworkOptions', 'NumericArray',
      'ObjectCodec', 'PeerIdentity', 'PeerJsServerOptions', 'PeerJsTransport', 'PeerJsTransportEvents', 'PeerJsTransportOptions', 'QuantizeOptions',
      'Quantizer', 'Refused', 'RelayClient', 'RelayClientOptions', 'RelayJoinOptions', 'RoomAccessMode', 'RoomCredentials', 'RoomInfo', 'RoomList', 'RoomVisibility',
      'RosterEntry', 'Schema', 'SchemaSpec', 'SessionMember', 'SessionTicketClaims', 'Sync', 'TicketClaims', 'TokenRequest', 'TokenSource',
      'Transport', 'TransportEvents', 'TransportStatus', 'TypedArrayName', 'VerifySessionTicketOptions', 'VerifyTicketOptions', 'WithLinkConditionsOptions',
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
  'bitecs-multiuser/wire': {
    file: 'src/protocol/protobuf-wire.ts',
    values: ['BinaryReader', 'BinaryWriter', 'WireType'],
    types: [],
  },
  'bitecs-multiuser/babylon': {
    file: 'src/babylon/index.ts',
    values: ['attachBabylon', 'xyzYaw'],
    types: ['AttachBabylonOptions', 'BabylonBinding', 'Prefab', 'PrefabChooser', 'PrefabContext', 'TransformBinding'],
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
