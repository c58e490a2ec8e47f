/**
 * The scale-out EventLog adapter (DESIGN §4, Store.Driver kafka).
 *
 * - Writes: per partition, through that partition's fenced transactional producer
 *   (`PartitionWriters`); one Kafka transaction holds a batch's events and the consumed command
 *   offset. A write from a worker that lost the partition rejects with NotOwner, nothing visible.
 * - Reads: from this worker's replica of the events topic (`EventReplica`). The worker's own
 *   writes are visible at once: `read` merges those the replica has not copied yet, the listings
 *   wait until the replica has them.
 * - Contracts beyond the port: `claim(p)` must precede writes to `p` (the engine's takeover does
 *   it); `scanOpen` after `claim` sees everything any owner ever committed to the partition.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Internal, LogUnavailable } from '../../errors.js';
import { partitionOf, sharesOf, strayGid } from '../gid-partitioner.js';
import type { EventLog, KvPage, KvRow, ListFilter, ListPage, LogRecord, StoredState, StoredTail, TransSummary } from '../event-log.js';
import { isReservedGid, topicKey, TOPICS_CAT } from '../kv-records.js';
import type { EventReplica } from './event-replica.js';
import { encodeBatchMessages } from './event-message.js';
import type { RefusalSignal } from './broker-refusal.js';
import { openKafkaLogParts, type KafkaEventLogOptions } from './kafka-log-parts.js';
import type { KafkaSettings } from './kafka-settings.js';
import { PartitionEnds } from './partition-ends.js';
import type { PartitionWriters } from './partition-writers.js';
import { OwnWrites } from './own-writes.js';
import { encodeMarker, encodeSnapshot, encodeTombstone, type SnapshotRecord } from './snapshot-codec.js';

/** How long a strong KV read waits for the replica before answering LogUnavailable (retryable). */
const KEY_READ_TIMEOUT_MS = 10_000;

export class KafkaEventLog implements EventLog {
  readonly name = 'kafka';
  readonly #own = new OwnWrites();
  /** per partition, the events-topic offset of the last event this worker knows of (snapshot markers) */
  readonly #lastEvent = new Map<number, number>();
  readonly #ends: PartitionEnds;
  #closed = false;

  private constructor(
    readonly kafka: Kafka,
    /** one connected admin client for the log's life (end offsets at every claim, group checks) */
    readonly admin: Admin,
    readonly settings: KafkaSettings,
    readonly replica: EventReplica,
    private readonly writers: PartitionWriters,
    private readonly logger: Logger,
    private readonly refusal: RefusalSignal,
  ) {
    replica.onProgress = (p, position) => this.#own.prune(p, position);
    this.#ends = new PartitionEnds(admin, settings.prefix, logger, () => this.#closed);
  }

  /** Opens the log (kafka-log-parts.ts): topics, group ACL check, replica, writers. */
  static async open(opts: KafkaEventLogOptions): Promise<KafkaEventLog> {
    const logger = opts.logger.child({ component: 'log.kafka' });
    const parts = await openKafkaLogParts(opts, logger);
    logger.info({ brokers: parts.settings.brokers, prefix: parts.settings.prefix, partitions: parts.settings.partitions }, 'kafka event log opened');
    return new KafkaEventLog(parts.kafka, parts.admin, parts.settings, parts.replica, parts.writers, logger, parts.refusal);
  }

  /** EventLog.failure: the brokers refused an operation the worker cannot do without (an ACL). */
  get failure(): Promise<Error> {
    return this.refusal.failure;
  }

  /** Reports an ACL refusal seen by a caller (the worker's group, a claim): the log fails, dtx stops. */
  refused(err: Error): void {
    this.refusal.report(err);
  }

  /**
   * Becomes partition `p`'s writer (fencing the previous one) and waits until the replica holds
   * everything committed to `p` before that: afterwards `scanOpen` and `read` are complete for `p`.
   */
  async claim(p: number): Promise<void> {
    this.replica.forgetOwn(p);
    await this.writers.claim(p);
    const [events, snapshots] = await this.#ends.both();
    this.#lastEvent.set(p, (events.get(p) ?? 0) - 1);
    await Promise.all([this.replica.waitFor(p, events.get(p) ?? 0, 'events'), this.replica.waitFor(p, snapshots.get(p) ?? 0, 'snapshots')]);
    this.replica.ownFrom(p, events.get(p) ?? 0);
  }

  /** Waits until the replica holds everything committed to the events topic so far (audit). */
  async catchUp(): Promise<void> {
    const events = await this.#ends.events();
    await Promise.all([...events].map(([p, end]) => this.replica.waitFor(p, end, 'events', 600_000)));
  }

