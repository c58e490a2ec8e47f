/**
 * `dtm-driver-polaris` (dtm-labs/dtmdriver-polaris, Tencent Polaris): known by name so that a dtm
 * configuration naming it fails with a clear message instead of "no driver registered", but it
 * refuses to start: dtx has no Polaris client, and none was added without a Polaris server to
 * test it against (docs/drivers.md records what was tried). Selecting it stops dtx (exit 2).
 *
 * `parseServerMethod` follows dtmdriver-polaris so the URL shapes stay documented and tested:
 * `polaris://<service>/pkg.Svc/Method?namespace=<ns>` → server
 * `polaris://<service>/?options=<base64url {"Namespace":"<ns>"}>`, method `/pkg.Svc/Method`.
 */
import type { Driver, ServerMethod } from './driver.js';
import { DriverError, DriverUnavailable } from './driver.js';
import { parseSchemeUrl, splitAtFirstSlash } from './server-method.js';

export const POLARIS_DRIVER_NAME = 'dtm-driver-polaris';

export const POLARIS_UNAVAILABLE =
  `${POLARIS_DRIVER_NAME} is not supported by dtx: it has no Polaris client ` +
  '(polaris-go has no Node counterpart, and no Polaris server could be built here to test one against); ' +
  'register dtx and your services in etcd and use dtm-driver-gozero or dtm-driver-kratos, or load your own driver with MicroService.DriverModules (docs/drivers.md)';

export class PolarisDriver implements Driver {
  readonly name = POLARIS_DRIVER_NAME;

  /** Refuses: selecting this driver stops dtx at start. */
  registerGrpcResolver(): void {
    throw new DriverUnavailable(POLARIS_UNAVAILABLE);
  }

  registerGrpcService(_target: string, _endpoint: string): Promise<void> {
    return Promise.reject(new DriverUnavailable(POLARIS_UNAVAILABLE));
  }

  parseServerMethod(uri: string): ServerMethod {
    if (!uri.includes('//')) return splitAtFirstSlash(uri);
    const url = parseSchemeUrl(uri);
    if (url === undefined || url.authority === '' || url.path.length < 2) {
      throw new DriverError(`bad url: '${uri}'. expected polaris://<service>/pkg.Service/Method?namespace=<ns>`);
    }
    const namespace = new URLSearchParams(url.query).get('namespace') ?? '';
    // Go's base64.URLEncoding: URL alphabet, padded
    const options = Buffer.from(JSON.stringify({ Namespace: namespace })).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    return { server: `${url.scheme}://${url.authority}/?options=${options}`, method: url.path };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
