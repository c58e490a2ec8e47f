/**
 * Grows an events topic for the rebuild measurement (bench/kafka-rebuild-timing.ts): the load runs
 * of a 2-core bench write only a few thousand events, too few to time a rebuild. This copies the
 * real event sequences already in the topic (finished and open transactions alike) under new gids
 * `<gid>~f<k>` until the topic holds at least `target` events. Each copy is the same records and
 * projection header with the gid replaced, keyed by the new gid, so Kafka's default partitioner
 * puts it in the partition dtx routes that gid to. Written with an idempotent (not transactional)
 * producer: read_committed readers see the records.
 */
import { readTopicToEnd } from '../test/support/kafka-topic-reader.js';
import { Kafka, logLevel, Partitioners, type IHeaders, type Message } from 'kafkajs';

interface Source {
  readonly gid: string;
  readonly records: Array<{ value: string | null; headers: Record<string, string> }>;
}

export interface FillResult {
  readonly addedEvents: number;
  readonly addedGids: number;
  readonly copies: number;
  readonly ms: number;
}

const CHUNK = 4000;

export async function fillTopic(brokers: string, topic: string, have: number, target: number): Promise<FillResult> {
  const t0 = performance.now();
  if (have >= target) return { addedEvents: 0, addedGids: 0, copies: 0, ms: 0 };
  const kafka = new Kafka({ clientId: 'dtx-bench-fill', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const sources = await readByGid(kafka, topic);
  const perCopy = sources.reduce((a, s) => a + s.records.filter((r) => r.value !== null).length, 0);
  if (perCopy === 0) throw new Error(`${topic} holds no event to copy`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  let added = 0;
  let gids = 0;
  let copies = 0;
  let buffer: Message[] = [];
  const flush = async (): Promise<void> => {
    if (buffer.length > 0) await producer.send({ topic, messages: buffer, acks: -1 });
    buffer = [];
  };
  try {
    for (let k = 1; have + added < target; k++) {
      copies = k;
      for (const s of sources) {
        const gid = `${s.gid}~f${k}`;
        for (const r of s.records) {
          const headers: IHeaders = {};
          for (const [name, v] of Object.entries(r.headers)) headers[name] = v.split(s.gid).join(gid);
          buffer.push({ key: gid, value: r.value === null ? null : r.value.split(s.gid).join(gid), headers });
          if (r.value !== null) added += 1;
        }
        gids += 1;
        if (buffer.length >= CHUNK) await flush();
        if (have + added >= target) break;
      }
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  return { addedEvents: added, addedGids: gids, copies, ms: performance.now() - t0 };
}

/** Every committed record of the topic, grouped by key (gid) in offset order. */
async function readByGid(kafka: Kafka, topic: string): Promise<Source[]> {
  const byGid = new Map<string, Source>();
  await readTopicToEnd(kafka, topic, (_p, m) => {
    const gid = m.key?.toString();
    if (gid === undefined || gid.includes('~f')) return; // copy only originals
    const headers: Record<string, string> = {};
    for (const [name, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[name] = String(v);
    let s = byGid.get(gid);
    if (s === undefined) byGid.set(gid, (s = { gid, records: [] }));
    s.records.push({ value: m.value === null ? null : m.value.toString('utf8'), headers });
  });
  return [...byGid.values()];
}
