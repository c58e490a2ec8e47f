import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { LogUnavailable } from '../../errors.js';
import type { LogRecord, TransSummary } from '../event-log.js';
import { SqliteReplicaLog } from '../sqlite/sqlite-replica-log.js';
import { decodeEventMessage } from './event-message.js';
import { kafkaBackLine, kafkaTroubleLine } from './kafka-log-lines.js';
import { withKafkaRetry } from './kafka-retry.js';
import { topicsOf, type KafkaSettings } from './kafka-settings.js';
import { ReplicaStoreGuard, type ReplicaStoreHealth } from './replica-store-guard.js';
import { decodeSnapshotMessage } from './snapshot-codec.js';
import { SnapshotTable } from './snapshot-table.js';

interface Waiter {
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** Which topic a position or wait is about. */
export type ReplicaTopic = 'events' | 'snapshots';

/**
 * The replica's fetches wait for this many bytes or this long, whichever comes first. A fetch
 * answered at the first byte came back after every Kafka transaction of the worker, to copy what
 * `copyOwn` had copied already. Waiting gathers the other workers' commits into fewer fetches:
 * one worker ran 20-50% more sagas/s at concurrency 10 (docs/benchmarks.md, "The replica's fetch
 * wait"); other workers' writes reach this replica up to that much later.
 */
const FETCH_WAIT_MS = 50;
const FETCH_MIN_BYTES = 1 << 20;

/**
 * This worker's local projection of the events topic (DESIGN §4 "listings read a projection"): a
 * read_committed consumer copies every partition into a SQLite event log (events + summaries), so
 * `read`, `query` of finished transactions, `all` and the audit history are local reads. Positions
 * are stored in the same SQLite transaction as the rows, so a restart resumes exactly where it
 * stopped. This worker's own commits are copied as they commit (`copyOwn`), other workers' may
 * lag by up to FETCH_WAIT_MS; `waitFor` gives read-your-writes.
 * The same consumer reads the compacted snapshots topic from its start into `snapshots`.
 */
export class EventReplica {
  readonly snapshots = new SnapshotTable();
  readonly #positions = new Map<string, number>();
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #topic: string;
  readonly #snapshotTopic: string;
  /**
   * Per partition this worker writes: the offset after its last commit, or the end the replica had
   * copied when the worker claimed the partition. Fencing keeps other writers out of the partition
   * from there on, so once the position reached it, the next own commit can be copied directly.
   */
  readonly #ownEnd = new Map<number, number>();
  #consumer: Consumer | undefined;
  #failed: Error | undefined;
  readonly #store: ReplicaStoreGuard;
  /** Called after partition `p`'s position advanced. */
  onProgress: (p: number, position: number) => void = () => undefined;

  constructor(
    readonly log: SqliteReplicaLog,
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly logger: Logger,
  ) {
    this.#store = new ReplicaStoreGuard(logger, (failure) => this.#rejectWaiters(failure));
    this.#topic = topicsOf(settings.prefix).events;
    this.#snapshotTopic = topicsOf(settings.prefix).snapshots;
    for (let p = 0; p < settings.partitions; p += 1) this.#positions.set(`events/${p}`, Number(log.getMeta(this.#key(p)) ?? '0'));
  }

  /** `sharedReaders`: other connections may read the file while it is open (the audit's workers). */
  static open(kafka: Kafka, settings: KafkaSettings, dir: string, logger: Logger, sharedReaders = false): EventReplica {
    const log = SqliteReplicaLog.open({ dir, fileName: 'replica.db', syncCommit: false, logger, writer: 'inline', sharedReaders });
    return new EventReplica(log, kafka, settings, logger.child({ component: 'log.kafka.replica' }));
  }

  /** Whether the replica's file stores what the consumer copies (the metrics read it on scrape). */
  get storeHealth(): ReplicaStoreHealth {
    return this.#store.health;
  }

  position(p: number, topic: ReplicaTopic = 'events'): number {
    return this.#positions.get(`${topic}/${p}`) ?? 0;
  }

