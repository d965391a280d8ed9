// Lets the stock `peerjs` browser client run in Node: WebRTC from node-datachannel's polyfill, WebSocket from ws.
import { createRequire } from 'node:module'
import type { Peer as PeerClass, PeerOptions } from 'peerjs'

const require = createRequire(import.meta.url)

export type PeerConstructor = new (id: string, options: PeerOptions) => PeerClass

let loaded: PeerConstructor | null = null

export function loadNodePeer(): PeerConstructor {
  if (loaded) return loaded
  const polyfill = require('node-datachannel/polyfill') as { RTCPeerConnection: new (config?: object) => object } & Record<string, unknown>
  const g = globalThis as Record<string, unknown>
  // Loopback candidates only, and a port range of this process's own: test files run in parallel processes, and
  // libjuice's ICE on every interface with random ports made links between Node peers time out now and then.
  const base = 20_000 + (process.pid % 40) * 1_000
  class LoopbackRTCPeerConnection extends polyfill.RTCPeerConnection {
    constructor(config: object = {}) {
      super({ ...config, bindAddress: '127.0.0.1', portRangeBegin: base, portRangeEnd: base + 999 })
    }
  }
  g.RTCPeerConnection ??= LoopbackRTCPeerConnection
  g.RTCSessionDescription ??= polyfill.RTCSessionDescription
  g.RTCIceCandidate ??= polyfill.RTCIceCandidate
  g.WebSocket = require('ws')
  loaded = (require('peerjs') as { Peer: PeerConstructor }).Peer
  return loaded
}
