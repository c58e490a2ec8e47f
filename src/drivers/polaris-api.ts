/**
 * The few calls of Polaris' HTTP API (polarismesh/polaris `api-http`, client API, default port
 * 8090) that dtm-driver-polaris needs: register, heartbeat, deregister an instance, and discover a
 * service's instances. Polaris answers HTTP 200 with a `code` field; 200000 is success.
 */
import { DriverError } from './driver.js';

/** Polaris' default HTTP API address, as dtmdriver-polaris defaults its server to 127.0.0.1. */
export const DEFAULT_POLARIS_SERVER = '127.0.0.1:8090';
const TIMEOUT_MS = 5_000;
const OK = 200000;
/** `existed resource`: the instance is registered already (a restart within its TTL). */
const EXISTED = 400201;

/** Identifies one instance (Polaris' instance id is derived from these). */
export interface PolarisInstanceKey {
  readonly namespace: string;
  readonly service: string;
  readonly host: string;
  readonly port: number;
  /** The service token (dtm passes MicroService.EndPoint); '' when the server does not check tokens. */
  readonly token: string;
}

export interface PolarisInstance {
  readonly host: string;
  readonly port: number;
  readonly healthy: boolean;
  readonly isolate: boolean;
  readonly weight: number;
}

interface Reply {
  code?: number;
  info?: string;
  instances?: { host?: string; port?: number; healthy?: boolean | null; isolate?: boolean | null; weight?: number | null }[];
}

async function call(server: string, path: string, body: unknown, accept: readonly number[] = [OK]): Promise<Reply> {
  // loaded on first use: only the polaris driver needs undici's request API (undici-core.ts says why)
  const { request } = await import('undici');
  const res = await request(`http://${server}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  const text = await res.body.text();
  let reply: Reply;
  try {
    reply = JSON.parse(text) as Reply;
  } catch {
    throw new DriverError(`polaris ${server}${path}: HTTP ${res.statusCode}, not a Polaris reply: ${text.slice(0, 200)}`);
  }
  if (reply.code === undefined || !accept.includes(reply.code)) {
    throw new DriverError(`polaris ${server}${path}: code ${reply.code ?? '?'} ${reply.info ?? ''} (HTTP ${res.statusCode})`);
  }
  return reply;
}

function instanceBody(i: PolarisInstanceKey): Record<string, unknown> {
  return { namespace: i.namespace, service: i.service, host: i.host, port: i.port, ...(i.token === '' ? {} : { service_token: i.token }) };
}

/** Registers with heartbeat health checking (`ttlSeconds`), as polaris-go's provider does. */
export async function registerInstance(server: string, i: PolarisInstanceKey, ttlSeconds: number): Promise<void> {
  await call(server, '/v1/RegisterInstance', { ...instanceBody(i), enable_health_check: true, health_check: { type: 1, heartbeat: { ttl: ttlSeconds } } }, [OK, EXISTED]);
}

export async function heartbeat(server: string, i: PolarisInstanceKey): Promise<void> {
  await call(server, '/v1/Heartbeat', instanceBody(i));
}

export async function deregisterInstance(server: string, i: PolarisInstanceKey): Promise<void> {
  await call(server, '/v1/DeregisterInstance', instanceBody(i));
}

/** The instances of a service; none (not an error) when the service does not exist yet. */
export async function discoverInstances(server: string, namespace: string, service: string): Promise<PolarisInstance[]> {
  const NOT_FOUND = 400202;
  const reply = await call(server, '/v1/Discover', { type: 1, service: { name: service, namespace } }, [OK, NOT_FOUND]);
  return (reply.instances ?? []).flatMap((i) =>
    typeof i.host === 'string' && typeof i.port === 'number'
      ? [{ host: i.host, port: i.port, healthy: i.healthy !== false, isolate: i.isolate === true, weight: i.weight ?? 100 }]
      : [],
  );
}
