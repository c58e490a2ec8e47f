import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { TransSpec, TransTypeRegistry } from '../machines/index.js';
import type { ResolvedConfig } from './config/index.js';
import { Engine } from './engine/engine.js';
import { buildRegistry } from './extensions/trans-type-loader.js';
import { engineSettingsOf } from './engine/engine-settings.js';
import { systemClock } from './engine/clock.js';
import { createHttpApp, listen } from './ingress/http/http-server.js';
import { httpCloser } from './ingress/http/http-closer.js';
import { buildInvoker } from './invoker/build-invoker.js';
import type { EventLog } from './log/event-log.js';
import { SqliteEventLog } from './log/sqlite/sqlite-event-log.js';
import { finishedTimeIndex } from './log/sqlite/finished-prune.js';
import { walFileBytes } from './log/sqlite/sqlite-database.js';
import { FinishedPruner } from './log/sqlite/finished-pruner.js';
import { Metrics } from './observability/metrics.js';
import { metricsObserver, ownershipMetrics } from './observability/metrics-observer.js';
import type { KafkaCluster } from './cluster/kafka-cluster.js';
import { HISTORY_MAX_EVENTS, transactionHistory } from './audit/transaction-history.js';
import { OutboundPolicy } from './invoker/outbound-policy.js';
import { checkOutbound, checkUrlOutbound } from './invoker/outbound-check.js';
import { createTransParser } from './ingress/schema/trans-input-schema.js';
import { TlsSettings } from './tls/tls-settings.js';
import { startGrpcIngress } from './ingress/grpc/grpc-server.js';
import { ReadBudget } from './ingress/read-budget.js';
import { startDrivers } from './drivers/driver-runtime.js';
import { ListenError } from './ingress/listen-error.js';
import { DTX_VERSION } from './dtx-version.js';
import { applyHeapPolicy } from './heap-policy.js';
import { settleWithin } from './engine/settle-within.js';

export { DTX_VERSION } from './dtx-version.js';
const GRPC_JS_VERSION: string = (createRequire(import.meta.url)('@grpc/grpc-js/package.json') as { version: string }).version;

export interface RunningDtx {
  readonly engine: Engine;
  readonly httpPort: number;
  /** The bound port of the gRPC ingress (`GrpcPort`; 0 there = a port the OS chose). */
  readonly grpcPort: number;
  /**
   * Graceful stop (SIGTERM/SIGINT): withdraws from the registry, stops accepting connections and
   * calls, lets transactions in flight go on for up to `graceMs` (wait_result clients get their
   * result, or 503 `DTX_SHUTTING_DOWN` when the pass did not settle), finishes appends in progress,
   * answers what is still open and closes the log.
   */
  stop(graceMs?: number): Promise<void>;
  /** Reads the TLS settings' files again (`Tls`, `Invoker.GrpcTls`, `InternalTls`) for new connections (SIGHUP); undefined without any, false when one cannot be used. */
  reloadTls(): boolean | undefined;
  /** Resolves once the event log can never be used again in this process (EventLog.failure). */
  readonly failure: Promise<Error>;
}

/** Default grace of a stop for transactions in flight (the CLI gives up after 10 s in all). */
export const STOP_GRACE_MS = 5000;

