// The same game with "Sign in with Bluesky": the ATProto code comes with this entry only.
import { BrowserOAuthClient } from '@atproto/oauth-client-browser'
import { atprotoTokenSource } from 'bitecs-multiuser/atproto'
import { startGame } from './game.js'

const client = await BrowserOAuthClient.load({ clientId: location.origin + '/client-metadata.json', handleResolver: 'https://bsky.social' })
const restored = await client.init()
const relayUrl = 'http://127.0.0.1:8787/'
const token = restored ? atprotoTokenSource(restored.session, 'did:web:relay.example') : undefined
const game = startGame(document.getElementById('c') as HTMLCanvasElement, relayUrl, 'lobby', token)
setInterval(game.step, 1000 / 30)
