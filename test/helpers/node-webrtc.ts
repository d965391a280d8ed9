// Lets the stock `peerjs` browser client run in Node: WebRTC from node-datachannel's polyfill, WebSocket from ws.
import { createRequire } from 'node:module'
import type { Peer as PeerClass, PeerOptions } from 'peerjs'

const require = createRequire(import.meta.url)

export type PeerConstructor = new (id: string, options: PeerOptions) => PeerClass

let loaded: PeerConstructor | null = null

export function loadNodePeer(): PeerConstructor {
  if (loaded) return loaded
  const polyfill = require('node-datachannel/polyfill') as Record<string, unknown>
  const g = globalThis as Record<string, unknown>
  g.RTCPeerConnection ??= polyfill.RTCPeerConnection
  g.RTCSessionDescription ??= polyfill.RTCSessionDescription
  g.RTCIceCandidate ??= polyfill.RTCIceCandidate
  g.WebSocket = require('ws')
  loaded = (require('peerjs') as { Peer: PeerConstructor }).Peer
  return loaded
}
