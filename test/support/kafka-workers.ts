import { randomUUID } from 'node:crypto';
import { readTopicToEnd } from '../../scripts/kafka-topic-reader.js';
import { Kafka, logLevel } from 'kafkajs';
import { startDtx, type DtxProcess } from './dtx-process.js';
import { waitFor } from './dtm-client.js';
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

/** Partitions a worker reports as owned (`dtx_partition_owned` on /api/metrics). */
export async function ownedBy(w: DtxProcess): Promise<number[]> {
  const text = await (await fetch(`http://127.0.0.1:${w.port}/api/metrics`)).text();
  return [...text.matchAll(/^dtx_partition_owned\{partition="(\d+)"\} 1$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

/** Waits until `workers` own every partition exactly once between them; returns who owns what. */
export async function waitOwnership(workers: readonly DtxProcess[], partitions: number, timeoutMs = 60_000): Promise<number[][]> {
  return waitFor(
    () => Promise.all(workers.map(ownedBy)),
    (owned) => {
      const all = owned.flat();
      return all.length === partitions && new Set(all).size === partitions;
    },
    timeoutMs,
    `${workers.length} worker(s) to own all ${partitions} partitions exactly once`,
  );
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
