import { lookup as dnsLookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import { cidrContains, hostMatches, ipOfHost, normal, parseAllowEntry, type AllowEntry } from './allow-entry.js';
import { BoundedMemo } from '../bounded-memo.js';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Where dtx may send branch calls (`Invoker.Allow`, docs/security.md). Checked at submit (a clear
 * 400) and again at call time on the address actually connected to, since DNS can change:
 * - link-local and cloud metadata addresses are refused unless an IP/CIDR entry inside their
 *   range lists them;
 * - dtx's own API (its bound ports on this machine's addresses) is refused unless a `host:port`
 *   entry names it;
 * - with a non-empty list, everything else must match a host pattern or an IP/CIDR entry.
 */
export interface OutboundPolicyOptions {
  readonly allow: readonly string[];
  /** dtx's own listening ports (HTTP, gRPC, internal), read at check time: bound ports may be random. */
  readonly ownPorts: () => readonly number[];
  /** DNS resolution (all addresses); injectable for tests. */
  readonly resolve?: (host: string) => Promise<string[]>;
}

const METADATA: ReadonlyArray<[Addr, number]> = [
  ipaddr.parseCIDR('169.254.0.0/16'),
  ipaddr.parseCIDR('fe80::/10'),
  ipaddr.parseCIDR('100.100.100.200/32'), // Alibaba Cloud metadata
  ipaddr.parseCIDR('fd00:ec2::254/128'), // AWS IMDS over IPv6
];

/** How long a call-time DNS answer is reused (gRPC guard). */
const DNS_CACHE_MS = 5000;

