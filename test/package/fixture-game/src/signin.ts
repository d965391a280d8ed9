// The same game with "Sign in with Bluesky": the ATProto code comes with this entry only.
import { atprotoSignIn } from 'bitecs-multiuser/atproto'
import { startGame } from './game.js'

const relayUrl = 'http://127.0.0.1:8787/'
const auth = await atprotoSignIn({ relay: relayUrl })
if (!auth.did) document.getElementById('signin')?.addEventListener('click', () => void auth.signIn('alice.bsky.social'))
const game = startGame(document.getElementById('c') as HTMLCanvasElement, relayUrl, 'lobby', auth.token)
setInterval(game.step, 1000 / 30)
