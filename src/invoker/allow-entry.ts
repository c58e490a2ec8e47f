import ipaddr from 'ipaddr.js';

/**
 * One entry of `Invoker.Allow`: a host pattern (`orders.internal`, `*.svc.cluster.local`, either
 * with an optional `:port`), an IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`).
 */
export type AllowEntry =
  | { readonly kind: 'host'; readonly text: string; readonly suffix: boolean; readonly name: string; readonly port?: number }
  | { readonly kind: 'cidr'; readonly text: string; readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number] };

const HOST = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*)(:(\d{1,5}))?$/;

/** Parses an entry; throws an Error naming the entry when it is none of the three forms. */
export function parseAllowEntry(raw: string): AllowEntry {
  const text = raw.trim().toLowerCase();
  if (text.includes('/')) {
    try {
      const [addr, bits] = ipaddr.parseCIDR(text);
      return { kind: 'cidr', text, range: [normal(addr), bits] };
    } catch {
      throw new Error(`'${raw}' is not a valid CIDR range`);
    }
  }
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare))) {
    const addr = normal(ipaddr.parse(bare));
    return { kind: 'cidr', text, range: [addr, addr.kind() === 'ipv4' ? 32 : 128] };
  }
  const m = HOST.exec(text);
  const port = m?.[7] === undefined ? undefined : Number(m[7]);
  if (m === null || (port !== undefined && (port < 1 || port > 65535))) {
    throw new Error(`'${raw}' is not a host name pattern, an IP address or a CIDR range`);
  }
  return { kind: 'host', text, suffix: m[1] !== undefined, name: m[2]!, ...(port === undefined ? {} : { port }) };
}

/** IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) count as the IPv4 address they carry. */
export function normal(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** The address of an IP literal host (`127.0.0.1`, `[::1]`), or undefined for a host name. */
export function ipOfHost(host: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!ipaddr.isValid(bare)) return undefined;
  if (!bare.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(bare)) return undefined;
  return normal(ipaddr.parse(bare));
}

export function hostMatches(e: AllowEntry, host: string, port: number): boolean {
  if (e.kind !== 'host') return false;
  if (e.port !== undefined && e.port !== port) return false;
  const h = host.toLowerCase();
  return e.suffix ? h.endsWith(`.${e.name}`) : h === e.name;
}

export function cidrContains(e: AllowEntry, addr: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return e.kind === 'cidr' && e.range[0].kind() === addr.kind() && addr.match(e.range);
}