  /** Starts copying from the stored positions (a fresh replica starts at the beginning). */
  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `${this.settings.prefix}.replica.${randomUUID()}`,
      readUncommitted: false,
      maxWaitTimeInMs: FETCH_WAIT_MS,
      minBytes: FETCH_MIN_BYTES,
      // A fresh replica copies the whole topic: large fetches make large SQLite transactions
      // (measured: 1.7x the copy rate of kafkajs's 1 MiB default).
      maxBytesPerPartition: 16 * 2 ** 20,
      maxBytes: 64 * 2 ** 20,
      sessionTimeout: Math.max(this.settings.sessionTimeoutMs, 6000),
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // batches of only control records or aborted data never reach eachBatch: move past them too
      // (not past an events batch given up while stores fail: it is read again)
      const topic = this.#which(payload.topic);
      if (topic === 'snapshots' || this.#store.failure === undefined) this.#advance(topic, payload.partition, Number(payload.lastOffset) + 1);
    });
    // The group has no committed offsets: every join (the first, a rejoin after a rebalance, a
    // restart after a crash) would start at the beginning and fetch the whole topic again.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.#failed !== undefined) kafkaBackLine(this.logger, 'replica consumer joined its group again after a crash');
      this.#failed = undefined;
      for (let p = 0; p < this.settings.partitions; p += 1) {
        const pos = this.position(p);
        if (pos > 0) consumer.seek({ topic: this.#topic, partition: p, offset: String(pos) });
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#failed = payload.error;
      kafkaTroubleLine(this.logger, { err: payload.error, restart: payload.restart }, 'replica consumer crashed');
    });
    // connect and subscribe change nothing on the broker: retried while it answers retriably
    const retry = { logger: this.logger };
    await withKafkaRetry('replica consumer connect', () => consumer.connect(), retry);
    await withKafkaRetry('replica consumer subscribe', () => consumer.subscribe({ topics: [this.#topic, this.#snapshotTopic], fromBeginning: true }), retry);
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: (b) => this.#copy(b) });
  }

  /**
   * Resolves once partition `p` of `topic` has been read up to (excluding) `offset`; rejects at
   * once with the reason while the replica cannot store what it reads (a full disk).
   */
  waitFor(p: number, offset: number, topic: ReplicaTopic = 'events', timeoutMs = 60_000): Promise<void> {
    if (this.position(p, topic) >= offset) return Promise.resolve();
    if (topic === 'events' && this.#store.failure !== undefined) return Promise.reject(this.#store.failure);
    const key = `${topic}/${p}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new LogUnavailable(`replica of ${topic}[${p}] stuck at ${this.position(p, topic)} < ${offset} after ${timeoutMs} ms${this.#failed ? `: ${this.#failed.message}` : ''}`));
      }, timeoutMs);
      const list = this.#waiters.get(key) ?? [];
      list.push({ offset, resolve: () => { clearTimeout(timer); resolve(); }, reject: (err) => { clearTimeout(timer); reject(err); } });
      this.#waiters.set(key, list);
    });
  }

  /** Partition `p` was claimed: everything committed to it below `end` has been copied. */
  ownFrom(p: number, end: number): void {
    this.#ownEnd.set(p, end);
  }

  /** Partition `p` is no longer written by this worker, or its last commit is in doubt. */
  forgetOwn(p: number): void {
    this.#ownEnd.delete(p);
  }

  /**
   * This worker's transaction on partition `p` committed `records` and `summaries` at offsets
   * [base, next): they are copied now, with the position `next`, when the replica holds everything
   * committed before `base` and nothing from `base` on (its position reached the end of this
   * worker's previous commit, only aborted records and transaction markers lie between, and it is
   * not past `base`). Otherwise the consumer copies them as it copies any record. Either way the
   * partition's next own commit is checked against `next`. True when copied now.
   */
  copyOwn(p: number, base: number, next: number, records: readonly LogRecord[], summaries: readonly TransSummary[]): boolean {
    const end = this.#ownEnd.get(p);
    if (end === undefined) return false;
    this.#ownEnd.set(p, Math.max(end, next)); // a late answer of an earlier ownership never lowers it
    const position = this.position(p);
    if (position < end || position > base) return false;
    try {
      this.log.appendWithMeta(records, summaries, { [this.#key(p)]: String(next) });
    } catch (err) {
      // the commit stands: the consumer copies it, and the next commits wait until it has
      this.#store.failed(err, p, true);
      return false;
    }
    this.#store.stored();
    this.#advance('events', p, next);
    return true;
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'replica consumer disconnect failed'));
    this.#consumer = undefined;
    await this.log.close();
  }

  async #copy({ batch, heartbeat, isRunning }: EachBatchPayload): Promise<void> {
    const p = batch.partition;
    if (batch.topic === this.#snapshotTopic) {
      for (const m of batch.messages) {
        const s = decodeSnapshotMessage(m);
        if (s !== undefined) this.snapshots.apply(p, s);
      }
      if (batch.messages.length > 0) this.#advance('snapshots', p, Number(batch.messages.at(-1)!.offset) + 1);
      return;
    }
    const from = this.position(p);
    const messages = batch.messages.filter((m) => Number(m.offset) >= from);
    if (messages.length === 0) return;
    const records: LogRecord[] = [];
    const summaries: TransSummary[] = [];
    for (const m of messages) {
      const decoded = decodeEventMessage(m);
      if (decoded.record !== undefined) records.push(decoded.record);
      if (decoded.summary !== undefined) summaries.push(decoded.summary);
    }
    const next = Number(messages.at(-1)!.offset) + 1;
    if (!(await this.#store.retrying(p, () => this.log.appendWithMeta(records, summaries, { [this.#key(p)]: String(next) }), { heartbeat, isRunning }))) return;
    this.#advance('events', p, next);
  }

  /** Every read waiting for the events' copy is answered with the reason now (later ones too, until a store succeeds). */
  #rejectWaiters(failure: Error): void {
    for (const [key, list] of this.#waiters) {
      if (!key.startsWith('events/')) continue;
      this.#waiters.delete(key);
      for (const w of list) w.reject(failure);
    }
  }

  #which(topic: string): ReplicaTopic {
    return topic === this.#snapshotTopic ? 'snapshots' : 'events';
  }

  #advance(topic: ReplicaTopic, p: number, position: number): void {
    if (position <= this.position(p, topic)) return;
    const key = `${topic}/${p}`;
    this.#positions.set(key, position);
    const list = this.#waiters.get(key);
    if (list !== undefined) {
      const keep = list.filter((w) => w.offset > position);
      for (const w of list) if (w.offset <= position) w.resolve();
      this.#waiters.set(key, keep);
    }
    if (topic === 'events') this.onProgress(p, position);
  }

  #key(p: number): string {
    return `kafka.position.${this.#topic}.${p}`;
  }
}
