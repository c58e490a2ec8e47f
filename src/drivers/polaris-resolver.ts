/**
 * The grpc-js resolver of `polaris://<service>/?options=<base64url JSON {"Namespace":...}>` targets
 * (the form dtmdriver-polaris' ParseServerMethod builds for grpc-go-polaris): polls Polaris'
 * discover API every 2 s (polaris-go refreshes its cache on that period) and reports the healthy,
 * non-isolated instances with a weight.
 */
import type { experimental } from '@grpc/grpc-js';
import { discoverInstances } from './polaris-api.js';
import type { ResolverConstructor } from './resolver-support.js';
import { reportAddresses, reportFailure } from './resolver-support.js';

const POLL_MS = 2_000;
/** grpc-go-polaris' default namespace. */
const DEFAULT_NAMESPACE = 'default';

/** Namespace of a target's `options` (Go's base64.URLEncoding of `{"Namespace":"..."}`). */
export function polarisNamespaceOf(path: string): string {
  const options = /(?:^|[?&])options=([^&]*)/.exec(path)?.[1];
  if (options === undefined || options === '') return DEFAULT_NAMESPACE;
  try {
    const json = Buffer.from(decodeURIComponent(options).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const ns = (JSON.parse(json) as { Namespace?: unknown }).Namespace;
    return typeof ns === 'string' && ns !== '' ? ns : DEFAULT_NAMESPACE;
  } catch {
    return DEFAULT_NAMESPACE;
  }
}

/** `serverOf()` gives the Polaris HTTP API address at resolution time. */
export function polarisResolverClass(serverOf: () => string): ResolverConstructor {
  return class PolarisResolver implements experimental.Resolver {
    private timer: NodeJS.Timeout | undefined;
    /** The address list last reported; undefined = report the next result whatever it is. */
    private last: string | undefined;
    private destroyed = false;

    constructor(
      private readonly target: experimental.GrpcUri,
      private readonly listener: experimental.ResolverListener,
    ) {}

    updateResolution(): void {
      this.destroyed = false;
      if (this.timer !== undefined) return;
      this.last = undefined;
      void this.poll();
    }

    destroy(): void {
      this.destroyed = true;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
    }

    static getDefaultAuthority(target: experimental.GrpcUri): string {
      return target.authority ?? '';
    }

    private async poll(): Promise<void> {
      const service = this.target.authority ?? '';
      const namespace = polarisNamespaceOf(this.target.path);
      const server = serverOf();
      const what = `polaris service ${service} in namespace ${namespace} at ${server}`;
      this.timer = setTimeout(() => void this.poll(), POLL_MS);
      this.timer.unref();
      try {
        const instances = await discoverInstances(server, namespace, service);
        const addresses = instances.filter((i) => i.healthy && !i.isolate && i.weight > 0).map((i) => `${i.host.includes(':') ? `[${i.host}]` : i.host}:${i.port}`).sort();
        const key = addresses.join(',');
        if (this.destroyed || key === this.last) return;
        this.last = key;
        reportAddresses(this.listener, addresses, what);
      } catch (err) {
        if (this.destroyed) return;
        this.last = undefined;
        reportFailure(this.listener, `cannot resolve ${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
}
