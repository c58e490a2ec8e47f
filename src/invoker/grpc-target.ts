/**
 * What a gRPC branch target dials, read the way grpc-js reads it, so the outbound policy checks
 * the addresses the call will reach (docs/security.md). grpc-js takes a leading `<scheme>:` as a
 * resolver name; a scheme no resolver is registered for makes the whole target a DNS name
 * (`localhost:50051`); `dns:` resolves `host[:port]` (port 443 when none is given); `ipv4:`,
 * `ipv6:` and `unix:` connect to what they list. Anything the policy cannot reduce to host and
 * port is refused (fail closed), never passed through unchecked.
 */
import { experimental } from '@grpc/grpc-js';

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
 * `host[:port]` of a DNS target, split by grpc-js itself (`[v6]:port`, `host:port`, a bare host or
 * a bare IPv6 address), with its default port; a bracketed host keeps its brackets. undefined when
 * grpc-js could not dial it, or the port is out of range.
 */
export function splitHostPort(path: string): HostPort | undefined {
  const split = experimental.splitHostPort(path);
  if (split === null || split.host === '') return undefined;
  const host = path.startsWith('[') ? `[${split.host}]` : split.host;
  const port = split.port ?? DEFAULT_PORT;
  return port > 65535 ? undefined : { host, port };
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
