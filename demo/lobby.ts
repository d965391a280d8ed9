// The lobby screen, shown when the page has no `#room=`: the relay's public rooms with their player counts (refreshed
// every 2 s), "Create room" and "Quick play" (matchmaking, two players a match). Entering a room sets `#room=` (what a
// shared link holds too); what the room needs to let us in (its password, a match's session ticket) waits in
// sessionStorage for the game to pick up, never in the link.
import { relayClient, type LobbyError, type RoomCredentials, type RoomInfo, type TokenSource } from 'bitecs-multiuser'

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!
const CREDENTIALS = 'demo.credentials.'
const QUEUE = 'quick'

/** What the lobby stored for `room` (and forgets): its password or a session ticket. */
export function takeCredentials(room: string): RoomCredentials | undefined {
  const key = CREDENTIALS + room
  const stored = sessionStorage.getItem(key)
  sessionStorage.removeItem(key)
  return stored ? (JSON.parse(stored) as RoomCredentials) : undefined
}

function enter(room: string, credentials?: RoomCredentials): void {
  if (credentials) sessionStorage.setItem(CREDENTIALS + room, JSON.stringify(credentials))
  location.hash = `#room=${encodeURIComponent(room)}` // main.ts reloads on a hash change: the game starts there
}

export interface LobbyScreen {
  rooms(): RoomInfo[]
  status(): string
}

export function showLobby(o: { relayUrl: string; token: TokenSource; onProblem(message: string | null): void }): LobbyScreen {
  const client = relayClient(o.relayUrl, { token: o.token })
  let rooms: RoomInfo[] = []
  let status = ''
  const setStatus = (text: string) => ($('#quick-status').textContent = status = text)
  document.body.classList.add('in-lobby')
  $('#lobby').hidden = false

  const render = () => {
    const body = $('#rooms tbody')
    body.replaceChildren(
      ...rooms.map((r) => {
        const tr = document.createElement('tr')
        const name = document.createElement('td')
        name.textContent = typeof r.metadata.title === 'string' ? r.metadata.title : r.name
        if (r.access !== 'open') {
          const badge = document.createElement('small')
          badge.textContent = r.access === 'password' ? 'password' : 'invite only'
          name.append(' ', badge)
        }
        const count = document.createElement('td')
        count.className = 'count'
        count.textContent = `${r.players} / ${r.maxPlayers}`
        const action = document.createElement('td')
        const join = document.createElement('button')
        join.textContent = 'Join'
        join.disabled = r.players >= r.maxPlayers || r.access === 'invite'
        join.onclick = () => {
          if (r.access !== 'password') return enter(r.name)
          const password = prompt(`Password of ${r.name}`)
          if (password) enter(r.name, { password })
        }
        action.append(join)
        tr.dataset.room = r.name
        tr.append(name, count, action)
        return tr
      }),
    )
    $('#rooms-empty').hidden = rooms.length > 0
  }

  const refresh = async () => {
    try {
      rooms = (await client.listRooms({ limit: 50 })).rooms
      o.onProblem(null)
      render()
    } catch (e) {
      o.onProblem(`The lobby is not reachable (${(e as LobbyError).code}): ${(e as Error).message}. Rooms you know the name of (a #room= link) still work.`)
    }
  }
  void refresh()
  const timer = setInterval(refresh, 2000)
  addEventListener('pagehide', () => clearInterval(timer))

  $<HTMLFormElement>('#create').onsubmit = async (e) => {
    e.preventDefault()
    const name = $<HTMLInputElement>('#create-name').value.trim()
    const password = $<HTMLInputElement>('#create-password').value
    try {
      const room = await client.createRoom({
        ...(name ? { name } : {}),
        maxPlayers: Number($<HTMLInputElement>('#create-max').value) || 8,
        visibility: $<HTMLInputElement>('#create-private').checked ? 'private' : 'public',
        ...(password ? { password } : {}),
        metadata: { title: name || 'Untitled room' },
      })
      enter(room.name, password ? { password } : undefined)
    } catch (err) {
      o.onProblem(`Could not create the room (${(err as LobbyError).code}): ${(err as Error).message}`)
    }
  }

  let waiting: AbortController | null = null
  $('#quick').onclick = async () => {
    if (waiting) {
      waiting.abort()
      return
    }
    waiting = new AbortController()
    $('#quick').textContent = 'Cancel'
    setStatus('looking for a player…')
    try {
      const match = await client.matchmake({ queue: QUEUE }, { signal: waiting.signal })
      setStatus('matched')
      enter(match.room, { session: match.ticket })
    } catch (err) {
      const code = (err as LobbyError).code
      setStatus(code === 'MATCH_CANCELLED' ? '' : code === 'MATCH_TIMEOUT' ? 'nobody came: try again' : `${code}: ${(err as Error).message}`)
    } finally {
      waiting = null
      $('#quick').textContent = 'Quick play'
    }
  }

  return { rooms: () => rooms, status: () => status }
}
