/** Which IP addresses a DID document may be fetched from: public unicast only. */
import { BlockList, isIP } from 'node:net'

const blocked = new BlockList()
// IPv4: "this network", private, CGNAT, loopback, link-local, IETF protocol assignments, TEST-NETs, benchmarking,
// multicast, reserved, broadcast.
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4')
// IPv6: unspecified, loopback, IPv4-mapped/translated (checked through their IPv4 part below), NAT64, discard,
// documentation, ULA, link-local, site-local, multicast.
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6')

/** True when `address` (an IP literal) is not a public unicast address. Non-IPs count as private. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  const family = isIP(bare)
  if (family === 4) return blocked.check(bare, 'ipv4')
  if (family === 6) {
    const mapped = /^(?:0*:)*?:?0*:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(bare)
    if (mapped) return blocked.check(mapped[1], 'ipv4')
    const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(bare)
    if (hexMapped) {
      const hi = parseInt(hexMapped[1], 16)
      const lo = parseInt(hexMapped[2], 16)
      return blocked.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4')
    }
    return blocked.check(bare, 'ipv6')
  }
  return true
}
