import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type RecordMetadata, type Transaction } from 'kafkajs';
import type { Logger } from 'pino';
import { LogUnavailable, NotOwner } from '../../errors.js';
import { chunksByBytes } from './message-chunks.js';
import { isFenced, isRetriableKafkaError, withKafkaRetry } from './kafka-retry.js';
import { topicsOf, transactionalIdOf, workerGroupOf, type KafkaSettings } from './kafka-settings.js';

/**
 * Attempts of one transaction whose body failed in a retriable way, and the longest backoff
 * between two: about 10 s in all, long enough for a leader or coordinator to move or load.
 */
const MAX_ATTEMPTS = 10;
const MAX_BACKOFF_MS = 2000;

interface Writer {
  readonly producer: Producer;
  /** batches of one partition commit in order */
  chain: Promise<unknown>;
  lost: boolean;
}

/**
 * One transactional producer per owned partition (`<prefix>-p<n>`, DESIGN §2). `claim` initialises
 * its producer id, which bumps the epoch and fences the previous owner: that owner's open
 * transaction is aborted and its next write fails with NotOwner. Each `write` is one Kafka
 * transaction holding the batch's events and, when given, the consumed command offset.
 */
export class PartitionWriters {
  readonly #writers = new Map<number, Writer>();
  readonly #topics;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly logger: Logger,
  ) {
    this.#topics = topicsOf(settings.prefix);
  }

  owns(p: number): boolean {
    const w = this.#writers.get(p);
    return w !== undefined && !w.lost;
  }

  /**
   * Fences partition `p`'s previous writer and makes this worker its writer. Retried while the
   * broker answers retriably (coordinator loading or moving, the previous owner's transaction still
   * being aborted); a fenced attempt (another worker claimed `p` meanwhile) is not retried.
   */
  async claim(p: number): Promise<void> {
    await this.release(p);
    const producer = await withKafkaRetry(`claim of partition ${p}`, () => this.#fence(p), { logger: this.logger });
    this.#writers.set(p, { producer, chain: Promise.resolve(), lost: false });
  }

  async #fence(p: number): Promise<Producer> {
    const producer = this.kafka.producer({
      transactionalId: transactionalIdOf(this.settings.prefix, p),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 30_000,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // idempotence needs unbounded retries of a send (kafkajs's maxRetryTime caps each backoff).
      // A short first backoff: CONCURRENT_TRANSACTIONS (the previous commit completing) clears in ms.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 10 },
    });
    try {
      await producer.connect();
      // kafkajs initialises the producer id (InitProducerId: the fencing step) on the first transaction.
      const txn = await producer.transaction();
      await txn.abort();
      return producer;
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async release(p: number): Promise<void> {
    const w = this.#writers.get(p);
    if (w === undefined) return;
    this.#writers.delete(p);
    w.lost = true;
    await w.chain.catch(() => undefined);
    await w.producer.disconnect().catch((err: unknown) => this.logger.warn({ err, partition: p }, 'producer disconnect failed'));
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.#writers.keys()].map((p) => this.release(p)));
  }

  /**
   * Writes `messages` to partition `p` of the events topic and commits `consumed` for the
   * commands topic, in one transaction. Resolves with the records' metadata once committed.
   */
  write(p: number, messages: Message[], consumed: string | undefined): Promise<RecordMetadata[]> {
    return this.#enqueue(p, async (txn) => {
      // `dtx-writer` names the worker in every record: the audit trail says who wrote what.
      const stamped = messages.map((m) => ({ ...m, partition: p, headers: { ...m.headers, 'dtx-writer': this.settings.clientId } }));
      const meta: RecordMetadata[] = [];
      // in chunks: the broker checks a partition's record batch against max.message.bytes as a whole
      for (const chunk of chunksByBytes(stamped)) meta.push(...(await txn.send({ topic: this.#topics.events, messages: chunk, acks: -1 })));
      if (consumed !== undefined) {
        await txn.sendOffsets({ consumerGroupId: workerGroupOf(this.settings.prefix), topics: [{ topic: this.#topics.commands, partitions: [{ partition: p, offset: consumed }] }] });
      }
      return meta;
    });
  }

  /** Writes one partition snapshot (states, tombstones, marker last) in one transaction, gzipped, in chunks. */
  writeSnapshot(p: number, messages: Message[]): Promise<void> {
    return this.#enqueue(p, async (txn) => {
      for (const chunk of chunksByBytes(messages.map((m) => ({ ...m, partition: p })))) {
        await txn.send({ topic: this.#topics.snapshots, messages: chunk, acks: -1, compression: CompressionTypes.GZIP });
      }
    });
  }

  /** Runs `body` in a transaction of `p`'s producer after the partition's earlier writes. */
  #enqueue<T>(p: number, body: (txn: Transaction) => Promise<T>): Promise<T> {
    const w = this.#writers.get(p);
    if (w === undefined || w.lost) return Promise.reject(new NotOwner(`partition ${p} is not owned by this worker`));
    const run = w.chain.catch(() => undefined).then(() => this.#transact(p, w, body));
    w.chain = run;
    return run;
  }

  /**
   * One Kafka transaction. A failure before the commit aborts it (nothing visible) and is retried
   * when the broker says so (e.g. CONCURRENT_TRANSACTIONS while the previous commit completes).
   * A failed commit leaves the transaction in doubt: the partition is given up (NotOwner, not
   * fenced) so that its owner re-takes it from the log instead of guessing.
   */
  async #transact<T>(p: number, w: Writer, body: (txn: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      if (w.lost) throw new NotOwner(`partition ${p} is not owned by this worker`);
      const txn = await w.producer.transaction();
      let out: T;
      try {
        out = await body(txn);
      } catch (err) {
        if (isFenced(err)) {
          w.lost = true;
          throw new NotOwner(`partition ${p} was taken over by another worker (fenced)`, { cause: err });
        }
        try {
          await txn.abort();
        } catch (abortErr) {
          w.lost = true;
          this.logger.warn({ err: abortErr, partition: p }, 'transaction abort failed; giving the partition up');
          throw new NotOwner(`partition ${p}: transaction could not be aborted (${String(abortErr)})`, { cause: err, fenced: isFenced(abortErr) });
        }
        if (attempt < MAX_ATTEMPTS && isRetriableKafkaError(err)) {
          const delay = Math.min(MAX_BACKOFF_MS, 20 * 2 ** (attempt - 1));
          this.logger[attempt < 3 ? 'debug' : 'warn']({ err, partition: p, attempt, delayMs: delay }, 'transaction failed before its commit (aborted); retrying');
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        throw new LogUnavailable(`kafka write to partition ${p} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      try {
        await txn.commit();
        return out;
      } catch (err) {
        w.lost = true;
        const fenced = isFenced(err);
        this.logger.warn({ err, partition: p, fenced }, 'transaction commit failed; giving the partition up');
        throw new NotOwner(`partition ${p}: commit ${fenced ? 'fenced by another worker' : 'in doubt'} (${err instanceof Error ? err.message : String(err)})`, { cause: err, fenced });
      }
    }
  }
}
