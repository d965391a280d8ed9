// Friends, for signed-in players (bitecs-multiuser/social): the friends panel (who is online, in which room, Invite,
// Join), the incoming-invite toast, "appear offline", and this player's session record while in a room. Loaded only
// with the sign-in module, so guests never download it.
import type { PeerJsTransport } from 'bitecs-multiuser'
import type { AtprotoSignIn } from 'bitecs-multiuser/atproto'
import {
  listSessions, pdsResolver, pdsSocialGraph, sessionPublisher, socialClient, trackSession,
  type FriendPresence, type Invite, type PublishedSession,
} from 'bitecs-multiuser/social'

/** The demo's game id in session records: clients list their own game's sessions only. */
const GAME = 'dev.bitecs.multiuser.demo'

export interface FriendsOptions {
  auth: AtprotoSignIn
  relayUrl: string
  /** PLC directory (a local one in development and tests). */
  plc?: string
  transport: PeerJsTransport
  room: string
  /** Go to a friend's room (the page reloads into it). */
  go(room: string): void
  onProblem(message: string | null): void
}

export type Friends = ReturnType<typeof startFriends>

export function startFriends(o: FriendsOptions) {
  const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!
  const me = o.auth.did!
  const social = socialClient({ relay: o.relayUrl, token: o.auth.socialToken })
  const resolvePds = pdsResolver(o.plc ? { plcUrl: o.plc } : {})
  const graph = pdsSocialGraph({ resolvePds })
  const invites: Invite[] = []
  let sessions: PublishedSession[] = []
  let follows: string[] = []

  const panel = $('#friends')
  panel.hidden = false
  const list = $<HTMLUListElement>('#friends-list')
  $<HTMLInputElement>('#appear-offline').onchange = (e) => social.setPresence({ visible: !(e.target as HTMLInputElement).checked })

  const online = (): FriendPresence[] => [...social.presence.values()].filter((p) => p.online)
  const button = (label: string, cls: string, onclick: () => void) => {
    const b = document.createElement('button')
    b.textContent = label
    b.className = cls
    b.onclick = onclick
    return b
  }
  // Presence: online, friends welcome in my room; the panel's checkbox appears offline.
  social.setPresence({ joinable: true })
  social.on('presence', () => render())
  social.on('invite', (i) => {
    invites.push(i)
    showToast()
  })
  social.on('status', (s) => {
    if (s === 'online') o.onProblem(null)
    render()
  })
  social.on('error', (e) => o.onProblem(`Friends: ${e.message}`))
  void social.connect().catch((e: Error) => o.onProblem(`Friends are unavailable: ${e.message}`))

  // Whom to watch: everyone I follow (the relay shows only those who follow back and block no one).
  async function refreshFollows(): Promise<void> {
    try {
      follows = (await graph.follows(me)).slice(0, 200)
      social.watch(follows)
      sessions = (await Promise.all(follows.slice(0, 50).map((d) => listSessions(d, { resolvePds, game: GAME }).catch(() => [])))).flat()
      render()
    } catch (e) {
      o.onProblem(`Could not read whom you follow: ${(e as Error).message}`)
    }
  }
  void refreshFollows()
  setInterval(refreshFollows, 30_000)

  // My session, as a record in my repo while I am in a room: friends' clients list it from my PDS.
  const publisher = o.auth.session ? sessionPublisher({ session: o.auth.session, did: me, game: GAME, relay: o.relayUrl }) : null
  if (publisher) trackSession(o.transport, publisher, { joinable: true, onError: (e) => o.onProblem(`Your session record: ${e.message}`) })

  function render(): void {
    const here = online()
    $('#friends-count').textContent = social.status === 'online' ? `(${here.length} online)` : `(${social.status})`
    const items = here.map((p) => {
      const li = document.createElement('li')
      li.dataset.did = p.did
      const name = document.createElement('b')
      name.textContent = p.handle ?? p.did.slice(0, 16)
      li.append(name, ` ${p.room ? (p.room === o.room ? 'is here' : `in ${p.room}`) : 'online'} `)
      if (p.room !== o.room) li.append(button('Invite', 'invite', () => invite(p.did)))
      if (p.joinable && p.room && p.room !== o.room) li.append(button('Join', 'join', () => o.go(p.room!)))
      return li
    })
    // Friends not on this relay now whose PDS says where they play (pull-based, works with no relay of ours).
    for (const s of sessions) {
      if (here.some((p) => p.did === s.did) || s.did === me) continue
      const li = document.createElement('li')
      li.dataset.did = s.did
      li.className = 'record'
      li.append(`${s.did.slice(0, 16)}… plays in ${s.room} `)
      if (s.joinable && s.relay === new URL(o.relayUrl).href && s.room !== o.room) li.append(button('Join', 'join', () => o.go(s.room)))
      items.push(li)
    }
    if (items.length === 0) {
      const li = document.createElement('li')
      li.className = 'empty'
      li.textContent = follows.length ? 'No friend online' : 'Follow someone who follows you back'
      items.push(li)
    }
    list.replaceChildren(...items)
  }
  async function invite(did: string): Promise<void> {
    try {
      await social.invite(did, o.room)
    } catch (e) {
      o.onProblem(`Invite not sent: ${(e as Error).message}`)
    }
  }

  function showToast(): void {
    const i = invites.at(-1)
    const toast = $('#invite-toast')
    toast.hidden = !i
    if (!i) return
    $('#invite-text').textContent = `${i.handle ?? i.from} invites you to room ${i.room}`
    $('#invite-join').onclick = () => o.go(i.room)
    $('#invite-dismiss').onclick = () => {
      invites.splice(invites.indexOf(i), 1)
      showToast()
    }
  }
  render()

  return {
    social,
    state: () => ({
      status: social.status,
      online: online().map((p) => ({ did: p.did, handle: p.handle ?? null, room: p.room, joinable: p.joinable })),
      invites: invites.map((i) => ({ from: i.from, handle: i.handle ?? null, room: i.room })),
      sessions: sessions.map((s) => ({ did: s.did, room: s.room, relay: s.relay })),
    }),
  }
}
