/**
 * The room directory over HTTP, through the typed client (`relayClient().createRoom/listRooms`) and raw requests:
 * create with options, list with live player counts (sockets opening and closing), filter and page; a join honours
 * the room's options (max players, password, invite-only with invite tokens or invited DIDs); the lobby's own
 * token method (`lxm`), apart from the join's.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { LobbyError } from '../../src/shared/errors.js'
import { relayClient } from '../../src/transport/peerjs/relay-client.js'
import { joinRoom } from '../../src/auth/join.js'
import { anonymous } from '../../src/auth/token-source.js'
import type { Relay } from '../../src/relay/index.js'
import { asJoin, postJoin, RawPeer, refused, until } from './helpers.js'
import { closeAll, gauge, identity, lobbyCall, lobbyToken, startLobbyRelay } from './lobby-helpers.js'

afterAll(closeAll)

/** An anonymous player connected to `room` (its socket open). */
async function player(relay: Relay, room: string, body?: unknown): Promise<RawPeer> {
  const j = asJoin(await postJoin(relay.url, room, body === undefined ? {} : { body }))
  const p = RawPeer.forJoin(j)
  await p.next((m) => m.type === 'OPEN')
  return p
}

const listed = async (relay: Relay, query = '') => (await lobbyCall(relay, 'GET', `v1/rooms${query}`)).body as { rooms: { name: string; players: number; maxPlayers: number; access: string; metadata: Record<string, unknown> }[]; next: string | null }

describe('room list', () => {
  it('lists a created public room with its live player count as players come and go', async () => {
    const relay = await startLobbyRelay()
    const client = relayClient(relay.url)
    const created = await client.createRoom({ name: 'arena', maxPlayers: 8, metadata: { mode: 'ctf', map: 'dust' } })
    expect(created).toMatchObject({ name: 'arena', players: 0, maxPlayers: 8, access: 'open', visibility: 'public', metadata: { mode: 'ctf', map: 'dust' } })
    expect(created.invite).toBeUndefined()
    expect((await client.listRooms()).rooms).toEqual([{ name: 'arena', players: 0, maxPlayers: 8, access: 'open', metadata: { mode: 'ctf', map: 'dust' }, createdAt: created.createdAt }])
    const a = await player(relay, 'arena')
    const b = await player(relay, 'arena')
    await until(async () => (await client.listRooms()).rooms[0]?.players === 2)
    a.close()
    await until(async () => (await client.listRooms()).rooms[0]?.players === 1)
    b.close()
    await until(async () => (await client.listRooms()).rooms[0]?.players === 0)
    // An ad-hoc room (joined by name, never created) is not listed.
    const c = await player(relay, 'secret-hangout')
    expect((await client.listRooms()).rooms.map((r) => r.name)).toEqual(['arena'])
    c.close()
  })

  it('never lists private rooms (they are joined by name), filters by availability, access and metadata, and pages in creation order', async () => {
    const relay = await startLobbyRelay({ maxRoomsPerCreator: 20 })
    const client = relayClient(relay.url)
    await client.createRoom({ name: 'hidden', visibility: 'private' })
    for (let i = 0; i < 5; i++) await client.createRoom({ name: `r${i}`, maxPlayers: 1, metadata: { mode: i % 2 ? 'ctf' : 'dm', level: i } })
    await client.createRoom({ name: 'locked', password: 'hunter2', metadata: { mode: 'ctf' } })
    const p = await player(relay, 'hidden')
    p.close()
    const full = await player(relay, 'r1')
    await until(async () => (await client.listRooms({ metadata: { mode: 'ctf' } })).rooms.find((r) => r.name === 'r1')?.players === 1)

    const names = async (q: Parameters<typeof client.listRooms>[0]) => (await client.listRooms(q)).rooms.map((r) => r.name)
    expect(await names({})).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'locked'])
    expect(await names({ metadata: { mode: 'ctf' } })).toEqual(['r1', 'r3', 'locked'])
    expect(await names({ metadata: { mode: 'ctf', level: 3 } })).toEqual(['r3'])
    expect(await names({ available: true, metadata: { mode: 'ctf' } })).toEqual(['r3', 'locked'])
    expect(await names({ access: 'password' })).toEqual(['locked'])
    // Paging: every room exactly once, in creation order, whatever joins in between.
    const pages: string[][] = []
    let cursor: string | undefined
    do {
      const page = await client.listRooms({ limit: 2, cursor })
      pages.push(page.rooms.map((r) => r.name))
      cursor = page.next ?? undefined
    } while (cursor)
    expect(pages).toEqual([['r0', 'r1'], ['r2', 'r3'], ['r4', 'locked']])
    await expect(client.listRooms({ limit: 500 })).rejects.toMatchObject({ code: 'ROOM_OPTIONS_INVALID', status: 400 })
    full.close()
  })

  it('drops a room left empty for emptyRoomTtlMs (and a created room nobody joined)', async () => {
    const relay = await startLobbyRelay({ emptyRoomTtlMs: 150 })
    const client = relayClient(relay.url)
    await client.createRoom({ name: 'brief' })
    await client.createRoom({ name: 'kept', metadata: { v: 1 } })
    const j = asJoin(await postJoin(relay.url, 'kept'))
    const p = RawPeer.forJoin(j)
    await p.next((m) => m.type === 'OPEN')
    await until(async () => (await client.listRooms()).rooms.map((r) => r.name).join() === 'kept', 3000)
    expect(await gauge(relay, 'bitecs_relay_lobby_rooms')).toBe(1)
    p.close()
    await until(async () => (await client.listRooms()).rooms.length === 0, 3000)
    // The record in an old member's resume token does not bring back a room this relay dropped...
    const back = asJoin(await postJoin(relay.url, 'kept', { body: { resume: { peerId: j.peerId, token: j.resumeToken } } }))
    expect(back.peerId).toBe(j.peerId)
    expect((await client.listRooms()).rooms).toEqual([])
    const q = RawPeer.forJoin(back)
    await q.next((m) => m.type === 'OPEN')
    q.close()
    // ... and the name is free again, for anyone: the new room's record is the one that counts.
    await until(async () => (await lobbyCall(relay, 'POST', 'v1/rooms', { body: { name: 'kept' } })).status === 201)
    expect((await postJoin(relay.url, 'kept', { body: { resume: { peerId: j.peerId, token: j.resumeToken } } })).status).toBe(200)
    expect((await client.listRooms()).rooms[0].metadata).toEqual({})
  })
})

