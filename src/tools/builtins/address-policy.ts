import { BlockList, isIP } from 'node:net';

/**
 * Which addresses `fetch_url` may connect to. Everything that is not plainly public is refused —
 * loopback, private, carrier-grade NAT, link-local (cloud metadata lives there), unspecified,
 * multicast, reserved — including the same ranges embedded in IPv6 (mapped, NAT64, 6to4) — unless
 * the workspace's allowlist names the host or a range containing the address.
 */

const BLOCKED_IPV4: Array<[network: string, prefix: number, why: string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT (private)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const BLOCKED_IPV6: Array<[network: string, prefix: number, why: string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'private (unique local)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
  ['100::', 64, 'discard'],
  ['2001:db8::', 32, 'documentation'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  ['::ffff:0:0:0', 96, 'IPv4-translated (SIIT)'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
];

/** Host names that reach cloud metadata services whatever they resolve to. */
const BLOCKED_HOSTNAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'metadata.azure.internal']);

export interface AddressPolicy {
  /** The allowlist names this host: no address checks for it. */
  isAllowedHost(hostname: string): boolean;
  /** Why this address is refused, or undefined when it may be used. */
  refusal(address: string): string | undefined;
  /** Why this host name is refused outright, or undefined. */
  hostRefusal(hostname: string): string | undefined;
}

/**
 * @param allowlist host names (`intranet.example.com`, `*.example.com`), IP addresses or CIDR ranges
 * (`10.1.0.0/16`, `fd00::/8`), as in FETCH_URL_ALLOWLIST.
 */
export function createAddressPolicy(allowlist: readonly string[] = []): AddressPolicy {
  const blocked = new Map<string, { list: BlockList; why: string }>();
  const add = (network: string, prefix: number, family: 'ipv4' | 'ipv6', why: string) => {
    const entry = blocked.get(why) ?? { list: new BlockList(), why };
    entry.list.addSubnet(network, prefix, family);
    blocked.set(why, entry);
  };
  for (const [network, prefix, why] of BLOCKED_IPV4) {
    add(network, prefix, 'ipv4', why);
    // The same range reached through NAT64 (64:ff9b::/96) and 6to4 (2002::/16) tunnels.
    add(`64:ff9b::${ipv4ToHex(network)}`, 96 + prefix, 'ipv6', why);
    add(`2002:${ipv4ToHex(network)}::`, 16 + prefix, 'ipv6', why);
  }
  for (const [network, prefix, why] of BLOCKED_IPV6) add(network, prefix, 'ipv6', why);

  const allowedRanges = new BlockList();
  const allowedHosts: string[] = [];
  for (const raw of allowlist) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    const [network, prefixText] = entry.split('/');
    const family = isIP(stripBrackets(network ?? ''));
    if (family !== 0) {
      const address = stripBrackets(network ?? '');
      const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new Error(`FETCH_URL_ALLOWLIST: "${raw}" has an invalid prefix length`);
      }
      allowedRanges.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    } else {
      allowedHosts.push(entry.replace(/\.$/, ''));
    }
  }

  return {
    isAllowedHost(hostname) {
      const host = normalizeHost(hostname);
      return allowedHosts.some((allowed) => (allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed));
    },
    refusal(address) {
      const plain = stripBrackets(address);
      const family = isIP(plain);
      if (family === 0) return `"${address}" is not an IP address`;
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (allowedRanges.check(plain, type)) return undefined;
      for (const { list, why } of blocked.values()) if (list.check(plain, type)) return `${plain} is a ${why} address`;
      return undefined;
    },
    hostRefusal(hostname) {
      const host = normalizeHost(hostname);
      if (BLOCKED_HOSTNAMES.has(host)) return `${host} is a cloud metadata host`;
      if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback name`;
      return undefined;
    },
  };
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function normalizeHost(hostname: string): string {
  return stripBrackets(hostname.toLowerCase()).replace(/\.$/, '');
}

function ipv4ToHex(address: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}