/** Only the composition root chooses adapters (DESIGN §8): log, invoker, ingress. */
async function openBackend(config: ResolvedConfig, logger: Logger, tls: TlsSettings): Promise<{ log: EventLog; cluster?: KafkaCluster; pruner?: FinishedPruner }> {
  switch (config.Store.Driver) {
    case 'sqlite': {
      const log = SqliteEventLog.open({ dir: config.Store.DataDir, syncCommit: config.Store.SyncCommit, logger, writer: 'background' });
      const after = config.Store.PruneFinishedAfter;
      // made at start, not in the first round (it reads the whole table once); dropped without pruning: each finish costs it an entry
      log.writeWhenIdle((db) => finishedTimeIndex(db, after > 0));
      return { log, ...(after > 0 ? { pruner: new FinishedPruner(log, after * 1000, logger.child({ component: 'prune' })) } : {}) };
    }
    case 'kafka': {
      // loaded only in Kafka mode: kafkajs and the cluster code cost the embedded mode ~10 MiB of RSS
      const { KafkaCluster } = await import('./cluster/kafka-cluster.js');
      const cluster = await KafkaCluster.open(config, logger, tls.internal);
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
  applyHeapPolicy();
  const registry = types ?? (await buildRegistry(config, logger));
  // the PEM files of Tls, Invoker.GrpcTls and InternalTls, read and checked before anything opens (ConfigError)
  const tls = TlsSettings.of(config, logger);
  const served = tls.served;
  // before the log opens: an unknown MicroService.Driver (ConfigError) must stop dtx at once
  const drivers = await startDrivers(config, logger);
  const { log, cluster, pruner } = await openBackend(config, logger, tls);
  const ownPorts: number[] = [config.HttpPort, config.GrpcPort, config.InternalGrpcPort].filter((p) => p > 0);
  const policy = new OutboundPolicy({ allow: config.Invoker.Allow, ownPorts: () => ownPorts });
  const invoker = buildInvoker(config, logger, policy, drivers.parseServerMethod, tls.branches?.channelCredentials());
  const urlRules = { grpcUrlProblem: problemOf(drivers.parseServerMethod), forwardCredentials: config.Invoker.ForwardCredentials };
  const parser = createTransParser(urlRules);
  const readBudget = new ReadBudget(config.HttpMaxBodyBytesInFlight);
  // the gauge is collected on scrape, after `engine` exists
  const metrics: Metrics = new Metrics({
    liveCount: (): number => engine.liveCount(),
    openBytes: (): number => engine.openPayloadBytes(),
    readBudget,
    kafka: cluster !== undefined,
    ...(cluster ? { replicaStore: () => cluster.log.replica.storeHealth } : {}),
    ...(tls.any ? { tlsExpiry: () => tls.expiries() } : {}),
    ...(log instanceof SqliteEventLog ? { walBytes: () => walFileBytes(log.file) } : {}),
    pruning: pruner !== undefined,
    info: { version: `v${DTX_VERSION}-dtx`, grpcVersion: GRPC_JS_VERSION },
  });
  // branch calls (those re-driven by recovery included) start once the ingress listens: a client
  // called back (a workflow's resume callback) must be able to reach dtx
  let listening: () => void = () => undefined;
  const actAfter = new Promise<void>((resolve) => (listening = resolve));
  const engineSettings = engineSettingsOf(config, cluster?.settings.partitions);
  const engine: Engine = new Engine({
    log, registry, invoker, clock: systemClock, logger, settings: engineSettings, observer: metricsObserver(metrics), actAfter,
    ...(cluster
      ? { ownership: 'assigned' as const, bus: cluster.bus, appender: cluster.appender, onPartitionLost: (p: number, fenced: boolean) => cluster.lost(p, fenced), onCommitted: cluster.snapshots.committed.bind(cluster.snapshots) }
      : {}),
  });
  const recovery = await engine.start();
  metrics.recoverySeconds.set(recovery.ms / 1000);
  pruner?.observe((done) => metrics.prunedTransactions.inc(done.transactions));
  await cluster?.join(engine, registry, ownershipMetrics(metrics));
  const transCalls = {
    engine, parser, isSupported: (t: string) => registry.get(t) !== undefined, checkOutbound: (spec: TransSpec) => checkOutbound(spec, policy, drivers.parseServerMethod),
    // topics (docs/topics.md): KV reads from the log's projection, subscriber URLs checked like branch URLs
    kv: log, urlRules, checkUrl: (field: string, url: string) => checkUrlOutbound(field, url, policy, drivers.parseServerMethod),
  };
  const app = createHttpApp({
    ...transCalls,
    logger,
    version: `v${DTX_VERSION}-dtx`,
    timeoutToFail: config.TimeoutToFail,
    maxBodyBytes: config.HttpMaxBodyBytes,
    readBudget,
    adminBasePath: config.AdminBasePath,
    metrics,
    history: (gid) => transactionHistory(log, registry, gid, HISTORY_MAX_EVENTS),
    tokens: config.Auth.Tokens,
    publicMetrics: config.Auth.PublicMetrics,
    browserHosts: { allowedHosts: config.HttpAllowedHosts, ownNames: [hostname(), config.HttpHost] },
  });
  /** Everything behind the ingress, in order: the engine gets `graceMs`, then `ingressClosed` is awaited. */
  const closeCore = async (graceMs: number, ingressClosed?: () => Promise<unknown>) => {
    tls.close();
    if (cluster !== undefined) await cluster.stop();
    await engine.stop(graceMs);
    await ingressClosed?.();
    await settleWithin(invoker.close(), 1000);
    await pruner?.close();
    if (cluster === undefined) await log.close();
  };
  const server: Server = await listen(app, config.HttpHost, config.HttpPort, tls.httpTls()).catch(async (err: unknown) => {
    await closeCore(0); // nothing open behind a failed start: the data dir lock included
    throw ListenError.of('HTTP', config.HttpHost, config.HttpPort, err);
  });
  served?.follow(server as HttpsServer);
  const address = server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : config.HttpPort;
  ownPorts.push(httpPort);
  const http = httpCloser(server);
  const grpc = await startGrpcIngress(
    { ...transCalls, logger, metrics, maxMessageBytes: config.HttpMaxBodyBytes, readBudget, maxConcurrentStreams: config.GrpcMaxConcurrentStreams, messageTimeoutMs: config.GrpcMessageTimeout * 1000, tokens: config.Auth.Tokens, ...(served ? { credentials: served.serverCredentials() } : {}) },
    config.HttpHost,
    config.GrpcPort,
  ).catch(async (err: unknown) => {
    await http.close();
    await closeCore(0);
    throw ListenError.of('gRPC', config.HttpHost, config.GrpcPort, err);
  });
  const grpcPort = grpc.port;
  ownPorts.push(grpcPort);
  listening();
  const stop = async (graceMs = STOP_GRACE_MS): Promise<void> => {
    await drivers.close(); // withdraw dtx from the registry first: clients stop picking it
    // no new connections or gRPC calls; requests in flight (wait_result) go on until the engine answers them
    http.stopAccepting();
    const grpcStopped = grpc.stop(graceMs + 2000);
    await closeCore(graceMs, () => Promise.all([http.close(), grpcStopped]));
  };
  // dtm registers once its listeners run (spec §11); MicroService.EndPoint, else the gRPC address
  await drivers.register(`${advertisedHost(config.HttpHost)}:${grpcPort}`).catch(async (err: unknown) => {
    // the registration's error is the answer (a bad MicroService.Target exits 2); one from the stop must not hide it
    await stop(0).catch((stopErr: unknown) => logger.error({ err: stopErr }, 'stop after the failed registration failed'));
    throw err;
  });
  if (config.HttpHost === '0.0.0.0' || config.HttpHost === '::') {
    logger.warn({ host: config.HttpHost }, `listening on all interfaces (${config.HttpHost}): every host that can reach this machine can call dtx; use --host 127.0.0.1 (HTTP_HOST) to stay local`);
  }
  if (config.Auth.Tokens.length === 0) {
    logger.warn({ host: config.HttpHost }, 'no Auth.Tokens configured: anyone who reaches the HTTP or gRPC port can start and stop transactions (docs/security.md)');
  }
  logger.info({ httpPort, grpcPort, host: config.HttpHost, tls: config.Tls.CertFile !== '', store: config.Store.Driver, dataDir: config.Store.DataDir, partitions: engineSettings.partitions, ...(cluster ? { internal: cluster.address } : {}) }, 'dtx listening');
  return { engine, httpPort, grpcPort, stop, reloadTls: () => tls.reload(), failure: log.failure ?? new Promise<Error>(() => undefined) };
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
