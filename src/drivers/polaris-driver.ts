/**
 * `dtm-driver-polaris` (dtm-labs/dtmdriver-polaris, Tencent Polaris), over Polaris' HTTP API.
 *
 * As in dtm:
 * - `MicroService.Target` = `polaris://<ip>:<port>/<service>?namespace=<ns>`: the address dtx is
 *   registered with (an unspecified or non-IP host means this machine's first non-loopback IPv4)
 *   and the service and namespace it joins; `MicroService.EndPoint` is the service token ('' when
 *   the server does not check tokens). The instance uses heartbeat health checks (TTL 5 s,
 *   heartbeats every 5 s) and is deregistered on close.
 * - branch URLs `polaris://<service>/pkg.Svc/Method?namespace=<ns>` → server
 *   `polaris://<service>/?options=<base64url {"Namespace":"<ns>"}>`, method `/pkg.Svc/Method`; the
 *   `polaris` resolver finds the service's healthy instances.
 * dtx addition: the Polaris server is reached at its HTTP API, `127.0.0.1:8090` unless the target
 * names another with `&server=<host:port>` (dtm reads env vars with '-' in their names instead).
 */
import { experimental } from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Driver, ServerMethod } from './driver.js';
import { DriverError, DriverTargetError } from './driver.js';
import type { PolarisInstanceKey } from './polaris-api.js';
import { DEFAULT_POLARIS_SERVER, deregisterInstance, heartbeat, registerInstance } from './polaris-api.js';
import { polarisResolverClass } from './polaris-resolver.js';
import { parseSchemeUrl, splitAtFirstSlash } from './server-method.js';

export const POLARIS_DRIVER_NAME = 'dtm-driver-polaris';
/** dtmdriver-polaris' `PolarisTtl`: heartbeat period and TTL. */
const TTL_SECONDS = 5;

export class PolarisDriver implements Driver {
  readonly name = POLARIS_DRIVER_NAME;
  private server: string;
  private readonly registered = new Map<PolarisInstanceKey, NodeJS.Timeout>();

  /** `server`: the Polaris HTTP API address used until a target names one. */
  constructor(options: { server?: string } = {}) {
    this.server = options.server ?? DEFAULT_POLARIS_SERVER;
  }

  registerGrpcResolver(): void {
    experimental.registerResolver('polaris', polarisResolverClass(() => this.server));
  }

  async registerGrpcService(target: string, token: string): Promise<void> {
    if (target === '') return;
    const instance = this.instanceOf(target, token);
    try {
      await registerInstance(this.server, instance, TTL_SECONDS);
      await heartbeat(this.server, instance);
    } catch (err) {
      throw new DriverError(`cannot register ${instance.host}:${instance.port} as ${instance.service} (namespace ${instance.namespace}) at polaris ${this.server}: ${(err as Error).message}`, { cause: err });
    }
    const server = this.server;
    const timer = setInterval(() => void heartbeat(server, instance).catch(() => undefined), TTL_SECONDS * 1000);
    timer.unref();
    this.registered.set(instance, timer);
  }

  parseServerMethod(uri: string): ServerMethod {
    if (!uri.includes('//')) return splitAtFirstSlash(uri);
    const url = parseSchemeUrl(uri);
    if (url?.scheme !== 'polaris' || url.authority === '' || url.path.length < 2) {
      throw new DriverError(`bad url: '${uri}'. expected polaris://<service>/pkg.Service/Method?namespace=<ns>`);
    }
    const namespace = new URLSearchParams(url.query).get('namespace') ?? '';
    // Go's base64.URLEncoding: URL alphabet, padded
    const options = Buffer.from(JSON.stringify({ Namespace: namespace })).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    return { server: `polaris://${url.authority}/?options=${options}`, method: url.path };
  }

  /** Stops heartbeats and deregisters; never rejects (the TTL retires what could not be deregistered). */
  async close(): Promise<void> {
    const server = this.server;
    const all = [...this.registered];
    this.registered.clear();
    await Promise.all(all.map(async ([instance, timer]) => {
      clearInterval(timer);
      await deregisterInstance(server, instance).catch(() => undefined);
    }));
  }

  /** dtm's target rules (dtmdriver-polaris RegisterService), errors naming the target. */
  private instanceOf(target: string, token: string): PolarisInstanceKey {
    const bad = (why: string) => new DriverTargetError(`${POLARIS_DRIVER_NAME}: ${why} in '${target}': expected polaris://<ip>:<port>/<service>?namespace=<ns>`);
    const url = parseSchemeUrl(target);
    if (url?.scheme !== 'polaris') throw bad('not a polaris:// target');
    const query = new URLSearchParams(url.query);
    const namespace = query.get('namespace') ?? '';
    if (namespace === '') throw bad('namespace not found');
    const service = url.path.replace(/^\//, '');
    if (service === '') throw bad('service not found');
    const m = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(url.authority);
    if (m === null) throw bad('no port');
    const server = query.get('server');
    if (server !== null && server !== '') this.server = server;
    const rawHost = (m[1] ?? '').replace(/^\[|\]$/g, '');
    const host = isIP(rawHost) !== 0 && rawHost !== '0.0.0.0' && rawHost !== '::' ? rawHost : firstIPv4();
    if (host === undefined) throw bad('ip not found');
    return { namespace, service, host, port: Number(m[2]), token };
  }
}

/** The first non-loopback IPv4 address of this machine (dtmdriver-polaris' firstIp). */
function firstIPv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
