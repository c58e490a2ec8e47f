/**
 * What one run of bench/main.ts loads: a single dtx on the embedded SQLite log, or a cluster of
 * dtx workers (Store.Driver kafka) on a fresh topic prefix of the bench broker, or the peer
 * (bench/peer-target.ts). Submits are spread round-robin over `origins`; CPU and RSS are read from
 * `watched`, stderr problems and exits from `procs` (dtx only).
 */
import { startDtx, type DtxUnderTest } from '../scripts/dtx-server-process.js';
import { KafkaWorkers, ownershipNote } from './kafka-cluster.js';
import type { WatchedProcess } from './process-stats.js';

export interface TargetOptions {
  readonly store: 'sqlite' | 'kafka';
  readonly syncCommit: boolean;
  readonly nodeArgs: string[];
  /** kafka only */
  readonly brokers?: string;
  readonly workers: number;
  readonly partitions: number;
  readonly sessionTimeout: number;
  readonly prefix: string;
  /** LOG_LEVEL of an embedded-log dtx (Kafka workers stay at info: the bench reads their logs) */
  readonly dtxLogLevel: 'info' | 'warn';
}

export interface BenchTarget {
  /** `dtx`, or the peer's name (`dtm-redis`, `peer`) */
  readonly system: string;
  /** the system's own processes (dtx, or e.g. dtm and redis-server): CPU and RSS reported */
  readonly watched: readonly WatchedProcess[];
  /** false once a watched process is gone */
  alive(): boolean;
  /** HTTP origins of the live dtx processes (the array shrinks when one is killed) */
  readonly origins: string[];
  /** host:port of dtx's gRPC ingress (embedded log only), for --ingress grpc */
  readonly grpcTargets?: readonly string[];
  readonly procs: readonly DtxUnderTest[];
  /** the Kafka workers, when store = kafka */
  readonly cluster?: KafkaWorkers;
  /** facts about the start (ownership, time to ready) for the run notes */
  readonly notes: string[];
  /** notes gathered just before stopping (ownership cross-check) */
  finalNotes(): Promise<string[]>;
  stop(): Promise<void>;
}

const OWNERSHIP_TIMEOUT_MS = 120_000;

export async function startTarget(o: TargetOptions): Promise<BenchTarget> {
  if (o.store === 'sqlite') {
    const dtx = await startDtx({ syncCommit: o.syncCommit, nodeArgs: o.nodeArgs, env: { LOG_LEVEL: o.dtxLogLevel } });
    return {
      system: 'dtx', watched: [{ name: 'dtx', pid: dtx.pid }], alive: () => dtx.exitInfo === undefined,
      origins: [dtx.origin], grpcTargets: [dtx.grpcAddress], procs: [dtx], notes: [], finalNotes: () => Promise.resolve([]), stop: () => dtx.stop(),
    };
  }
  if (o.brokers === undefined) throw new Error('store kafka needs a broker');
  const cluster = new KafkaWorkers({ brokers: o.brokers, prefix: o.prefix, partitions: o.partitions, sessionTimeout: o.sessionTimeout, syncCommit: o.syncCommit, nodeArgs: o.nodeArgs });
  const t0 = Date.now();
  try {
    await Promise.all(Array.from({ length: o.workers }, () => cluster.add()));
    const coveredAt = await cluster.waitCovered(OWNERSHIP_TIMEOUT_MS);
    const notes = [`prefix ${o.prefix}`, `all ${o.partitions} partitions owned ${((coveredAt - t0) / 1000).toFixed(1)} s after the ${o.workers} worker(s) were spawned`, await ownershipNote(cluster)];
    return {
      system: 'dtx',
      watched: cluster.workers.map((w, i) => ({ name: `dtx worker ${i}`, pid: w.dtx.pid })),
      alive: () => cluster.workers.every((w) => w.dtx.exitInfo === undefined),
      origins: cluster.origins(),
      procs: cluster.workers.map((w) => w.dtx),
      cluster,
      notes,
      finalNotes: async () => [`at the end, ${await ownershipNote(cluster)}`],
      stop: () => cluster.stopAll(),
    };
  } catch (err) {
    await cluster.stopAll();
    throw err;
  }
}
