/**
 * Rebuild primitives of the Kafka benchmark (orchestrated by bench/kafka-rebuild.ts).
 * `countTopic` reads the events topic with the bench's own kafkajs consumer: N (events), the last
 * event of each partition, and the raw read rate as a reference. `measureRebuild` starts one worker
 * on the prefix (every other worker stopped) and times, from its spawn:
 *   copy      until `/api/dtx/history` (a replica read) shows the last event of every partition;
 *   owned     until its last "partition taken over" log line (every partition owned);
 *   takeover  from its first "partition assignment" line to that last line;
 * plus the open transactions/events those lines report, and what `/api/dtmsvr/all` lists after.
 */
import { readTopicToEnd } from '../test/support/kafka-topic-reader.js';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaWorkers, type ClusterOptions, type KafkaWorker } from './kafka-cluster.js';

export interface TopicCount {
  readonly events: number;
  /** projection rows without an event (null value) */
  readonly summaryOnly: number;
  readonly gids: number;
  readonly bytes: number;
  /** last event of each partition */
  readonly last: Map<number, { gid: string; seq: number }>;
  readonly ms: number;
}

/** Reads a topic to its current end (read_committed) and counts what it holds. */
export async function countTopic(brokers: string, topic: string): Promise<TopicCount> {
  const kafka = new Kafka({ clientId: 'dtx-bench-count', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const t0 = performance.now();
  const lastValue = new Map<number, Buffer>();
  const gids = new Set<string>();
  let events = 0;
  let summaryOnly = 0;
  let bytes = 0;
  await readTopicToEnd(kafka, topic, (p, m) => {
    if (m.key !== null) gids.add(m.key.toString());
    if (m.value === null) summaryOnly += 1;
    else {
      events += 1;
      bytes += m.value.length;
      lastValue.set(p, m.value);
    }
  });
  const ms = performance.now() - t0;
  const last = new Map([...lastValue].map(([p, v]) => [p, JSON.parse(v.toString('utf8')) as { gid: string; seq: number }]));
  return { events, summaryOnly, gids: gids.size, bytes, last, ms };
}

export interface RebuildResult {
  readonly count: TopicCount;
  /** ms from spawn until the replica held the last event of every partition */
  readonly copyMs: number;
  /** ms from "kafka event log opened" (replica consumer started) until then */
  readonly copyFromOpenMs: number | undefined;
  /** ms from spawn until every partition was taken over */
  readonly ownedMs: number;
  /** ms from the worker's first "partition assignment" until every partition was taken over */
  readonly takeoverMs: number;
  /** open transactions restored, the events they stand for, the events folded through the machines (the rest came from snapshots) */
  readonly folded: { transactions: number; events: number; folded: number; maxMs: number };
  /** transactions `/api/dtmsvr/all` listed afterwards, and how long paging through them took */
  readonly listed: number;
  readonly listMs: number;
}

/**
 * One rebuild: a worker on `o.prefix` (others stopped), on `dataDir` (kept) or a new empty temp dir.
 * The caller stops the returned cluster.
 */
export async function measureRebuild(o: ClusterOptions, count: TopicCount, dataDir?: string): Promise<{ result: RebuildResult; cluster: KafkaWorkers; worker: KafkaWorker }> {
  const cluster = new KafkaWorkers(o);
  const t0 = Date.now();
  try {
    const worker = await cluster.add(dataDir);
    const origin = worker.dtx.origin;
    const copy = (async (): Promise<number> => {
      const pending = new Map(count.last);
      while (pending.size > 0) {
        if (Date.now() - t0 > 600_000) throw new Error(`replica did not copy partitions ${[...pending.keys()].join(',')} within 600 s`);
        await Promise.all([...pending].map(async ([p, { gid, seq }]) => {
          if (await hasEvent(origin, gid, seq)) pending.delete(p);
        }));
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 50));
      }
      return Date.now();
    })();
    const [copiedAt, ownedAt] = await Promise.all([copy, cluster.waitCovered(600_000, 0)]);
    const takeovers = worker.takeovers;
    const folded = {
      transactions: takeovers.reduce((a, t) => a + t.transactions, 0),
      events: takeovers.reduce((a, t) => a + t.events, 0),
      folded: takeovers.reduce((a, t) => a + t.folded, 0),
      maxMs: Math.max(0, ...takeovers.map((t) => t.ms)),
    };
    const l0 = Date.now();
    const listed = await countListed(origin);
    const result = {
      count,
      copyMs: copiedAt - t0,
      copyFromOpenMs: worker.logOpenedAt === undefined ? undefined : copiedAt - worker.logOpenedAt,
      ownedMs: ownedAt - t0,
      takeoverMs: ownedAt - (worker.assignments[0] ?? t0),
      folded,
      listed,
      listMs: Date.now() - l0,
    };
    return { result, cluster, worker };
  } catch (err) {
    await cluster.stopAll();
    throw err;
  }
}

async function hasEvent(origin: string, gid: string, seq: number): Promise<boolean> {
  try {
    const res = await fetch(`${origin}/api/dtx/history?gid=${encodeURIComponent(gid)}`, { signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) return false;
    const h = (await res.json()) as { events?: Array<{ seq: number }> };
    return (h.events ?? []).some((e) => e.seq >= seq);
  } catch {
    return false;
  }
}

/** Pages through `/api/dtmsvr/all` (10 000 a page) and counts the transactions listed. */
async function countListed(origin: string): Promise<number> {
  let n = 0;
  let position = '';
  for (let page = 0; page < 10_000; page++) {
    const res = await fetch(`${origin}/api/dtmsvr/all?limit=10000&position=${encodeURIComponent(position)}`, { signal: AbortSignal.timeout(60_000) });
    const j = (await res.json()) as { transactions?: unknown[]; next_position?: string };
    n += j.transactions?.length ?? 0;
    if (!j.next_position || (j.transactions?.length ?? 0) === 0) break;
    position = j.next_position;
  }
  return n;
}
