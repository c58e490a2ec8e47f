/**
 * `dtm-driver-kratos`: kratos' etcd registry (go-kratos contrib/registry/etcd; spec §11,
 * dtm-labs/dtmdriver-kratos).
 *
 * Layout: an instance is the key `/microservices/<name>/<id>` under a 15 s lease, whose value is
 * the JSON `ServiceInstance` `{"id","name","version","metadata","endpoints":["grpc://h:p",...]}`.
 * A branch URL `discovery:///<name>/pkg.Svc/Method` dials `discovery:///<name>`, resolved to the
 * `grpc://` endpoints of the instances (plaintext, as dtmdriver-kratos dials). As in dtm, the
 * registry is the one `MicroService.Target` names (`discovery://h:2379/dtmservice` or
 * `etcd://...`): `discovery:///` targets resolve only after `registerGrpcService` ran.
 */
import { randomUUID } from 'node:crypto';
import { experimental } from '@grpc/grpc-js';
import type { Driver, ServerMethod } from './driver.js';
import { DriverEndpointError, DriverError, DriverTargetError } from './driver.js';
import { EtcdConnections, etcdHostsOf } from './etcd-connections.js';
import { EtcdLeaseRegistration } from './etcd-lease-registration.js';
import { etcdResolverClass } from './etcd-resolver.js';
import { parseSchemeUrl, splitSchemeUrl } from './server-method.js';

export const KRATOS_DRIVER_NAME = 'dtm-driver-kratos';
/** kratos' etcd registry defaults: namespace and TTL. */
export const KRATOS_NAMESPACE = '/microservices';
const KRATOS_TTL_SECONDS = 15;

/** The `host:port` of an instance's first `grpc://` endpoint ([] for none or bad JSON). */
export function kratosGrpcAddress(name: string, value: string): string[] {
  let si: unknown;
  try {
    si = JSON.parse(value);
  } catch {
    return [];
  }
  if (typeof si !== 'object' || si === null) return [];
  const { name: siName, endpoints } = si as { name?: unknown; endpoints?: unknown };
  if (siName !== name || !Array.isArray(endpoints)) return [];
  for (const e of endpoints) {
    const m = typeof e === 'string' ? /^grpc:\/\/([^/?#]+)/i.exec(e) : null;
    if (m?.[1] !== undefined) return [m[1]];
  }
  return [];
}

export class KratosDriver implements Driver {
  readonly name = KRATOS_DRIVER_NAME;
  private readonly etcd = new EtcdConnections();
  private readonly registrations = new Set<EtcdLeaseRegistration>();
  /** The registry's etcd hosts, known once `registerGrpcService` ran with a target. */
  private registryHosts: string[] | undefined;

  registerGrpcResolver(): void {
    experimental.registerResolver('discovery', etcdResolverClass((target) => {
      const name = target.path.replace(/^\/+|\/+$/g, '');
      if (name === '') throw new DriverError(`no service name in '${experimental.uriToString(target)}'`);
      const hosts = this.registryHosts;
      if (hosts === undefined) {
        throw new DriverError(`${KRATOS_DRIVER_NAME} resolves '${experimental.uriToString(target)}' in the etcd registry named by MicroService.Target, and none is registered (set MicroService.Target to discovery://host:port/<name>)`);
      }
      return {
        client: this.etcd.client(hosts),
        prefix: `${KRATOS_NAMESPACE}/${name}/`,
        addressesOf: (_k, v) => kratosGrpcAddress(name, v),
        describe: `kratos service ${name} at etcd ${hosts.join(',')}`,
      };
    }));
  }

  /**
   * Registers dtx as a kratos instance named after the target's path. `endpoint` is a
   * comma-separated list of endpoint URLs as kratos expects (`grpc://host:port`); a bare
   * `host:port` is registered as `grpc://host:port`.
   */
  async registerGrpcService(target: string, endpoint: string): Promise<void> {
    if (target === '') return;
    if (endpoint.trim() === '') throw new DriverEndpointError(`${KRATOS_DRIVER_NAME}: no endpoint to register under '${target}': set MicroService.EndPoint (host:port of dtx's gRPC ingress)`);
    const url = parseSchemeUrl(target.replace(/[\r\n]/g, ''));
    if (url === undefined) throw new DriverTargetError(`${KRATOS_DRIVER_NAME}: bad target '${target}': expected discovery://host:port/<name>`);
    if (url.scheme === 'consul') throw new DriverTargetError(`${KRATOS_DRIVER_NAME} cannot use '${target}': kratos' consul registry has no client in dtx; use its etcd registry (discovery://host:port/<name>)`);
    if (url.scheme !== 'discovery' && url.scheme !== 'etcd') throw new DriverTargetError(`${KRATOS_DRIVER_NAME}: unknown scheme: ${url.scheme} in '${target}'`);
    let hosts: string[];
    try {
      hosts = etcdHostsOf(url.authority, target);
    } catch (err) {
      throw new DriverTargetError(`${KRATOS_DRIVER_NAME}: ${(err as Error).message}`);
    }
    const name = url.path.replace(/^\/+/, '');
    if (name === '') throw new DriverTargetError(`${KRATOS_DRIVER_NAME}: no service name in '${target}'`);
    this.registryHosts = hosts;
    const id = randomUUID();
    const endpoints = endpoint.split(',').map((e) => e.trim()).filter((e) => e !== '').map((e) => (e.includes('://') ? e : `grpc://${e}`));
    const instance = { id, name, version: '', metadata: null, endpoints };
    const registration = await EtcdLeaseRegistration.start({
      client: this.etcd.client(hosts),
      ttlSeconds: KRATOS_TTL_SECONDS,
      keyOf: () => `${KRATOS_NAMESPACE}/${name}/${id}`,
      value: JSON.stringify(instance),
      describe: `kratos instance ${name} (${endpoints.join(',')}) at etcd ${hosts.join(',')}`,
    });
    this.registrations.add(registration);
  }

  parseServerMethod(uri: string): ServerMethod {
    return splitSchemeUrl(uri);
  }

  async close(): Promise<void> {
    await Promise.all([...this.registrations].map((r) => r.close()));
    this.registrations.clear();
    this.etcd.close();
  }
}
