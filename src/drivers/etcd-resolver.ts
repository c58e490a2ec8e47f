/**
 * A grpc-js resolver backed by an etcd prefix watch: the shared machinery of the go-zero
 * (`etcd://`, `discov://`) and kratos (`discovery:///`) resolvers. Each channel (one per dialled
 * target) gets its own resolver and watch; addresses follow the registry live.
 */
import type { experimental } from '@grpc/grpc-js';
import type { Etcd3 } from 'etcd3';
import { EtcdPrefixWatch } from './etcd-prefix-watch.js';
import type { ResolverConstructor } from './resolver-support.js';
import { reportAddresses, reportFailure } from './resolver-support.js';

/** Where and how one target is resolved. */
export interface EtcdLookup {
  readonly client: Etcd3;
  /** Every key under it is one instance (go-zero: `<key>/`, kratos: `/microservices/<name>/`). */
  readonly prefix: string;
  /** The `host:port` addresses one entry stands for ([] skips a foreign or malformed entry). */
  addressesOf(key: string, value: string): string[];
  /** Names the lookup in failure messages, e.g. `etcd key trans.rpc at 127.0.0.1:2379`. */
  readonly describe: string;
}

/**
 * Builds the resolver class for one scheme. `lookupOf` maps a target to its lookup and may
 * throw (bad target, no registry configured); the message becomes the calls' UNAVAILABLE status.
 */
export function etcdResolverClass(lookupOf: (target: experimental.GrpcUri) => EtcdLookup): ResolverConstructor {
  return class EtcdResolver implements experimental.Resolver {
    private watch: EtcdPrefixWatch | undefined;
    private latest: string[] | undefined;
    private describe = '';

    constructor(
      private readonly target: experimental.GrpcUri,
      private readonly listener: experimental.ResolverListener,
    ) {}

    /** Starts the watch, or re-reports the latest addresses when it runs. */
    updateResolution(): void {
      if (this.watch !== undefined) {
        if (this.latest !== undefined) reportAddresses(this.listener, this.latest, this.describe);
        return;
      }
      let lookup: EtcdLookup;
      try {
        lookup = lookupOf(this.target);
      } catch (err) {
        reportFailure(this.listener, err instanceof Error ? err.message : String(err));
        return;
      }
      this.describe = lookup.describe;
      this.watch = EtcdPrefixWatch.start(lookup.client, lookup.prefix, {
        onChange: (entries) => {
          const addresses = [...entries].flatMap(([k, v]) => lookup.addressesOf(k, v));
          this.latest = addresses;
          reportAddresses(this.listener, addresses, lookup.describe);
        },
        onError: (err) => {
          // a fresh watch starts on grpc-js' next updateResolution (it backs off between tries)
          void this.stopWatch();
          reportFailure(this.listener, `cannot resolve ${lookup.describe}: ${err.message}`);
        },
      });
    }

    destroy(): void {
      void this.stopWatch();
    }

    private async stopWatch(): Promise<void> {
      const w = this.watch;
      this.watch = undefined;
      this.latest = undefined;
      await w?.close();
    }

    static getDefaultAuthority(target: experimental.GrpcUri): string {
      return target.path;
    }
  };
}
