/**
 * PeerJS in Node for a headless host: WebRTC from node-datachannel's polyfill and WebSocket from `ws`, set as the
 * globals the stock `peerjs` browser client expects, then the `Peer` class. Node only (the CLI's).
 */
import { createRequire } from 'node:module'
import type { PeerJsTransportOptions } from '../transport/peerjs/peerjs-transport.js'

type PeerConstructor = NonNullable<PeerJsTransportOptions['Peer']>

const require = createRequire(import.meta.url)

/** The `peerjs` `Peer` class, with Node's WebRTC in place (`node-datachannel` and `ws` must be installed). */
export function loadNodePeer(): PeerConstructor {
  const polyfill = require('node-datachannel/polyfill') as Record<string, unknown>
  const g = globalThis as Record<string, unknown>
  g.RTCPeerConnection ??= polyfill.RTCPeerConnection
  g.RTCSessionDescription ??= polyfill.RTCSessionDescription
  g.RTCIceCandidate ??= polyfill.RTCIceCandidate
  g.WebSocket = require('ws') // Node's own WebSocket is not what peerjs was checked with (FACTS.md)
  return (require('peerjs') as { Peer: PeerConstructor }).Peer
}
