/**
 * Helpers for grpc-js resolvers (`grpc.experimental.registerResolver`): turning `host:port`
 * strings into grpc-js endpoints and reporting results or failures to a resolver listener.
 * grpc-js forbids calling the listener synchronously from the constructor or
 * `updateResolution`, so every report is deferred.
 */
import { experimental, status } from '@grpc/grpc-js';

type ResolverListener = experimental.ResolverListener;
type Endpoint = experimental.Endpoint;
/** The class `registerResolver` takes (grpc-js does not export its name). */
export type ResolverConstructor = Parameters<typeof experimental.registerResolver>[1];

/** `host:port` or `[v6]:port` → a grpc-js endpoint; undefined when it has no numeric port. */
export function endpointOf(address: string): Endpoint | undefined {
  const hp = experimental.splitHostPort(address.trim());
  if (hp === null || hp.port === undefined || hp.host === '') return undefined;
  return { addresses: [{ host: hp.host, port: hp.port }] };
}

/**
 * Reports `addresses` (deduplicated; ones that are not `host:port` skipped) to `listener`, or
 * UNAVAILABLE naming `what` when none is left (an empty list would leave calls waiting).
 */
export function reportAddresses(listener: ResolverListener, addresses: Iterable<string>, what: string): void {
  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  for (const a of addresses) {
    if (seen.has(a)) continue;
    seen.add(a);
    const e = endpointOf(a);
    if (e !== undefined) endpoints.push(e);
  }
  if (endpoints.length === 0) {
    reportFailure(listener, `no endpoint found for ${what}`);
    return;
  }
  setImmediate(() => listener(experimental.statusOrFromValue(endpoints), {}, null, ''));
}

/** Reports a resolution failure: grpc-js fails waiting calls UNAVAILABLE with `details`. */
export function reportFailure(listener: ResolverListener, details: string): void {
  setImmediate(() => listener(experimental.statusOrFromError({ code: status.UNAVAILABLE, details }), {}, null, ''));
}

/**
 * A resolver class for targets whose addresses can be computed from the target alone (go-zero's
 * `direct:///h1:p1,h2:p2`, the protocol1 example). `addressesOf` may throw; its message becomes
 * the UNAVAILABLE status of the calls.
 */
export function staticResolverClass(addressesOf: (target: experimental.GrpcUri) => string[]): ResolverConstructor {
  return class StaticResolver implements experimental.Resolver {
    constructor(
      private readonly target: experimental.GrpcUri,
      private readonly listener: ResolverListener,
    ) {}

    updateResolution(): void {
      try {
        reportAddresses(this.listener, addressesOf(this.target), experimental.uriToString(this.target));
      } catch (err) {
        reportFailure(this.listener, err instanceof Error ? err.message : String(err));
      }
    }

    destroy(): void {}

    static getDefaultAuthority(target: experimental.GrpcUri): string {
      return target.path;
    }
  };
}
