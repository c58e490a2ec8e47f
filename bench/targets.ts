/**
 * What one run of bench/main.ts loads: a single dtx on the embedded SQLite log, or a cluster of
 * dtx workers (Store.Driver kafka) on a fresh topic prefix of the bench broker. Submits are spread
 * round-robin over `origins`; CPU and RSS are read from `procs`.
 */
import { startDtx, type DtxUnderTest } from '../scripts/dtx-server-process.js';
import { KafkaWorkers, ownershipNote } from './kafka-cluster.js';

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
}

export interface BenchTarget {
  /** HTTP origins of the live dtx processes (the array shrinks when one is killed) */
  readonly origins: string[];
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
    const dtx = await startDtx({ syncCommit: o.syncCommit, nodeArgs: o.nodeArgs });
    return { origins: [dtx.origin], procs: [dtx], notes: [], finalNotes: () => Promise.resolve([]), stop: () => dtx.stop() };
  }
  if (o.brokers === undefined) throw new Error('store kafka needs a broker');
  const cluster = new KafkaWorkers({ brokers: o.brokers, prefix: o.prefix, partitions: o.partitions, sessionTimeout: o.sessionTimeout, syncCommit: o.syncCommit, nodeArgs: o.nodeArgs });
  const t0 = Date.now();
  try {
    await Promise.all(Array.from({ length: o.workers }, () => cluster.add()));
    const coveredAt = await cluster.waitCovered(OWNERSHIP_TIMEOUT_MS);
    const notes = [`prefix ${o.prefix}`, `all ${o.partitions} partitions owned ${((coveredAt - t0) / 1000).toFixed(1)} s after the ${o.workers} worker(s) were spawned`, await ownershipNote(cluster)];
    return {
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