  /**
   * Writes partition `p`'s snapshot through its fenced producer: the machine snapshots of the
   * transactions changed since the previous one, tombstones for those finished, then the marker.
   */
  async writeSnapshot(p: number, states: readonly SnapshotRecord[], finished: readonly string[], live: number, at: number): Promise<void> {
    this.#ensureOpen();
    const marker = { v: 1 as const, partition: p, eventsOffset: this.#lastEvent.get(p) ?? -1, at, live };
    await this.writers.writeSnapshot(p, [...states.map(encodeSnapshot), ...finished.map(encodeTombstone), encodeMarker(marker)]);
  }

  async release(p: number): Promise<void> {
    this.replica.forgetOwn(p);
    await this.writers.release(p);
  }

  owns(p: number): boolean {
    return this.writers.owns(p);
  }

  /**
   * The port's append: each partition's share through its fenced writer, no consumed offset. Every
   * share is checked before any is written, so a batch the log refuses writes nothing.
   */
  async append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    const shares = sharesOf(records, summaries, this.settings.partitions);
    this.#ensureOpen();
    for (const [p, s] of shares) this.#own.assertFresh(p, s.records, (gid) => this.replica.log.maxSeq(gid));
    await Promise.all([...shares].map(([p, s]) => this.#write(p, s.records, s.summaries, undefined)));
  }

  /**
   * Partition `p`'s batch in one Kafka transaction on its fenced producer, with `consumed` (the
   * next offset of the partition's command stream) committed in it when given (read-process-write).
   */
  async appendPartition(p: number, records: readonly LogRecord[], summaries: readonly TransSummary[], consumed?: string): Promise<void> {
    this.#ensureOpen();
    const stray = strayGid(p, [...records, ...summaries], this.settings.partitions);
    if (stray !== undefined) throw new Internal(`append for partition ${p} holds gid ${stray} of partition ${partitionOf(stray, this.settings.partitions)}`);
    this.#own.assertFresh(p, records, (gid) => this.replica.log.maxSeq(gid));
    await this.#write(p, records, summaries, consumed);
  }

  async #write(p: number, records: readonly LogRecord[], summaries: readonly TransSummary[], consumed: string | undefined): Promise<void> {
    const { messages, summaries: sent } = encodeBatchMessages(records, summaries);
    // A batch without events (queries, rejections, duplicates) writes nothing: the next commit covers its consumed
    // offset (offsets only grow); a rebalance meanwhile re-delivers its commands, which change nothing decided again.
    if (messages.length === 0) return;
    let meta;
    try {
      meta = await this.writers.write(p, messages, consumed);
    } catch (err) {
      this.replica.forgetOwn(p); // not written, or in doubt: the consumer copies whatever committed
      throw err;
    }
    const base = Number(meta[0]?.baseOffset ?? '-1');
    const last = base + messages.length - 1;
    this.#lastEvent.set(p, last);
    // copied now, or kept for `read` until the consumer copies it
    if (!this.replica.copyOwn(p, base, last + 1, records, sent)) this.#own.add(p, last, records);
    // a topic change is acknowledged once other workers' strong reads of the topic see it (queryKV)
    if (records.some((r) => isReservedGid(r.gid))) await this.#ends.stablePast(p, last);
  }

  async read(gid: string): Promise<LogRecord[]> {
    this.#ensureOpen();
    return this.#own.merge(gid, await this.replica.log.read(gid));
  }

  /** The replica's stored state (from the summary headers) and the events after it, with this worker's writes it has not copied yet. */
  async readTail(gid: string): Promise<StoredTail> {
    this.#ensureOpen();
    return this.#own.mergeTail(gid, await this.replica.log.readTail(gid));
  }

  async *scanOpen(accept?: (gid: string) => boolean): AsyncIterable<{ gid: string } & StoredTail> {
    await this.#caughtUp();
    yield* this.replica.log.scanOpen(accept);
  }

  /** What the audit checks: finished transactions are loaded from these states (readTail). */
  async *scanStates(): AsyncIterable<{ gid: string; state: StoredState }> {
    await this.#caughtUp();
    yield* this.replica.log.scanStates();
  }

  async *scanAll(since: number): AsyncIterable<{ gid: string; records: LogRecord[]; summary: TransSummary }> {
    await this.#caughtUp();
    yield* this.replica.log.scanAll(since);
  }

  countAll(since: number): Promise<number> {
    return this.#caughtUp().then(() => this.replica.log.countAll(since));
  }

  getSummary(gid: string): Promise<TransSummary | undefined> {
    return this.#caughtUp().then(() => this.replica.log.getSummary(gid));
  }

  list(filter: ListFilter): Promise<ListPage> {
    return this.#caughtUp().then(() => this.replica.log.list(filter));
  }

  listScheduledAfter(after: number, limit: number): Promise<TransSummary[]> {
    return this.#caughtUp().then(() => this.replica.log.listScheduledAfter(after, limit));
  }

  /** A listing: read-your-writes like `list` (it may lag other workers' writes by milliseconds). */
  scanKV(cat: string, position: string, limit: number): Promise<KvPage> {
    return this.#caughtUp().then(() => this.replica.log.scanKV(cat, position, limit));
  }

  /**
   * One topic (`cat` topics, a key) is read like `query` by gid: strongly, after the replica caught
   * up with everything committed to the key's partition when the call began, so a subscription
   * acknowledged by any worker is seen (msg fan-out relies on it). Other reads are listings.
   */
  async queryKV(cat: string, key: string): Promise<KvRow[]> {
    await this.#caughtUp();
    if (cat === TOPICS_CAT && key !== '') {
      const p = partitionOf(topicKey(key), this.settings.partitions);
      const events = await this.#ends.events();
      await this.replica.waitFor(p, events.get(p) ?? 0, 'events', KEY_READ_TIMEOUT_MS);
    }
    return this.replica.log.queryKV(cat, key);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.writers.releaseAll();
    await this.replica.stop();
    await this.admin.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'admin disconnect failed'));
    this.logger.info('kafka event log closed');
  }

  /** Read-your-writes for the listings: the replica holds every write of this worker. */
  async #caughtUp(): Promise<void> {
    this.#ensureOpen();
    await Promise.all(this.#own.frontier().map(([p, offset]) => this.replica.waitFor(p, offset + 1)));
  }

  #ensureOpen(): void {
    if (this.#closed) throw new LogUnavailable('kafka event log is closed');
  }
}
