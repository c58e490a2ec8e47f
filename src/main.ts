import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { TransSpec, TransTypeRegistry } from '../machines/index.js';
import type { ResolvedConfig } from './config/index.js';
import { Engine } from './engine/engine.js';
import { buildRegistry } from './extensions/trans-type-loader.js';
import { engineSettingsOf } from './engine/engine-settings.js';
import { systemClock } from './engine/clock.js';
import { createHttpApp, listen } from './ingress/http/http-server.js';
import { buildInvoker } from './invoker/build-invoker.js';
import type { EventLog } from './log/event-log.js';
import { SqliteEventLog } from './log/sqlite/sqlite-event-log.js';
import { Metrics } from './observability/metrics.js';
import { metricsObserver, ownershipMetrics } from './observability/metrics-observer.js';
import { KafkaCluster } from './cluster/kafka-cluster.js';
import { transactionHistory } from './audit/transaction-history.js';
import { OutboundPolicy } from './invoker/outbound-policy.js';
import { checkOutbound, checkUrlOutbound } from './invoker/outbound-check.js';
import { createTransParser } from './ingress/schema/trans-input-schema.js';
import type { HttpTls } from './ingress/http/http-server.js';
import { startGrpcIngress } from './ingress/grpc/grpc-server.js';
import { startDrivers } from './drivers/driver-runtime.js';

export const DTX_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface RunningDtx {
  readonly engine: Engine;
  readonly httpPort: number;
  /** The bound port of the gRPC ingress (`GrpcPort`; 0 there = a port the OS chose). */
  readonly grpcPort: number;
  stop(): Promise<void>;
}

/** Only the composition root chooses adapters (DESIGN §8): log, invoker, ingress. */
async function openBackend(config: ResolvedConfig, logger: Logger): Promise<{ log: EventLog; cluster?: KafkaCluster }> {
  switch (config.Store.Driver) {
    case 'sqlite':
      return { log: SqliteEventLog.open({ dir: config.Store.DataDir, syncCommit: config.Store.SyncCommit, logger, writer: 'worker' }) };
    case 'kafka': {
      const cluster = await KafkaCluster.open(config, logger);
      return { log: cluster.log, cluster };
    }
  }
}

/**
 * Composition root: config -> trans types -> log -> engine (recovery) -> ingress. Without a
 * `types` registry, it serves the built-ins, `registerTransType` ones and config `TransTypes`
 * modules; a refused module rejects with `TransTypeRefused` before the log is opened.
 */
