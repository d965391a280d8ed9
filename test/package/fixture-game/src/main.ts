// A guest-only game: no sign-in, so no ATProto code in its bundle.
import { startGame } from './game.js'

const params = new URLSearchParams(location.search)
const game = startGame(document.getElementById('c') as HTMLCanvasElement, params.get('relay') ?? 'http://127.0.0.1:8787/', params.get('room') ?? 'lobby')
setInterval(game.step, 1000 / 30)
;(window as unknown as { game: unknown }).game = {
  peers: () => game.net.peers.length,
  remote: () => game.net.stats.entities.remote,
  chats: () => game.chats,
}
