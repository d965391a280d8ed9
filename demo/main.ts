// Entry: configuration from the URL, sign-in (Bluesky OAuth or anonymous), error display, then the lobby or the game.
//   #room=<name>            the room; the "Share link" button copies it. No room: the lobby screen (lobby.ts)
//   #room=<name>&invite=<t> an invite-only room's invite token (a link its creator shares)
//   ?relay=<url>            the signaling relay (default: VITE_RELAY_URL set by `npm start`, else :8787 on this host)
//   ?pds=<url>&plc=<url>    sign in against a local PDS / PLC (development, tests)
//   ?scale=2                render at half resolution (slow GPUs; software GL in headless tests)
import { anonymous } from 'bitecs-multiuser'
import { startGame, type Game, type ProblemKind } from './game.js'
import { showLobby, takeCredentials } from './lobby.js'
import { startConditionsPanel, startHud } from './hud.js'
import type { AuthConfig } from './auth.js'
import type { AtprotoSignIn } from 'bitecs-multiuser/atproto'

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!

// The query survives the OAuth redirect (it is part of the loopback client's redirect address); the fragment (the
// room) is put back by the sign-in helper once it ran, so the room is read after it.
const params = new URLSearchParams(location.search)
const cfg: AuthConfig = {
  relayUrl: params.get('relay') ?? (import.meta.env.VITE_RELAY_URL as string | undefined) ?? `http://${location.hostname}:8787/`,
  pds: params.get('pds') ?? undefined,
  plc: params.get('plc') ?? undefined,
}
const fromHash = (key: string): string | null => {
  const m = new RegExp(`(?:^#|&)${key}=([^&]+)`).exec(location.hash)
  return m ? decodeURIComponent(m[1]) : null
}
let room = fromHash('room')
const loadAuth = () => import('./auth.js')
/** This load comes back from the PDS, or a session may be stored: only then is the OAuth client loaded. */
const mayHaveSession = (): boolean => /[#&](state|code|error)=/.test(location.hash) || localStorage.getItem('demo.signedIn') === '1'

// ---- readable problems, each with a retry ----
const problems = new Map<ProblemKind, { message: string; retry?: () => void }>()
function showProblem(kind: ProblemKind, message: string | null, retry?: () => void): void {
  if (message === null) problems.delete(kind)
  else problems.set(kind, { message, retry })
  const last = [...problems.values()].at(-1)
  $('#error').hidden = !last
  if (!last) return
  $('#error-text').textContent = last.message
  $('#error-retry').hidden = !last.retry
  $('#error-retry').onclick = () => {
    problems.clear()
    $('#error').hidden = true
    last.retry?.()
  }
}
$('#error-close').onclick = () => ($('#error').hidden = true)

// ---- room and share link ----
$('#share').onclick = async () => {
  if (room === null) return
  const link = `${location.origin}${location.pathname}${location.search}#room=${encodeURIComponent(room)}`
  await navigator.clipboard?.writeText(link).catch(() => prompt('Share this link', link))
  $('#share').textContent = 'Link copied'
  setTimeout(() => ($('#share').textContent = 'Share link'), 1500)
}

// ---- sign-in (optional: anonymous players start at once) ----
$<HTMLFormElement>('#signin').onsubmit = async (e) => {
  e.preventDefault()
  const input = $<HTMLInputElement>('#handle').value
  if (!input.trim()) return $('#handle').focus()
  if (location.hostname === 'localhost') {
    // RFC 8252 loopback clients must use the IP literal.
    location.replace(location.href.replace('//localhost', '//127.0.0.1'))
    return
  }
  try {
    await (await loadAuth()).signIn(cfg, input)
  } catch (err) {
    showProblem('token', `Sign-in failed: ${(err as Error).message}`)
  }
}

async function main(): Promise<void> {
  let auth: AtprotoSignIn | null = null
  if (mayHaveSession()) {
    try {
      auth = await (await loadAuth()).setUpSignIn(cfg)
    } catch (err) {
      showProblem('token', `Sign-in did not complete: ${(err as Error).message}`, () => location.reload())
    }
  }
  room = fromHash('room')
  addEventListener('hashchange', () => location.reload())
  const signedIn = auth?.did ? auth : null
  $('#signin').hidden = signedIn !== null
  $('#anon').hidden = signedIn === null
  $('#anon').onclick = async () => {
    if (signedIn) await (await loadAuth()).signOut(signedIn)
    location.reload()
  }
  $('#who').textContent = signedIn ? 'signed in' : 'playing as a guest'
  $('#to-lobby').onclick = () => (location.hash = '')

  if (room === null) {
    // No room in the link: the lobby (room list, Create room, Quick play); entering a room sets #room= and reloads.
    $('#room').textContent = 'lobby'
    $('#share').hidden = true
    $('#to-lobby').hidden = true
    const lobby = showLobby({ relayUrl: cfg.relayUrl, token: signedIn?.token ?? anonymous(), onProblem: (m) => showProblem('relay', m) })
    Object.assign(window, { __lobby: lobby })
    return
  }
  $('#room').textContent = room
  const invite = fromHash('invite')
  const credentials = { ...takeCredentials(room), ...(invite ? { invite } : {}) }

  let game: Game
  try {
    game = await startGame({
      canvas: $<HTMLCanvasElement>('#scene'),
      relayUrl: cfg.relayUrl,
      room,
      credentials,
      askPassword: () => prompt(`Password of room ${room}`),
      token: signedIn?.token ?? anonymous(),
      fallbackName: `guest-${Math.random().toString(36).slice(2, 6)}`,
      onProblem: showProblem,
      renderScale: Number(params.get('scale') ?? 1),
      // `#room=arena&host=1`: play against a headless host (`npm run host`), README "Demo".
      hostMode: fromHash('host') !== null,
    })
  } catch (err) {
    // No WebGL and the like: nothing to retry here.
    showProblem('webgl', `The game could not start: ${(err as Error).message}`)
    throw err
  }
  $('#who').textContent = signedIn ? `signed in as ${game.myName()}` : `playing as ${game.myName()}`
  startHud($('#hud'), $('#hud-summary'), $<HTMLDetailsElement>('#hud-panel'), game)
  startConditionsPanel(game)

  // Friends (signed-in players only): who is online and where, invites, joining a friend.
  const friends = signedIn
    ? (await import('./friends.js')).startFriends({
        auth: signedIn, relayUrl: cfg.relayUrl, plc: cfg.plc, transport: game.transport, room,
        go: (to) => (location.hash = `#room=${encodeURIComponent(to)}`),
        onProblem: (message) => showProblem('friends', message),
      })
    : null

  // Chat box and log.
  const lines = $<HTMLOListElement>('#chat-lines')
  game.onChat = () => {
    lines.replaceChildren(
      ...game.chat.slice(-12).map((l) => {
        const li = document.createElement('li')
        const b = document.createElement('b')
        b.textContent = l.from + ': '
        li.append(b, l.text)
        return li
      }),
    )
  }
  // Enter opens the chat box; Enter sends (an empty line just closes it), Escape closes it.
  const input = $<HTMLInputElement>('#chat-input')
  game.onChatKey = () => input.focus()
  $<HTMLFormElement>('#chat-form').onsubmit = (e) => {
    e.preventDefault()
    game.say(input.value)
    input.value = ''
    input.blur()
  }
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') input.blur()
  })

  // Touch: a virtual stick.
  if (matchMedia('(pointer: coarse)').matches) {
    const el = $('#stick')
    el.hidden = false
    const knob = el.firstElementChild as HTMLElement
    const set = (x: number, y: number) => {
      const len = Math.hypot(x, y)
      const k = len > 1 ? 1 / len : 1
      game.stick.x = x * k
      game.stick.y = y * k
      knob.style.transform = `translate(${game.stick.x * 35}px, ${-game.stick.y * 35}px)`
    }
    el.onpointerdown = el.onpointermove = (e) => {
      if (e.type === 'pointermove' && e.buttons === 0) return
      el.setPointerCapture(e.pointerId)
      const r = el.getBoundingClientRect()
      set((e.clientX - r.left - r.width / 2) / (r.width / 2), -(e.clientY - r.top - r.height / 2) / (r.height / 2))
    }
    el.onpointerup = el.onpointercancel = () => set(0, 0)
  }

  // The debug handle: state() and a few actions, for tests and for poking around in the console.
  Object.assign(window, {
    __demo: {
      state: () => ({ ...game.state(), friends: friends?.state() ?? null }),
      move: (dx: number, dz: number) => game.move(dx, dz, Math.atan2(dx, dz)),
      chat: (text: string) => game.say(text),
      grab: (i: number) => game.grab(game.crates()[i]),
      drop: () => game.drop(),
      recolor: (i: number) => game.recolor(game.crates()[i]),
      crateRects: () => game.crateRects(),
      emote: (kind: number) => game.emote(kind),
      setConditions: (c: { loss?: number; latency?: number; jitter?: number; bandwidth?: number }) => game.transport.setConditions(c),
      hud: () => $('#hud').textContent,
      error: () => ($('#error').hidden ? null : $('#error-text').textContent),
      retry: () => $('#error-retry').click(),
    },
  })
}

void main()
