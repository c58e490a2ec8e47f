/**
 * What a gRPC branch target dials, read the way grpc-js reads it, so the outbound policy checks
 * the addresses the call will reach (docs/security.md). grpc-js takes a leading `<scheme>:` as a
 * resolver name; a scheme no resolver is registered for makes the whole target a DNS name
 * (`localhost:50051`); `dns:` resolves `host[:port]` (port 443 when none is given); `ipv4:`,
 * `ipv6:` and `unix:` connect to what they list. Anything the policy cannot reduce to host and
 * port is refused (fail closed), never passed through unchecked.
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type GrpcDialTarget =
  /** dialled by grpc-js itself: every listed address must be allowed */
  | { readonly kind: 'addresses'; readonly targets: readonly HostPort[] }
  /** a microservice driver's registry resolves it (`etcd://`, `discovery:///`) */
  | { readonly kind: 'registry' }
  | { readonly kind: 'refused'; readonly reason: string };

/** grpc-js's port when a DNS target names none. */
const DEFAULT_PORT = 443;
const SCHEME = /^([A-Za-z0-9+.-]+):/;
/** grpc-js resolvers that dial the addresses written in the target, which dtx does not accept */
const LITERAL_SCHEMES = new Set(['ipv4', 'ipv6', 'unix', 'unix-abstract', 'vsock']);
/** go-zero's `direct:///host:port,host:port` (its driver registers the scheme): a list of addresses */
const DIRECT_SCHEME = 'direct';
const USE = 'use host:port, dns:///host:port or a registry target of the configured driver';

const refused = (reason: string): GrpcDialTarget => ({ kind: 'refused', reason });

/**
 * grpc-js's reading of `host[:port]` for a DNS target: `[v6]:port`, `host:port`, a bare host, or a
 * bare IPv6 address (two or more colons, no port). undefined when grpc-js could not dial it either.
 */
export function splitHostPort(path: string): HostPort | undefined {
  let host: string;
  let port: string | undefined;
  if (path.startsWith('[')) {
    const end = path.indexOf(']');
    if (end < 0 || !path.slice(1, end).includes(':')) return undefined;
    host = path.slice(0, end + 1);
    const rest = path.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    port = rest === '' ? undefined : rest.slice(1);
  } else {
    const parts = path.split(':');
    host = parts.length === 2 ? parts[0]! : path;
    port = parts.length === 2 ? parts[1] : undefined;
  }
  if (host === '' || host === '[]') return undefined;
  if (port === undefined) return { host, port: DEFAULT_PORT };
  if (!/^\d{1,10}$/.test(port) || Number(port) > 65535) return undefined;
  return { host, port: Number(port) };
}

/** The dial target `server` (the part of a branch URL grpc-js is given) as grpc-js resolves it. */
export function grpcDialTarget(server: string): GrpcDialTarget {
  const scheme = SCHEME.exec(server)?.[1];
  const rest = scheme === undefined ? server : server.slice(scheme.length + 1);
  if (scheme === 'dns') {
    // dns:host:port, dns:///host:port, dns://<dns server>/host:port
    const path = rest.startsWith('//') ? rest.slice(rest.indexOf('/', 2) + 1 || rest.length) : rest;
    return addressList([path], server);
  }
  if (scheme !== undefined && LITERAL_SCHEMES.has(scheme)) return refused(`gRPC target '${server}': scheme ${scheme}: is not accepted; ${USE}`);
  if (scheme === DIRECT_SCHEME && rest.startsWith('//')) return addressList(rest.slice(rest.indexOf('/', 2) + 1 || rest.length).split(',').filter((a) => a !== ''), server);
  if (scheme !== undefined && rest.startsWith('//')) return { kind: 'registry' };
  return addressList([server], server);
}

function addressList(paths: readonly string[], server: string): GrpcDialTarget {
  const targets: HostPort[] = [];
  for (const p of paths) {
    const t = splitHostPort(p);
    if (t === undefined) return refused(`gRPC target '${server}' is not host[:port]; ${USE}`);
    targets.push(t);
  }
  return targets.length === 0 ? refused(`gRPC target '${server}' names no address; ${USE}`) : { kind: 'addresses', targets };
}

/**
 * The dial target of a gRPC branch URL at submit, before a driver splits it (dtm's default split:
 * the server ends at the first '/'; `scheme://authority/path…` keeps its authority, and for
 * `dns://` and `direct://` the path's first segment too).
 */
export function grpcUrlTarget(url: string): GrpcDialTarget {
  const scheme = SCHEME.exec(url)?.[1];
  if (scheme !== undefined && url.startsWith(`${scheme}://`)) {
    const afterAuthority = url.indexOf('/', scheme.length + 3);
    if (afterAuthority < 0) return grpcDialTarget(url);
    const pathEnd = url.indexOf('/', afterAuthority + 1);
    return grpcDialTarget(pathEnd < 0 ? url : url.slice(0, pathEnd));
  }
  const slash = url.indexOf('/');
  return grpcDialTarget(slash < 0 ? url : url.slice(0, slash));
}
