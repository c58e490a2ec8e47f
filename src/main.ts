import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { TransTypeRegistry } from '../machines/index.js';
import type { ResolvedConfig } from './config/index.js';
import { Engine } from './engine/engine.js';
import { buildRegistry } from './extensions/trans-type-loader.js';
import { engineSettingsOf } from './engine/engine-settings.js';
import { systemClock } from './engine/timer-wheel.js';
import { createHttpApp, listen } from './ingress/http/http-server.js';
import { HttpInvoker } from './invoker/http-invoker.js';
import type { EventLog } from './log/event-log.js';
import { SqliteEventLog } from './log/sqlite/sqlite-event-log.js';
import { Metrics } from './observability/metrics.js';
import { metricsObserver, ownershipMetrics } from './observability/metrics-observer.js';
import { KafkaCluster } from './cluster/kafka-cluster.js';
import { transactionHistory } from './audit/transaction-history.js';
import { startDrivers } from './drivers/driver-runtime.js';

export const DTX_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface RunningDtx {
  readonly engine: Engine;
  readonly httpPort: number;
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
  const invoker = new HttpInvoker({ logger: logger.child({ component: 'invoker.http' }) });
  // the gauge is collected on scrape, after `engine` exists
  const metrics: Metrics = new Metrics((): number => engine.liveCount());
  const engine: Engine = new Engine({
    log, registry, invoker, clock: systemClock, logger, settings: engineSettingsOf(config), observer: metricsObserver(metrics),
    ...(cluster
      ? { ownership: 'assigned' as const, bus: cluster.bus, onPartitionLost: (p: number, fenced: boolean) => cluster.lost(p, fenced), onCommitted: cluster.snapshots.committed.bind(cluster.snapshots) }
      : {}),
  });
  const recovery = await engine.start();
  metrics.recoverySeconds.set(recovery.ms / 1000);
  await cluster?.join(engine, registry, ownershipMetrics(metrics));
  const app = createHttpApp({
    engine,
    logger,
    version: `v${DTX_VERSION}-dtx`,
    timeoutToFail: config.TimeoutToFail,
    maxBodyBytes: config.HttpMaxBodyBytes,
    metrics,
    history: (gid) => transactionHistory(log, registry, gid),
    isSupported: (t) => registry.get(t) !== undefined,
  });
  const server: Server = await listen(app, config.HttpHost, config.HttpPort);
  const address = server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : config.HttpPort;
  logger.info({ httpPort, host: config.HttpHost, store: config.Store.Driver, dataDir: config.Store.DataDir, partitions: config.Store.Partitions, ...(cluster ? { internal: cluster.address } : {}) }, 'dtx listening');
  const stop = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // keep-alive clients that keep sending would hold close() open: cut them after a grace period
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
    await drivers.close(); // withdraw dtx from the registry first: clients stop picking it
    if (cluster !== undefined) await cluster.stop();
    await engine.stop();
    await invoker.close();
    if (cluster === undefined) await log.close();
  };
  // dtm registers after its listeners start (spec §11). dtx has no gRPC ingress yet, so this runs
  // once HTTP listens, with MicroService.EndPoint; the gRPC ingress will pass its bound address.
  try {
    await drivers.register();
  } catch (err) {
    await stop();
    throw err;
  }
  return { engine, httpPort, stop };
}
