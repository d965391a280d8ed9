// The scope a game asks for, checked with the PDS's own scope parser (@atproto/oauth-scopes): it must parse and allow
// exactly the relay's join method at the relay's service, for relay DIDs with and without a port.
import { RepoPermission, RpcPermission, ScopePermissions } from '@atproto/oauth-scopes'
import { describe, expect, it } from 'vitest'
import { atprotoRelayScope } from '../../src/atproto/index.js'

const LXM = 'dev.bitecs.multiuser.join'

describe('atprotoRelayScope', () => {
  for (const did of ['did:web:localhost%3A8787', 'did:web:relay.example']) {
    it(`${did}: parses on the PDS and allows only the join method at <did>#bitecs_relay`, () => {
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

  it('with lobby: the join and lobby methods at <did>#bitecs_relay (and with social besides, all three)', () => {
    const did = 'did:web:localhost%3A8787'
    const aud = `${did}#bitecs_relay`
    const lobby = { lxm: 'dev.bitecs.multiuser.lobby', aud }
    expect(new ScopePermissions(atprotoRelayScope(did)).allowsRpc(lobby)).toBe(false)
    const scope = atprotoRelayScope(did, { lobby: true })
    const [atproto, rpc, ...rest] = scope.split(' ')
    expect([atproto, rest]).toEqual(['atproto', []])
    expect(RpcPermission.fromString(rpc)).toMatchObject({ aud, lxm: [LXM, 'dev.bitecs.multiuser.lobby'] })
    const perms = new ScopePermissions(scope)
    expect(perms.allowsRpc(lobby)).toBe(true)
    expect(perms.allowsRpc({ lxm: LXM, aud })).toBe(true)
    expect(perms.allowsRpc({ ...lobby, aud: 'did:web:other.example#bitecs_relay' })).toBe(false)
    const all = new ScopePermissions(atprotoRelayScope(did, { lobby: true, social: true }))
    for (const lxm of [LXM, 'dev.bitecs.multiuser.lobby', 'dev.bitecs.multiuser.social']) expect(all.allowsRpc({ lxm, aud })).toBe(true)
    expect(all.allowsRepo({ action: 'create', collection: 'dev.bitecs.multiuser.session' })).toBe(true)
  })

  it('takes the relay\'s lxm and service id', () => {
    const scope = atprotoRelayScope('did:web:relay.example', { lxm: 'com.example.join', serviceId: 'game' })
    expect(new ScopePermissions(scope).allowsRpc({ lxm: 'com.example.join', aud: 'did:web:relay.example#game' })).toBe(true)
  })

  for (const did of ['did:web:localhost%3A8787', 'did:web:relay.example']) {
    it(`${did}, social: the join and social methods at <did>#bitecs_relay, and session records (create, update, delete) of that collection only`, () => {
      const scope = atprotoRelayScope(did, { social: true })
      const aud = `${did}#bitecs_relay`
      const [atproto, rpc, repo, ...rest] = scope.split(' ')
      expect([atproto, rest]).toEqual(['atproto', []])
      expect(RpcPermission.fromString(rpc)).toMatchObject({ aud, lxm: [LXM, 'dev.bitecs.multiuser.social'] })
      expect(RepoPermission.fromString(repo)).toMatchObject({ collection: ['dev.bitecs.multiuser.session'], action: ['create', 'update', 'delete'] })
      const perms = new ScopePermissions(scope)
      expect(perms.allowsRpc({ lxm: LXM, aud })).toBe(true)
      expect(perms.allowsRpc({ lxm: 'dev.bitecs.multiuser.social', aud })).toBe(true)
      expect(perms.allowsRpc({ lxm: 'dev.bitecs.multiuser.social', aud: 'did:web:other.example#bitecs_relay' })).toBe(false)
      for (const action of ['create', 'update', 'delete'] as const) expect(perms.allowsRepo({ action, collection: 'dev.bitecs.multiuser.session' })).toBe(true)
      expect(perms.allowsRepo({ action: 'create', collection: 'app.bsky.feed.post' })).toBe(false)
      expect(perms.allowsRepo({ action: 'create', collection: 'app.bsky.graph.follow' })).toBe(false)
    })
  }
})
