import ipaddr from 'ipaddr.js';

/**
 * The key a client address is limited under. An IPv4 address (IPv4-mapped IPv6 included) is itself;
 * an IPv6 address is its /64: one subscriber line or host usually gets a whole /64, so per-address
 * limits on single IPv6 addresses would be as many fresh budgets as the client cares to use.
 */
export function limitKeyOf(address: string | null | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${new ipaddr.IPv6([...v6.parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}
