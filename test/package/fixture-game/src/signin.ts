// The same game with "Sign in with Bluesky" (README "Sign in with ATProto"): the ATProto code comes with this entry
// only. Development setup: a local PDS (?pds=, ?plc=), the relay (?relay=), the room in the fragment (#room=).
import { atprotoSignIn } from 'bitecs-multiuser/atproto'
import { startGame } from './game.js'

const params = new URLSearchParams(location.search)
const relay = params.get('relay') ?? 'http://127.0.0.1:8787/'
// First: it finishes a redirect back from the PDS (and puts the fragment back) or restores the last session.
const auth = await atprotoSignIn({ relay, handleResolver: params.get('pds') ?? undefined, plcDirectoryUrl: params.get('plc') ?? undefined })
const room = /room=([^&]+)/.exec(location.hash)?.[1] ?? 'lobby'

const form = document.getElementById('signin') as HTMLFormElement
const signOutButton = document.getElementById('signout') as HTMLButtonElement
form.hidden = auth.did !== null
signOutButton.hidden = auth.did === null
form.onsubmit = (e) => {
  e.preventDefault()
  void auth.signIn((document.getElementById('handle') as HTMLInputElement).value)
}

const game = startGame(document.getElementById('c') as HTMLCanvasElement, relay, room, auth.token)
signOutButton.onclick = async () => {
  await auth.signOut()
  await game.transport.join(room).catch(() => {}) // a guest where the relay allows it; otherwise `left`, with the code
}
setInterval(game.step, 1000 / 30)

const statuses: string[] = []
game.transport.on('status', (s, detail) => statuses.push(detail ? `${s} ${detail}` : s))
;(window as unknown as { game: unknown }).game = {
  did: () => auth.did,
  self: () => game.transport.self,
  peers: () => game.net.peers.map((p) => ({ id: p.id, did: p.did, handle: p.handle ?? null })),
  status: () => game.transport.status,
  statuses: () => statuses,
}
