// The scope a game asks for, checked with the PDS's own scope parser (@atproto/oauth-scopes): it must parse and allow
// only the relay's join and lobby methods at the relay's service, for relay DIDs with and without a port.
import { RpcPermission, ScopePermissions } from '@atproto/oauth-scopes'
import { describe, expect, it } from 'vitest'
import { atprotoRelayScope } from '../../src/atproto/index.js'

const LXM = 'dev.bitecs.multiuser.join'

describe('atprotoRelayScope', () => {
  for (const did of ['did:web:localhost%3A8787', 'did:web:relay.example']) {
    it(`${did}: parses on the PDS and allows only the relay's methods (join, lobby) at <did>#bitecs_relay`, () => {
      const scope = atprotoRelayScope(did)
      const rpc = scope.split(' ').find((s) => s.startsWith('rpc:'))!
      expect(RpcPermission.fromString(rpc)).not.toBeNull()
      const perms = new ScopePermissions(scope)
      expect(perms.allowsRpc({ lxm: LXM, aud: `${did}#bitecs_relay` })).toBe(true)
      expect(perms.allowsRpc({ lxm: 'com.atproto.repo.createRecord', aud: `${did}#bitecs_relay` })).toBe(false)
      expect(perms.allowsRpc({ lxm: LXM, aud: 'did:web:other.example#bitecs_relay' })).toBe(false)
    })
  }

  it('the hand-written form README used to show does not parse for a DID with a port (so the PDS grants nothing)', () => {
    expect(RpcPermission.fromString(`rpc:${LXM}?aud=did:web:localhost%3A8787%23bitecs_relay`)).toBeNull()
  })

  it('allows the lobby method too, unless the game leaves it out (lobbyLxm: null)', () => {
    const did = 'did:web:localhost%3A8787'
    const lobby = { lxm: 'dev.bitecs.multiuser.lobby', aud: `${did}#bitecs_relay` }
    expect(new ScopePermissions(atprotoRelayScope(did)).allowsRpc(lobby)).toBe(true)
    for (const rpc of atprotoRelayScope(did).split(' ').filter((x) => x.startsWith('rpc:'))) expect(RpcPermission.fromString(rpc)).not.toBeNull()
    const joinOnly = new ScopePermissions(atprotoRelayScope(did, { lobbyLxm: null }))
    expect(joinOnly.allowsRpc(lobby)).toBe(false)
    expect(joinOnly.allowsRpc({ lxm: LXM, aud: lobby.aud })).toBe(true)
  })

  it('takes the relay\'s lxm and service id', () => {
    const scope = atprotoRelayScope('did:web:relay.example', { lxm: 'com.example.join', serviceId: 'game' })
    expect(new ScopePermissions(scope).allowsRpc({ lxm: 'com.example.join', aud: 'did:web:relay.example#game' })).toBe(true)
  })
})
