import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { LogUnavailable } from '../../errors.js';
import { SqliteEventLog } from '../sqlite/sqlite-event-log.js';
import { decodeEventMessage } from './event-message.js';
import { topicsOf, type KafkaSettings } from './kafka-settings.js';

interface Waiter {
  readonly offset: number;
  readonly resolve: () => void;
}

/**
 * This worker's local projection of the events topic (DESIGN §4 "listings read a projection"): a
 * read_committed consumer copies every partition into a SQLite event log (events + summaries), so
 * `read`, `query` of finished transactions, `all` and the audit history are local reads. Positions
 * are stored in the same SQLite transaction as the rows, so a restart resumes exactly where it
 * stopped. The copy may lag the owners by milliseconds; `waitFor` gives read-your-writes.
 */
export class EventReplica {
  readonly #positions = new Map<number, number>();
  readonly #waiters = new Map<number, Waiter[]>();
  readonly #topic: string;
  #consumer: Consumer | undefined;
  #failed: Error | undefined;
  /** Called after partition `p`'s position advanced. */
  onProgress: (p: number, position: number) => void = () => undefined;

  constructor(
    readonly log: SqliteEventLog,
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly logger: Logger,
  ) {
    this.#topic = topicsOf(settings.prefix).events;
    for (let p = 0; p < settings.partitions; p += 1) this.#positions.set(p, Number(log.getMeta(this.#key(p)) ?? '0'));
  }

  static open(kafka: Kafka, settings: KafkaSettings, dir: string, logger: Logger): EventReplica {
    const log = SqliteEventLog.open({ dir, fileName: 'replica.db', syncCommit: false, logger, writer: 'inline' });
    return new EventReplica(log, kafka, settings, logger.child({ component: 'log.kafka.replica' }));
  }

  position(p: number): number {
    return this.#positions.get(p) ?? 0;
  }

  /** Starts copying from the stored positions (a fresh replica starts at the beginning). */
  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `${this.settings.prefix}.replica.${randomUUID()}`,
      readUncommitted: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: Math.max(this.settings.sessionTimeoutMs, 6000),
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // batches of only control records or aborted data never reach eachBatch: move past them too
      if (payload.topic === this.#topic) this.#advance(payload.partition, Number(payload.lastOffset) + 1);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#failed = payload.error;
      this.logger.error({ err: payload.error, restart: payload.restart }, 'replica consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.#topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: (b) => this.#copy(b) });
    for (const [p, pos] of this.#positions) if (pos > 0) consumer.seek({ topic: this.#topic, partition: p, offset: String(pos) });
  }

  /** Resolves once partition `p` has been copied up to (excluding) `offset`. */
  waitFor(p: number, offset: number, timeoutMs = 30_000): Promise<void> {
    if (this.position(p) >= offset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new LogUnavailable(`replica of ${this.#topic}[${p}] stuck at ${this.position(p)} < ${offset} after ${timeoutMs} ms${this.#failed ? `: ${this.#failed.message}` : ''}`));
      }, timeoutMs);
      const list = this.#waiters.get(p) ?? [];
      list.push({ offset, resolve: () => { clearTimeout(timer); resolve(); } });
      this.#waiters.set(p, list);
    });
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'replica consumer disconnect failed'));
    this.#consumer = undefined;
    await this.log.close();
  }

  async #copy({ batch }: EachBatchPayload): Promise<void> {
    const p = batch.partition;
    const from = this.position(p);
    const messages = batch.messages.filter((m) => Number(m.offset) >= from);
    if (messages.length === 0) return;
    const records = [];
    const summaries = [];
    for (const m of messages) {
      const decoded = decodeEventMessage(m);
      if (decoded.record !== undefined) records.push(decoded.record);
      if (decoded.summary !== undefined) summaries.push(decoded.summary);
    }
    const next = Number(messages.at(-1)!.offset) + 1;
    this.log.appendWithMeta(records, summaries, { [this.#key(p)]: String(next) });
    this.#advance(p, next);
  }

  #advance(p: number, position: number): void {
    if (position <= this.position(p)) return;
    this.#positions.set(p, position);
    const list = this.#waiters.get(p);
    if (list !== undefined) {
      const keep = list.filter((w) => w.offset > position);
      for (const w of list) if (w.offset <= position) w.resolve();
      this.#waiters.set(p, keep);
    }
    this.onProgress(p, position);
  }

  #key(p: number): string {
    return `kafka.position.${this.#topic}.${p}`;
  }
}