describe('creating rooms', () => {
  it('names a room at random when asked no name; refuses a name taken (created, or in use by an ad-hoc room) and bad options', async () => {
    const relay = await startLobbyRelay()
    const client = relayClient(relay.url)
    expect((await client.createRoom()).name).toMatch(/^r-[0-9a-f]{16}$/)
    await client.createRoom({ name: 'taken' })
    await expect(client.createRoom({ name: 'taken' })).rejects.toMatchObject({ code: 'ROOM_EXISTS', status: 409 })
    const p = await player(relay, 'busy-adhoc')
    await expect(client.createRoom({ name: 'busy-adhoc', password: 'x' })).rejects.toMatchObject({ code: 'ROOM_EXISTS' })
    p.close()
    for (const bad of [{ name: 'no spaces' }, { maxPlayers: 0 }, { maxPlayers: 65 }, { visibility: 'hidden' }, { password: '' }, { password: 'x', inviteOnly: true }, { invited: ['did:web:x'] }, { metadata: [1] }, { colour: 'red' }]) {
      const r = await lobbyCall(relay, 'POST', 'v1/rooms', { body: bad })
      expect([r.status, r.body.error], JSON.stringify(bad)).toEqual([400, 'ROOM_OPTIONS_INVALID'])
    }
    const e = await client.createRoom({ name: 'taken' }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(LobbyError)
  })

  it('uses a token method of its own: a join token cannot create rooms, a lobby token cannot join; auth required needs one', async () => {
    const relay = await startLobbyRelay({ auth: 'required' })
    const alice = await identity()
    const joinToken = await alice.mint(relay)
    const wrong = await lobbyCall(relay, 'POST', 'v1/rooms', { token: joinToken, body: { name: 'a' } })
    expect([wrong.status, wrong.body.error]).toEqual([401, 'AUTH_LXM_MISMATCH'])
    expect((await lobbyCall(relay, 'POST', 'v1/rooms', { body: { name: 'a' } })).body.error).toBe('AUTH_MISSING')
    const ok = await lobbyCall(relay, 'POST', 'v1/rooms', { token: await lobbyToken(alice, relay), body: { name: 'a' } })
    expect(ok.status).toBe(201)
    const lobbyForJoin = await lobbyToken(alice, relay)
    await refused(relay, 'AUTH_LXM_MISMATCH', () => postJoin(relay.url, 'a', { token: lobbyForJoin }), 401)
    // The list needs no token, even here.
    expect((await listed(relay)).rooms.map((r) => r.name)).toEqual(['a'])
    // The typed client asks its token source for the lobby method.
    const client = relayClient(relay.url, { token: alice.source(relay) })
    expect((await client.createRoom({ name: 'b' })).name).toBe('b')
  })
})

describe('a join honours the room\'s options', () => {
  it('maxPlayers: one more is ROOM_FULL, nothing held', async () => {
    const relay = await startLobbyRelay()
    await relayClient(relay.url).createRoom({ name: 'duo', maxPlayers: 2 })
    const a = await player(relay, 'duo')
    asJoin(await postJoin(relay.url, 'duo')) // admitted, socket not open yet: its place counts
    await refused(relay, 'ROOM_FULL', () => postJoin(relay.url, 'duo'), 409)
    a.close()
    await until(async () => (await postJoin(relay.url, 'duo')).status === 200)
  })

  it('password: none is ROOM_PASSWORD_REQUIRED, a wrong one ROOM_PASSWORD_WRONG, the right one admits', async () => {
    const relay = await startLobbyRelay()
    const room = await relayClient(relay.url).createRoom({ name: 'vault', password: 'open sesame' })
    expect(room.access).toBe('password')
    await refused(relay, 'ROOM_PASSWORD_REQUIRED', () => postJoin(relay.url, 'vault'), 403)
    await refused(relay, 'ROOM_PASSWORD_WRONG', () => postJoin(relay.url, 'vault', { body: { password: 'open sesame!' } }), 403)
    const j = await joinRoom(relay.url, 'vault', anonymous(), { credentials: { password: 'open sesame' } })
    expect(j.room).toBe('vault')
    // The password never reaches the logs.
    const { logs } = await import('./lobby-helpers.js')
    expect(logs.text()).not.toContain('open sesame')
  })

  it('invite-only: the invite token of this very room, an invited DID or the creator\'s DID admit; nothing else does', async () => {
    const relay = await startLobbyRelay()
    const [creator, friend, stranger] = await Promise.all([identity(), identity(), identity()])
    const client = relayClient(relay.url, { token: creator.source(relay) })
    const room = await client.createRoom({ name: 'club', inviteOnly: true, invited: [friend.did] })
    expect(room.access).toBe('invite')
    expect(room.invite).toMatch(/^ey/)
    await refused(relay, 'ROOM_INVITE_REQUIRED', () => postJoin(relay.url, 'club'), 403)
    await refused(relay, 'ROOM_INVITE_REQUIRED', async () => postJoin(relay.url, 'club', { token: await stranger.mint(relay) }), 403)
    expect((await postJoin(relay.url, 'club', { body: { invite: room.invite } })).status).toBe(200)
    expect((await postJoin(relay.url, 'club', { token: await friend.mint(relay) })).status).toBe(200)
    expect((await postJoin(relay.url, 'club', { token: await creator.mint(relay) })).status).toBe(200)
    // An invite of another room, or of an earlier room of the same name, opens nothing.
    const other = await client.createRoom({ name: 'other', inviteOnly: true })
    await refused(relay, 'ROOM_INVITE_REQUIRED', () => postJoin(relay.url, 'club', { body: { invite: other.invite } }))
    const forged = `${room.invite!.slice(0, -4)}AAAA`
    await refused(relay, 'ROOM_INVITE_REQUIRED', () => postJoin(relay.url, 'club', { body: { invite: forged } }))
  })
})
