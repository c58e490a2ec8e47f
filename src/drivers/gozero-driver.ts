/**
 * `dtm-driver-gozero`: go-zero's service discovery (spec §11; dtm-labs/dtmdriver-gozero).
 *
 * Targets, as go-zero's zrpc resolver reads them:
 * - `etcd://h1:2379,h2:2379/<key>` and `discov://...` (the same): the instances of a service are
 *   the values (`host:port`) of the etcd keys under `<key>/`; each instance puts
 *   `<key>/<lease id>` under a 10 s lease it keeps alive (go-zero core/discov).
 * - `direct:///h1:p1,h2:p2`: a fixed list.
 * Branch URLs: `etcd://h:2379/trans.rpc/pkg.Svc/Method` → server `etcd://h:2379/trans.rpc`,
 * method `/pkg.Svc/Method`; a URL without `//` takes the default split. go-zero's consul, nacos
 * and k8s targets are refused with a message saying so.
 */
import { experimental } from '@grpc/grpc-js';
import type { Driver, ServerMethod } from './driver.js';
import { DriverEndpointError, DriverError, DriverTargetError } from './driver.js';
import { EtcdConnections, etcdHostsOf } from './etcd-connections.js';
import { EtcdLeaseRegistration } from './etcd-lease-registration.js';
import { etcdResolverClass } from './etcd-resolver.js';
import { staticResolverClass } from './resolver-support.js';
import { parseSchemeUrl, splitSchemeUrl } from './server-method.js';

export const GOZERO_DRIVER_NAME = 'dtm-driver-gozero';

/** go-zero's `discov.TimeToLive`. */
const GOZERO_TTL_SECONDS = 10;
const ETCD_SCHEMES = ['etcd', 'discov'];
const REFUSED: Readonly<Record<string, string>> = {
  consul: "go-zero's consul registry (zero-contrib) has no client in dtx",
  nacos: "go-zero's nacos registry (zero-contrib) has no client in dtx",
  k8s: "go-zero's k8s endpoints resolver has no client in dtx",
};

function refusal(scheme: string, what: string): string | undefined {
  const why = REFUSED[scheme];
  return why === undefined ? undefined : `${GOZERO_DRIVER_NAME} cannot use '${what}': ${why}; register the service in etcd and use etcd://host:port/<key>`;
}

export class GoZeroDriver implements Driver {
  readonly name = GOZERO_DRIVER_NAME;
  private readonly etcd = new EtcdConnections();
  private readonly registrations = new Set<EtcdLeaseRegistration>();

  registerGrpcResolver(): void {
    const etcdResolver = etcdResolverClass((target) => {
      const hosts = etcdHostsOf(target.authority ?? '', experimental.uriToString(target));
      const key = target.path.replace(/^\/+|\/+$/g, '');
      if (key === '') throw new DriverError(`no etcd key in '${experimental.uriToString(target)}'`);
      return {
        client: this.etcd.client(hosts),
        prefix: `${key}/`,
        addressesOf: (_k, v) => [v],
        describe: `etcd key ${key} at ${hosts.join(',')}`,
      };
    });
    for (const scheme of ETCD_SCHEMES) experimental.registerResolver(scheme, etcdResolver);
    experimental.registerResolver('direct', staticResolverClass((target) => target.path.split(',').filter((a) => a !== '')));
  }

  /**
   * Registers `endpoint` as go-zero services do (`<key>/<lease id>` = endpoint, 10 s lease kept
   * alive, revoked on close). `?user=&password=` on the target sets the etcd account for that
   * cluster, as dtmdriver-gozero does.
   */
  async registerGrpcService(target: string, endpoint: string): Promise<void> {
    if (target === '') return;
    if (endpoint.trim() === '') throw new DriverEndpointError(`${GOZERO_DRIVER_NAME}: no endpoint to register under '${target}': set MicroService.EndPoint (host:port of dtx's gRPC ingress)`);
    const url = parseSchemeUrl(target);
    if (url === undefined) throw new DriverTargetError(`${GOZERO_DRIVER_NAME}: bad target '${target}': expected etcd://host:port[,host:port]/<key>`);
    const refused = refusal(url.scheme, target);
    if (refused !== undefined) throw new DriverTargetError(refused);
    if (!ETCD_SCHEMES.includes(url.scheme)) throw new DriverTargetError(`${GOZERO_DRIVER_NAME}: unknown scheme: ${url.scheme} in '${target}' (etcd:// or discov://)`);
    let hosts: string[];
    try {
      hosts = etcdHostsOf(url.authority, target);
    } catch (err) {
      throw new DriverTargetError(`${GOZERO_DRIVER_NAME}: ${(err as Error).message}`);
    }
    const key = url.path.replace(/^\/+/, '');
    if (key === '') throw new DriverTargetError(`${GOZERO_DRIVER_NAME}: no key in '${target}': expected etcd://host:port/<key>`);
    const query = new URLSearchParams(url.query);
    const user = query.get('user') ?? '';
    if (user !== '') this.etcd.setAccount(hosts, { username: user, password: query.get('password') ?? '' });
    const registration = await EtcdLeaseRegistration.start({
      client: this.etcd.client(hosts),
      ttlSeconds: GOZERO_TTL_SECONDS,
      keyOf: (leaseId) => `${key}/${leaseId}`,
      value: endpoint,
      describe: `${endpoint} under ${key} at etcd ${hosts.join(',')}`,
    });
    this.registrations.add(registration);
  }

  parseServerMethod(uri: string): ServerMethod {
    const url = uri.includes('//') ? parseSchemeUrl(uri) : undefined;
    const refused = url === undefined ? undefined : refusal(url.scheme, uri);
    if (refused !== undefined) throw new DriverError(refused);
    return splitSchemeUrl(uri);
  }

  async close(): Promise<void> {
    await Promise.all([...this.registrations].map((r) => r.close()));
    this.registrations.clear();
    this.etcd.close();
  }
}