const defaultResolve = async (host: string): Promise<string[]> => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export class OutboundPolicy {
  readonly #entries: readonly AllowEntry[];
  readonly #ownPorts: () => readonly number[];
  readonly #resolve: (host: string) => Promise<string[]>;
  readonly #local: readonly Addr[];
  readonly #dns = new Map<string, { ips: string[]; until: number }>();
  /** `addressProblem` answers by host, address and port, for the own ports in `#decidedFor`. */
  readonly #decided = new BoundedMemo<string, string | undefined>(1024);
  #decidedFor = '';
  /**
   * The address text of an IP literal host, undefined for a name: every submit checks its branch
   * hosts, and parsing the same literal again was ~1.6% of the main thread at http c=10
   * (docs/benchmarks.md, "Per-submit churn").
   */
  readonly #literals = new BoundedMemo<string, string | undefined>(1024);

  /** Throws an Error naming the first entry that does not parse. */
  constructor(opts: OutboundPolicyOptions) {
    this.#entries = opts.allow.map(parseAllowEntry);
    this.#ownPorts = opts.ownPorts;
    this.#resolve = opts.resolve ?? defaultResolve;
    this.#local = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => normal(ipaddr.parse(i.address.split('%')[0]!))));
  }

  get restricted(): boolean {
    return this.#entries.length > 0;
  }

  /**
   * Whether a call to `host:port` connecting to `ip` is allowed: a reason when it is not. The answer
   * depends only on the arguments, the list and dtx's own ports, so it is remembered (bounded) until
   * the own ports change: every submit and call checks the same few branch hosts. `unlisted`:
   * only the fixed rules (metadata, own ports), for the addresses a driver's registry resolves to.
   */
  addressProblem(host: string, ip: string, port: number, list: 'listed' | 'unlisted' = 'listed'): string | undefined {
    const own = this.#ownPorts().join(',');
    if (own !== this.#decidedFor) {
      this.#decided.clear();
      this.#decidedFor = own;
    }
    return this.#decided.get(`${host} ${ip} ${port} ${list}`, () => this.#addressProblem(host, ip, port, list));
  }

  #addressProblem(host: string, ip: string, port: number, list: 'listed' | 'unlisted'): string | undefined {
    if (!ipaddr.isValid(ip)) return `cannot check address '${ip}'`;
    const addr = normal(ipaddr.parse(ip));
    const metadata = METADATA.find((r) => addr.kind() === r[0].kind() && addr.match(r));
    if (metadata !== undefined && !this.#entries.some((e) => cidrContains(e, addr) && e.kind === 'cidr' && e.range[1] >= metadata[1])) {
      return `${host} (${addr.toString()}) is a link-local or cloud metadata address; list it in Invoker.Allow to call it`;
    }
    if (this.#ownPorts().includes(port) && this.#isLocal(addr) && !this.#entries.some((e) => e.kind === 'host' && e.port === port && hostMatches(e, host, port))) {
      return `${host}:${port} is dtx's own API; dtx never calls itself`;
    }
    if (list === 'unlisted' || !this.restricted || this.#entries.some((e) => hostMatches(e, host, port) || cidrContains(e, addr))) return undefined;
    return `${host} (${addr.toString()}) is not in Invoker.Allow`;
  }

  /**
   * Submit-time check of a host and port: host patterns and IP literals are decided at once; a host
   * name is resolved only when the answer depends on its addresses (an own port, or CIDR entries).
   */
  async hostProblem(host: string, port: number): Promise<string | undefined> {
    const literal = this.#literalOf(host);
    if (literal !== undefined) return this.addressProblem(host, literal, port);
    const own = this.#ownPorts().includes(port);
    const byName = this.#entries.some((e) => hostMatches(e, host, port));
    if (!own && (!this.restricted || byName)) return undefined;
    if (!own && !this.#entries.some((e) => e.kind === 'cidr')) return `${host} is not in Invoker.Allow`;
    let ips: string[];
    try {
      ips = await this.#resolve(host);
    } catch (err) {
      return `${host} cannot be resolved (${(err as Error).message})`;
    }
    for (const ip of ips) {
      const problem = this.addressProblem(host, ip, port);
      if (problem !== undefined) return problem;
    }
    return ips.length === 0 ? `${host} cannot be resolved (no address)` : undefined;
  }

  /**
   * Call-time check of a target dialled by a client library without a lookup hook (gRPC): every
   * address the name resolves to must be allowed. Lookups are cached briefly.
   */
  async callProblem(host: string, port: number): Promise<string | undefined> {
    const literal = this.#literalOf(host);
    if (literal !== undefined) return this.addressProblem(host, literal, port);
    let ips: string[];
    try {
      ips = await this.#cachedResolve(host);
    } catch (err) {
      return `${host} cannot be resolved (${(err as Error).message})`;
    }
    for (const ip of ips) {
      const problem = this.addressProblem(host, ip, port);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }

  #literalOf(host: string): string | undefined {
    return this.#literals.get(host, (h) => ipOfHost(h)?.toString());
  }

  async #cachedResolve(host: string): Promise<string[]> {
    const now = Date.now();
    const hit = this.#dns.get(host);
    if (hit !== undefined && hit.until > now) return hit.ips;
    const ips = await this.#resolve(host);
    if (this.#dns.size >= 1024) this.#dns.clear();
    this.#dns.set(host, { ips, until: now + DNS_CACHE_MS });
    return ips;
  }

  /**
   * A `net.connect` lookup for connections to `port` (undici pools, one per origin): resolves like
   * dns.lookup and keeps only allowed addresses, so a name that changed to a refused address fails
   * the connection instead of reaching it.
   */
  lookupFor(port: number) {
    return (host: string, options: { all?: boolean }, cb: (err: Error | null, address: string | Array<{ address: string; family: number }>, family?: number) => void): void => {
      this.#resolve(host).then(
        (ips) => {
          const problems: string[] = [];
          const ok = ips.filter((ip) => {
            const p = this.addressProblem(host, ip, port);
            if (p !== undefined) problems.push(p);
            return p === undefined;
          });
          if (ok.length === 0) return cb(Object.assign(new Error(problems[0] ?? `${host} has no address`), { code: 'DTX_OUTBOUND_REFUSED' }), '');
          const all = ok.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
          if (options.all === true) cb(null, all);
          else cb(null, all[0]!.address, all[0]!.family);
        },
        (err: Error) => cb(err, ''),
      );
    };
  }

  #isLocal(addr: Addr): boolean {
    const range = addr.range();
    if (range === 'loopback' || range === 'unspecified') return true;
    return this.#local.some((l) => l.kind() === addr.kind() && l.toString() === addr.toString());
  }
}
