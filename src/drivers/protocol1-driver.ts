/**
 * `dtm-driver-protocol1`: the smallest complete driver, after dtm-labs/dtmdriver-protocol1, and
 * the template docs/drivers.md walks framework maintainers through. Its "registry" is an
 * in-process table, so every part of the contract is visible without a real registry:
 *
 * - scheme `protocol1://<any authority>/<service>`: `<service>` is looked up in the table; a
 *   `<service>` that is not in it but is `host:port` is dialled as is (what dtm's sample does);
 * - branch URLs `protocol1://x/<service>/pkg.Svc/Method` (the common split, spec §11), and plain
 *   `host:port/pkg.Svc/Method` URLs take the default split;
 * - `registerGrpcService('protocol1:///<service>', endpoint)` adds `endpoint` to `<service>`;
 *   `close()` removes what this process added.
 */
import { experimental } from '@grpc/grpc-js';
import type { Driver, ServerMethod } from './driver.js';
import { DriverError, DriverTargetError } from './driver.js';
import { staticResolverClass } from './resolver-support.js';
import { parseSchemeUrl, splitSchemeUrl } from './server-method.js';

export const PROTOCOL1_DRIVER_NAME = 'dtm-driver-protocol1';
export const PROTOCOL1_SCHEME = 'protocol1';

export class Protocol1Driver implements Driver {
  readonly name = PROTOCOL1_DRIVER_NAME;
  /** service name → addresses; the stand-in for a registry. */
  private readonly services: Map<string, string[]>;
  private readonly registered: { service: string; endpoint: string }[] = [];

  /** `services` seeds the table (service name → `host:port` list). */
  constructor(services: Readonly<Record<string, readonly string[]>> = {}) {
    this.services = new Map(Object.entries(services).map(([k, v]) => [k, [...v]]));
  }

  /** Step 1: teach grpc-js the scheme. Called once, when `MicroService.Driver` selects us. */
  registerGrpcResolver(): void {
    experimental.registerResolver(PROTOCOL1_SCHEME, staticResolverClass((target) => this.addressesOf(target.path)));
  }

  /** Step 2: put dtx's own endpoint where the framework's clients look (here: the table). */
  registerGrpcService(target: string, endpoint: string): Promise<void> {
    if (target === '') return Promise.resolve();
    const url = parseSchemeUrl(target);
    const service = url?.path.replace(/^\/+/, '') ?? '';
    if (url?.scheme !== PROTOCOL1_SCHEME || service === '' || service.includes('/')) {
      return Promise.reject(new DriverTargetError(`${PROTOCOL1_DRIVER_NAME}: bad target '${target}': expected protocol1:///<service>`));
    }
    this.services.set(service, [...(this.services.get(service) ?? []), endpoint]);
    this.registered.push({ service, endpoint });
    return Promise.resolve();
  }

  /** Step 3: split a branch URL into what grpc-js dials and the method it invokes. */
  parseServerMethod(uri: string): ServerMethod {
    const split = splitSchemeUrl(uri);
    const scheme = uri.includes('//') ? parseSchemeUrl(uri)?.scheme : undefined;
    if (scheme !== undefined && scheme !== PROTOCOL1_SCHEME) {
      throw new DriverError(`${PROTOCOL1_DRIVER_NAME} cannot dial '${uri}': only protocol1:// URLs or host:port/pkg.Svc/Method`);
    }
    return split;
  }

  /** Step 4: withdraw what step 2 registered. */
  close(): Promise<void> {
    for (const { service, endpoint } of this.registered.splice(0)) {
      const rest = (this.services.get(service) ?? []).filter((e) => e !== endpoint);
      if (rest.length > 0) this.services.set(service, rest);
      else this.services.delete(service);
    }
    return Promise.resolve();
  }

  private addressesOf(service: string): string[] {
    const known = this.services.get(service);
    if (known !== undefined) return known;
    if (/^[^/:]+:\d+$|^\[[^\]]+\]:\d+$/.test(service)) return [service];
    throw new DriverError(`${PROTOCOL1_DRIVER_NAME}: no service '${service}' registered`);
  }
}
