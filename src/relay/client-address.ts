/**
 * The address a join comes from, for the per-address handshake cap. Behind a reverse proxy every connection comes
 * from the proxy, so the relay believes `X-Forwarded-For` only from the proxies it is told to trust
 * (`trustedProxies`: addresses or CIDR ranges): the client is the right-most entry that is not a trusted proxy
 * (entries left of it were written by the client and prove nothing). Without trusted proxies the socket's address.
 */
import type { IncomingMessage } from 'node:http'
import { BlockList, isIP } from 'node:net'

export type ClientAddressOf = (req: IncomingMessage) => string

function bare(address: string): string {
  const a = address.trim().replace(/^\[|\]$/g, '')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a)
  return mapped ? mapped[1] : a
}

function inList(list: BlockList, address: string): boolean {
  const family = isIP(address)
  return family === 4 ? list.check(address, 'ipv4') : family === 6 ? list.check(address, 'ipv6') : false
}

export function clientAddressResolver(trustedProxies: string[]): ClientAddressOf {
  const trusted = new BlockList()
  for (const entry of trustedProxies) {
    const [net, prefix] = entry.split('/')
    const address = bare(net)
    const family = isIP(address)
    if (!family) throw new TypeError(`trustedProxies: ${entry} is not an IP address or CIDR range`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) trusted.addAddress(address, type)
    else trusted.addSubnet(address, Number(prefix), type)
  }
  return (req) => {
    let address = bare(req.socket.remoteAddress ?? '')
    if (trustedProxies.length === 0 || !inList(trusted, address)) return address
    const forwarded = req.headersDistinct['x-forwarded-for'] ?? []
    const hops = forwarded.flatMap((h) => h.split(',')).map(bare).filter((h) => h !== '')
    while (hops.length > 0) {
      const hop = hops.pop() as string
      if (!isIP(hop)) return address // garbage from the client's side: the last good hop is the client
      address = hop
      if (!inList(trusted, hop)) return address
    }
    return address
  }
}
