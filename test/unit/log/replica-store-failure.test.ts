import { Writable } from 'node:stream';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { EventReplica } from '../../../src/log/kafka/event-replica.js';
import { encodeBatchMessages } from '../../../src/log/kafka/event-message.js';
import { REPLICA_FAILURE_LOG_MS } from '../../../src/log/kafka/replica-store-guard.js';
import { SqliteReplicaLog } from '../../../src/log/sqlite/sqlite-replica-log.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * EventReplica's consumer side on a real SQLite replica and a scripted kafkajs consumer (no
 * broker; test/kafka/replica-disk-full.test.ts runs the same on a real broker and a full tmpfs):
 * a batch its file cannot store is held and tried again in place, never thrown to kafkajs; reads
 * waiting for the copy get the reason at once; and every join of the group seeks to the stored
 * positions (the group commits no offsets: a join would otherwise fetch the topic from its start).
 */
const settings = { brokers: ['127.0.0.1:1'], prefix: 'full', partitions: 2, sessionTimeoutMs: 6000, clientId: 'w1' };
const replicas: EventReplica[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const r of replicas.splice(0)) await r.stop();
});

type Handler = (e: { payload: Record<string, unknown> }) => void;

/** A kafkajs consumer that records seeks and hands the test its handlers. */
function scriptedConsumer() {
  const on = new Map<string, Handler>();
  const seeks: Array<[number, string]> = [];
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const consumer = {
    events: { END_BATCH_PROCESS: 'end', GROUP_JOIN: 'join', CRASH: 'crash' },
    on: (name: string, fn: Handler) => void on.set(name, fn),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (o: { eachBatch: typeof eachBatch }) => void (eachBatch = o.eachBatch),
    seek: (s: { partition: number; offset: string }) => void seeks.push([s.partition, s.offset]),
    disconnect: async () => undefined,
  };
  return { kafka: { consumer: () => consumer } as unknown as Kafka, on, seeks, batch: (p: EachBatchPayload) => eachBatch!(p) };
}

function openReplica(positions: Record<number, number> = {}) {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string }), done()) });
  const log = SqliteReplicaLog.open({ dir: tempDir('dtx-replica-full-'), fileName: 'replica.db', syncCommit: false, writer: 'inline' });
  const meta = Object.fromEntries(Object.entries(positions).map(([p, pos]) => [`kafka.position.full.events.${p}`, String(pos)]));
  if (Object.keys(meta).length > 0) log.appendWithMeta([], [], meta);
  const c = scriptedConsumer();
  const replica = new EventReplica(log, c.kafka, settings, pino({ level: 'info' }, sink));
  replicas.push(replica);
  return { replica, lines, ...c };
}

/** Partition `p`'s batch of one saga's events at offsets from..from+n-1, as the consumer delivers it. */
function batchOf(p: number, from: number, gid: string, n: number, running = () => true): EachBatchPayload {
  const records = Array.from({ length: n }, (_, i): LogRecord => ({ v: 1, gid, seq: i + 1, type: i === 0 ? 'TransCreated' : 'TransSubmitted', at: i, data: {}, cmd: `${gid}-${i}` }));
  const summary: TransSummary = { gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: n, nextCronTime: undefined, finished: false, view: '{}' };
  const messages = encodeBatchMessages(records, [summary]).messages.map((m, i) => ({ ...m, value: m.value === null ? null : Buffer.from(m.value as string), offset: String(from + i) }) as unknown as KafkaMessage);
  return { batch: { topic: 'full.events', partition: p, messages }, heartbeat: async () => undefined, isRunning: running } as unknown as EachBatchPayload;
}

const FULL = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('EventReplica: a store that fails', () => {
  it('holds the batch and tries again; waiting reads get the reason at once; the position moves only once stored', async () => {
    vi.useFakeTimers();
    const { replica, lines, on, batch } = openReplica();
    await replica.start();
    const waiting = replica.waitFor(0, 3);
    const store = vi.spyOn(replica.log, 'appendWithMeta').mockImplementationOnce(() => { throw FULL; }).mockImplementationOnce(() => { throw FULL; });
    const copied = batch(batchOf(0, 0, 'g1', 3));
    await expect(waiting).rejects.toThrow(/replica of the events topic .* cannot store what it reads: database or disk is full/);
    await expect(replica.waitFor(0, 3)).rejects.toMatchObject({ code: 'DTX_LOG_UNAVAILABLE' });
    // kafkajs's end of some other batch meanwhile (control records) moves nothing while stores fail
    on.get('end')!({ payload: { topic: 'full.events', partition: 0, lastOffset: '2' } });
    expect(replica.position(0)).toBe(0);
    await vi.advanceTimersByTimeAsync(1000); // the second attempt, after 1 s: fails too
    expect(store).toHaveBeenCalledTimes(2);
    expect(replica.storeHealth).toEqual({ failing: true, failures: 2 });
    await vi.advanceTimersByTimeAsync(2000); // the third, after 2 s more: stored
    await copied;
    expect(store).toHaveBeenCalledTimes(3);
    expect(replica.position(0)).toBe(3);
    expect(replica.storeHealth).toEqual({ failing: false, failures: 2 });
    expect((await replica.log.read('g1')).map((r) => r.seq)).toEqual([1, 2, 3]);
    await expect(replica.waitFor(0, 3)).resolves.toBeUndefined();
    // two failures inside one window: one error line, then the recovery
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual(['storing copied records failed; the consumer tries again (they stay in Kafka)']);
    expect(lines.at(-1)!.msg).toBe('the replica stores again');
  });

  it('lets one error line through per window, saying how many it held back', async () => {
    vi.useFakeTimers();
    const { replica, lines, batch } = openReplica();
    await replica.start();
    const store = vi.spyOn(replica.log, 'appendWithMeta').mockImplementation(() => { throw FULL; });
    const copied = batch(batchOf(1, 0, 'g2', 2));
    await vi.advanceTimersByTimeAsync(REPLICA_FAILURE_LOG_MS + 8000); // attempts at 0, 1, 3, 7, 15 s: 5 in all
    store.mockRestore();
    await vi.advanceTimersByTimeAsync(10_000);
    await copied;
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([
      'storing copied records failed; the consumer tries again (they stay in Kafka)',
      'storing copied records failed; the consumer tries again (they stay in Kafka) (3 more like it since the last line)',
    ]);
    expect(replica.position(1)).toBe(2);
  });

  it('gives the batch up when the consumer stops: nothing stored, the position where it was', async () => {
    vi.useFakeTimers();
    const { replica, batch } = openReplica();
    await replica.start();
    vi.spyOn(replica.log, 'appendWithMeta').mockImplementation(() => { throw FULL; });
    let running = true;
    const copied = batch(batchOf(0, 0, 'g3', 2, () => running));
    await vi.advanceTimersByTimeAsync(500);
    running = false;
    await vi.advanceTimersByTimeAsync(1000);
    await expect(copied).resolves.toBeUndefined();
    expect(replica.position(0)).toBe(0);
  });
});

describe('EventReplica: every join of its group', () => {
  it('seeks each partition to its stored position, at the first join and at every rejoin', async () => {
    const { replica, on, seeks } = openReplica({ 0: 42, 1: 0 });
    await replica.start();
    on.get('join')!({ payload: {} });
    expect(seeks).toEqual([[0, '42']]); // partition 1 has nothing stored: the group's start, offset 0
    on.get('join')!({ payload: {} }); // a rejoin or a restart after a crash: no committed offsets to resume from
    expect(seeks).toEqual([[0, '42'], [0, '42']]);
  });
});
