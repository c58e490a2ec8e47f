import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readTopicToEnd } from './kafka-topic-reader.js';
import { Kafka, logLevel } from 'kafkajs';
import type { BranchServer } from './branch-server.js';
import { startDtx, type DtxProcess } from './dtx-process.js';
import { gidOf, waitFor } from './dtm-client.js';
import { partitionOf } from '../../src/log/gid-partitioner.js';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_BROKER_LIST } from './kafka-broker.js';

/** A fresh topic prefix: every test gets its own topics and consumer groups. */
export function freshPrefix(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}

export interface WorkerOptions {
  readonly prefix: string;
  readonly partitions: number;
  /** seconds without heartbeat before the group moves the worker's partitions */
  readonly sessionTimeout?: number;
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
}

/** Starts a real dtx worker process on the test broker (Store.Driver kafka). */
export function startWorker(o: WorkerOptions): Promise<DtxProcess> {
  return startDtx({
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    env: {
      STORE_DRIVER: 'kafka',
      STORE_KAFKA_BROKERS: TEST_KAFKA_BROKERS,
      STORE_KAFKA_PREFIX: o.prefix,
      STORE_PARTITIONS: String(o.partitions),
      STORE_KAFKA_SESSION_TIMEOUT: String(o.sessionTimeout ?? 6),
      INTERNAL_GRPC_PORT: '0',
      ...o.env,
    },
  });
}

/**
 * Stops the workers a test started (undefined: never started, e.g. a failed beforeAll), each
 * continued first in case a test froze it with SIGSTOP (a stopped process ignores SIGTERM). With
 * DTX_TEST_WORKER_LOGS=<dir>, each worker's log lines are kept there (`<data dir name>.log`), to
 * read after a failure.
 */
export async function stopWorkers(...workers: Array<DtxProcess | undefined>): Promise<void> {
  const keep = process.env.DTX_TEST_WORKER_LOGS;
  await Promise.all(
    workers.map(async (w) => {
      if (w === undefined) return;
      if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGCONT');
      await w.kill();
      if (keep !== undefined && keep !== '') {
        mkdirSync(keep, { recursive: true });
        writeFileSync(path.join(keep, `${path.basename(w.dataDir)}.log`), `${w.logs.join('\n')}\n`);
      }
    }),
  );
}

/**
 * A Kafka test's teardown: stops its workers and its branch server, then runs each of `after` in
 * order (a broker reset, an unmount) even when a step before it failed, so that nothing is left
 * behind; rethrows the first failure.
 */
export async function tearDown(workers: Array<DtxProcess | undefined>, bs: BranchServer | undefined, ...after: Array<() => unknown>): Promise<void> {
  const failures: unknown[] = [];
  const attempt = async (step: () => unknown) => {
    try {
      await step();
    } catch (err) {
      failures.push(err);
    }
  };
  await attempt(() => stopWorkers(...workers));
  await attempt(() => bs?.close());
  for (const step of after) await attempt(step);
  if (failures.length > 0) throw failures[0];
}

/** Partitions a worker reports as owned (`dtx_partition_owned` on /api/metrics). */
export async function ownedBy(w: DtxProcess): Promise<number[]> {
  const text = await (await fetch(`http://127.0.0.1:${w.port}/api/metrics`)).text();
  return [...text.matchAll(/^dtx_partition_owned\{partition="(\d+)"\} 1$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

/** A worker's `dtx_kafka_commands_total` by route (its metrics must be readable without a token). */
export async function routesOf(w: DtxProcess): Promise<{ local: number; direct: number; topic: number }> {
  const text = await (await fetch(`http://127.0.0.1:${w.port}/api/metrics`)).text();
  const count = (route: string) => Number(new RegExp(`^dtx_kafka_commands_total\\{route="${route}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { local: count('local'), direct: count('direct'), topic: count('topic') };
}

/** A worker's `dtx_kafka_replica_store_failing` and `dtx_kafka_replica_store_failures_total`. */
export async function replicaStoreOf(w: DtxProcess): Promise<{ failing: number; failures: number }> {
  const text = await (await fetch(`http://127.0.0.1:${w.port}/api/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { failing: value('dtx_kafka_replica_store_failing'), failures: value('dtx_kafka_replica_store_failures_total') };
}

/** A fresh gid (`gidOf(name)`) whose partition, of `partitions`, is one of `owned`. */
export function gidInPartitions(owned: readonly number[], name: string, partitions: number): string {
  for (;;) {
    const gid = gidOf(name);
    if (owned.includes(partitionOf(gid, partitions))) return gid;
  }
}

/** True when `owned` (per worker) covers every partition exactly once. */
function coversOnce(owned: readonly number[][], partitions: number): boolean {
  const all = owned.flat();
  return all.length === partitions && new Set(all).size === partitions;
}

/** Waits until `workers` own every partition exactly once between them; returns who owns what. */
export async function waitOwnership(workers: readonly DtxProcess[], partitions: number, timeoutMs = 60_000): Promise<number[][]> {
  return waitFor(() => Promise.all(workers.map(ownedBy)), (owned) => coversOnce(owned, partitions), timeoutMs, `${workers.length} worker(s) to own all ${partitions} partitions exactly once`);
}

/**
 * Waits until the group has rebalanced onto all of `workers`: together they own every partition
 * exactly once and each owns at least one. A worker that just joined has its assignment before the
 * others have applied theirs, so `waitOwnership` alone may still see the old owners' metrics.
 */
export async function waitSpread(workers: readonly DtxProcess[], partitions: number, timeoutMs = 60_000): Promise<number[][]> {
  return waitFor(
    () => Promise.all(workers.map(ownedBy)),
    (owned) => coversOnce(owned, partitions) && owned.every((o) => o.length > 0),
    timeoutMs,
    `each of ${workers.length} workers to own a partition, all ${partitions} exactly once`,
  );
}

/** A worker's "partition taken over" log line. */
export interface Takeover {
  readonly partition: number;
  readonly transactions: number;
  readonly events: number;
  readonly folded: number;
}

/**
 * The takeovers a worker has logged, once it logged at least `min` of them. The log lines come
 * through the worker's stderr pipe and may reach the test after the metrics that report the
 * ownership they lead to: wait for them instead of reading them at once.
 */
export async function takeoversOf(w: DtxProcess, min = 0, timeoutMs = 20_000): Promise<Takeover[]> {
  const read = (): Takeover[] => w.logs.filter((l) => l.includes('"partition taken over"')).map((l) => JSON.parse(l) as Takeover);
  return waitFor(() => Promise.resolve(read()), (t) => t.length >= min, timeoutMs, `${min} "partition taken over" log line(s)`);
}

export interface TopicRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string | null;
  readonly timestamp: number;
  readonly headers: Record<string, string>;
}

/** Every committed record of a topic (read_committed), read by a throwaway consumer up to the current end. */
export async function readTopic(topic: string): Promise<TopicRecord[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers: TEST_KAFKA_BROKER_LIST, logLevel: logLevel.NOTHING });
  const out: TopicRecord[] = [];
  await readTopicToEnd(kafka, topic, (partition, message) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    out.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? '', value: message.value?.toString() ?? null, timestamp: Number(message.timestamp), headers });
  }, 60_000);
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