export async function startDtx(config: ResolvedConfig, logger: Logger, types?: TransTypeRegistry): Promise<RunningDtx> {
  const registry = types ?? (await buildRegistry(config, logger));
  // before the log opens: an unknown MicroService.Driver (ConfigError) must stop dtx at once
  const drivers = await startDrivers(config, logger);
  const { log, cluster } = await openBackend(config, logger);
  const ownPorts: number[] = [config.HttpPort, config.GrpcPort, config.InternalGrpcPort].filter((p) => p > 0);
  const policy = new OutboundPolicy({ allow: config.Invoker.Allow, ownPorts: () => ownPorts });
  const invoker = buildInvoker(config, logger, policy, drivers.parseServerMethod);
  const urlRules = { grpcUrlProblem: problemOf(drivers.parseServerMethod), forwardCredentials: config.Invoker.ForwardCredentials };
  const parser = createTransParser(urlRules);
  // the gauge is collected on scrape, after `engine` exists
  const metrics: Metrics = new Metrics((): number => engine.liveCount(), (): number => engine.openPayloadBytes());
  const engine: Engine = new Engine({
    log, registry, invoker, clock: systemClock, logger, settings: engineSettingsOf(config), observer: metricsObserver(metrics),
    ...(cluster
      ? { ownership: 'assigned' as const, bus: cluster.bus, appender: cluster.appender, onPartitionLost: (p: number, fenced: boolean) => cluster.lost(p, fenced), onCommitted: cluster.snapshots.committed.bind(cluster.snapshots) }
      : {}),
  });
  const recovery = await engine.start();
  metrics.recoverySeconds.set(recovery.ms / 1000);
  await cluster?.join(engine, registry, ownershipMetrics(metrics));
  const transCalls = {
    engine, parser, isSupported: (t: string) => registry.get(t) !== undefined, checkOutbound: (spec: TransSpec) => checkOutbound(spec, policy),
    // topics (docs/topics.md): KV reads from the log's projection, subscriber URLs checked like branch URLs
    kv: log, urlRules, checkUrl: (field: string, url: string) => checkUrlOutbound(field, url, policy),
  };
  const app = createHttpApp({
    ...transCalls,
    logger,
    version: `v${DTX_VERSION}-dtx`,
    timeoutToFail: config.TimeoutToFail,
    maxBodyBytes: config.HttpMaxBodyBytes,
    adminBasePath: config.AdminBasePath,
    metrics,
    history: (gid) => transactionHistory(log, registry, gid),
    tokens: config.Auth.Tokens,
    publicMetrics: config.Auth.PublicMetrics,
  });
  const tls = httpTlsOf(config);
  const server: Server = await listen(app, config.HttpHost, config.HttpPort, tls);
  const address = server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : config.HttpPort;
  ownPorts.push(httpPort);
  const closeHttp = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // keep-alive clients that keep sending would hold close() open: cut them after a grace period
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
  const closeCore = async () => {
    if (cluster !== undefined) await cluster.stop();
    await engine.stop();
    await invoker.close();
    if (cluster === undefined) await log.close();
  };
  const grpc = await startGrpcIngress(
    { ...transCalls, logger, metrics, maxMessageBytes: config.HttpMaxBodyBytes, tokens: config.Auth.Tokens, ...(tls ? { tls } : {}) },
    config.HttpHost,
    config.GrpcPort,
  ).catch(async (err: unknown) => {
    // GrpcPort taken or unbindable: leave nothing open behind the failed start (the data dir lock included)
    await closeHttp();
    await closeCore();
    throw err;
  });
  const grpcPort = grpc.port;
  ownPorts.push(grpcPort);
  const stop = async (): Promise<void> => {
    await drivers.close(); // withdraw dtx from the registry first: clients stop picking it
    await grpc.stop();
    await closeHttp();
    await closeCore();
  };
  // dtm registers once its listeners run (spec §11); MicroService.EndPoint, else the gRPC address
  await drivers.register(`${advertisedHost(config.HttpHost)}:${grpcPort}`).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  if (config.Auth.Tokens.length === 0) {
    logger.warn({ host: config.HttpHost }, 'no Auth.Tokens configured: anyone who reaches the HTTP or gRPC port can start and stop transactions (docs/security.md)');
  }
  logger.info({ httpPort, grpcPort, host: config.HttpHost, tls: config.Tls.CertFile !== '', store: config.Store.Driver, dataDir: config.Store.DataDir, partitions: config.Store.Partitions, ...(cluster ? { internal: cluster.address } : {}) }, 'dtx listening');
  return { engine, httpPort, grpcPort, stop };
}

/** A driver's URL split as a schema rule: its error text, or undefined when the URL fits. */
function problemOf(parse: (url: string) => unknown): (url: string) => string | undefined {
  return (url) => {
    try {
      parse(url);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
}

function advertisedHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** PEM files of `Tls.*`, read once at start (a missing file stops the start naming it). */
function httpTlsOf(config: ResolvedConfig): HttpTls | undefined {
  const t = config.Tls;
  if (t.CertFile === '') return undefined;
  return {
    cert: readFileSync(t.CertFile),
    key: readFileSync(t.KeyFile),
    ...(t.ClientCaFile !== '' ? { ca: readFileSync(t.ClientCaFile) } : {}),
    requireClientCert: t.ClientCaFile !== '',
  };
}
