/**
 * The `default` driver (dtm's `dtmdriver` default): no registry, no resolver of its own; a gRPC
 * branch URL is `host:port/pkg.Service/Method`. dtx also accepts grpc-js's explicit DNS form
 * `dns:///host:port/pkg.Service/Method` (server `dns:///host:port`), which dtm would refuse.
 */
import type { Driver, ServerMethod } from './driver.js';
import { DriverError } from './driver.js';
import { splitAtFirstSlash } from './server-method.js';

export const DEFAULT_DRIVER_NAME = 'default';

const DNS_PREFIX = 'dns:///';

export class DefaultDriver implements Driver {
  readonly name = DEFAULT_DRIVER_NAME;

  /** Nothing to register: grpc-js resolves `host:port` and `dns:///` itself. */
  registerGrpcResolver(): void {}

  /** dtm's default driver ignores the target: nothing is registered anywhere. */
  registerGrpcService(_target: string, _endpoint: string): Promise<void> {
    return Promise.resolve();
  }

  /**
   * dtm's rule: split at the first '/'; `bad url: '<u>'. no '/' found` without one; a URL with
   * `://` needs a driver that knows its scheme. `dns:///host:port/...` is split after the host.
   */
  parseServerMethod(uri: string): ServerMethod {
    if (uri.startsWith(DNS_PREFIX)) {
      const rest = uri.slice(DNS_PREFIX.length);
      const sep = rest.indexOf('/');
      if (sep < 1 || sep === rest.length - 1) throw new DriverError(`bad url: '${uri}'. expected dns:///host:port/pkg.Service/Method`);
      return { server: DNS_PREFIX + rest.slice(0, sep), method: rest.slice(sep) };
    }
    const split = splitAtFirstSlash(uri);
    if (uri.includes('://')) throw new DriverError(`call dtmdriver.Use() before you use custom scheme for '${uri}'`);
    return split;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
