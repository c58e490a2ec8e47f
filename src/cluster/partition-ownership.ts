import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { TransTypeRegistry } from '../../machines/index.js';
import type { Engine } from '../engine/engine.js';
import type { KafkaEventLog } from '../log/kafka/kafka-event-log.js';
import { withKafkaRetry } from '../log/kafka/kafka-retry.js';
import { kafkaBackLine, kafkaTroubleLine } from '../log/kafka/kafka-log-lines.js';
import { topicsOf, workerGroupOf, type KafkaSettings } from '../log/kafka/kafka-settings.js';
import { kafkaAuthorizationFailure, NotOwner } from '../errors.js';
import { decodeCommandMessage } from './command-codec.js';
import type { ReplySender } from './reply-service.js';
import type { CommandRoute } from './command-bus.js';
import { RecoveryRounds } from './partition-recovery.js';
import type { ConsumedOffsets } from './consumed-offsets.js';
import type { SnapshotWriter } from './snapshot-writer.js';
import { partitionHeldBy } from './group-check.js';
import { takeoverRetryDelayMs, TakeoverFailures } from './takeover-failures.js';

/** Observability hooks of ownership and command routing (metrics). */
export interface OwnershipObserver {
  owned?(partitions: readonly number[]): void;
  /** the route of each command this worker's ingress sent (command-bus.ts) */
  routed?(route: CommandRoute): void;
  recovered?(partition: number, transactions: number, events: number, ms: number): void;
  batch?(partition: number, commands: number, lag: number): void;
}

/** Commands queued in one partition beyond which the consumer stops fetching it for a while. */
const MAX_QUEUED = 4096;

/**
 * Partition ownership on Kafka (DESIGN §4): the workers form one consumer group on the commands
 * topic, and the assignment is the ownership. kafkajs rebalances eagerly and has no revocation
 * callback, so ownership changes are read from each GROUP_JOIN's assignment: partitions that stay
 * keep their processor and state; new ones are taken over (fence, replay, then process); lost ones
 * are dropped. Safety never rests on this bookkeeping: the fenced writer refuses a stale owner.
 */
export class PartitionOwnership {
  readonly #topic: string;
  /** partition -> takeover in progress or done (resolves true when ready) */
  readonly #ready = new Map<number, Promise<boolean>>();
  /** partitions taken over and processing (their takeover resolved true and they were not lost since) */
  readonly #serving = new Set<number>();
  #consumer: Consumer | undefined;
  #stopped = false;
  /** the partitions of the latest group assignment, and our member id in it */
  #assignment = new Set<number>();
  #memberId = '';
  /** the consumer crashed and kafkajs restarts it: its next join says the brokers answer again */
  #crashed = false;
  readonly #recovery: RecoveryRounds;
  readonly #failures: TakeoverFailures;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly log: KafkaEventLog,
    private readonly engine: Engine,
    private readonly registry: TransTypeRegistry,
    private readonly replies: ReplySender,
    private readonly snapshots: SnapshotWriter,
    private readonly offsets: ConsumedOffsets,
    private readonly logger: Logger,
    private readonly observer: OwnershipObserver = {},
  ) {
    this.#topic = topicsOf(settings.prefix).commands;
    this.#recovery = new RecoveryRounds(log, registry);
    this.#failures = new TakeoverFailures(logger);
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: workerGroupOf(this.settings.prefix),
      sessionTimeout: this.settings.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(this.settings.sessionTimeoutMs / 10)),
      rebalanceTimeout: Math.max(this.settings.sessionTimeoutMs, 10_000),
      readUncommitted: false,
      maxWaitTimeInMs: 50,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (this.#crashed) kafkaBackLine(this.logger, 'command consumer joined its group again after a crash');
      this.#crashed = false;
      this.#memberId = payload.memberId;
      this.#assigned(payload.memberAssignment[this.#topic] ?? []);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#isRefusal(payload.error)) return;
      if (payload.restart) {
        this.#crashed = true;
        kafkaTroubleLine(this.logger, { err: payload.error }, 'command consumer crashed; kafkajs restarts it');
        return;
      }
      // kafkajs gave up: drop everything (other workers take the partitions over) and say so loudly
      this.logger.fatal({ err: payload.error }, 'command consumer stopped for good: this worker no longer processes partitions; restart it');
      this.#assigned([]);
    });
    const retry = { logger: this.logger };
    await withKafkaRetry('command consumer connect', () => consumer.connect(), retry);
    await withKafkaRetry('command consumer subscribe', () => consumer.subscribe({ topic: this.#topic, fromBeginning: true }), retry);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: this.settings.partitions,
      eachBatch: (payload) => this.#consume(payload),
    });
  }

  /**
   * The log refused `p`'s writes: fenced by a worker that claimed it, or a commit in doubt. Drop it;
   * then, while the group still lists `p` for this worker, ask the coordinator. With eager
   * rebalances a partition can pass through another worker between two of our assignments that both
   * list it (we missed the generation in between: its claim fenced us), and nobody would process it
   * any more. A zombie (evicted while frozen) is not in the group any more and leaves it alone; a
   * rebalance in progress is left to its GROUP_JOIN.
   */
  lost(p: number, fenced: boolean): void {
    this.#ready.delete(p);
    this.#serving.delete(p);
    this.snapshots.forget(p);
    this.offsets.forget(p);
    this.observer.owned?.(this.engine.owned());
    void this.log.release(p).then(() => this.#retakeIfStillOurs(p, fenced));
  }

  async #retakeIfStillOurs(p: number, fenced: boolean): Promise<void> {
    for (let attempt = 0; attempt < 20 && !this.#stopped; attempt += 1) {
      if (fenced || attempt > 0) await new Promise((r) => setTimeout(r, 500).unref());
      if (this.#ready.has(p) || !this.#assignment.has(p)) return; // a newer assignment decided
      const verdict = await partitionHeldBy(this.log.admin, workerGroupOf(this.settings.prefix), this.#memberId, this.#topic, p);
      if (verdict === 'not-ours') return;
      if (verdict === 'ours' && !this.#ready.has(p) && this.#assignment.has(p)) {
        this.logger.warn({ partition: p, fenced }, 'retaking a partition the group still assigns here');
        this.#ready.set(p, this.#takeover(p));
        return;
      }
    }
  }

  /** This worker decides partition `p`'s commands now (its ingress may hand them over in-process). */
  serves(p: number): boolean {
    return this.#serving.has(p);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#serving.clear();
    await this.#consumer?.disconnect();
    for (const p of this.engine.owned()) this.engine.revoke(p, 'worker stopping');
  }

  #assigned(partitions: readonly number[]): void {
    const next = new Set(partitions);
    this.#assignment = next;
    for (const p of [...this.#ready.keys()]) {
      if (next.has(p)) continue;
      this.#ready.delete(p);
      this.#serving.delete(p);
      this.snapshots.forget(p);
      this.offsets.forget(p);
      this.engine.revoke(p, 'moved to another worker in a rebalance');
      void this.log.release(p);
    }
    const added = partitions.filter((p) => !this.#ready.has(p));
    for (const p of added) this.#ready.set(p, this.#takeover(p));
    this.observer.owned?.(this.engine.owned());
    this.logger.info({ owned: [...next].sort((a, b) => a - b), added }, 'partition assignment');
  }

  /** Fence, replay, adopt. Retries while the partition stays assigned; false when it moved away. */
  async #takeover(p: number): Promise<boolean> {
    for (let attempt = 1; !this.#stopped; attempt += 1) {
      const t0 = performance.now();
      try {
        await this.log.claim(p);
        const recovered = await this.#recovery.recover(p);
        if (!this.#ready.has(p)) return false;
        const stale = new Set(recovered.stale);
        this.snapshots.seed(p, [...this.log.replica.snapshots.of(p).states.keys()].filter((g) => !stale.has(g)), recovered.stale);
        for (const f of recovered.failed) this.logger.error({ partition: p, gid: f.gid, error: f.error }, 'transaction cannot be rebuilt from its events; left out of the takeover (dtx replay shows why)');
        this.engine.assign(p, recovered.live);
        this.#serving.add(p);
        const ms = performance.now() - t0;
        this.logger.info({ partition: p, transactions: recovered.live.length, events: recovered.events, folded: recovered.folded, ms: Math.round(ms) }, 'partition taken over');
        this.observer.recovered?.(p, recovered.live.length, recovered.events, ms);
        this.observer.owned?.(this.engine.owned());
        return true;
      } catch (err) {
        if (this.#isRefusal(err)) return false;
        this.#failures.failed(err, p, attempt);
        await new Promise((r) => setTimeout(r, takeoverRetryDelayMs(attempt)));
        if (!this.#ready.has(p)) return false;
      }
    }
    return false;
  }

  /**
   * True, and the log failed (dtx stops), when `err` is an ACL refusal (a missing group Read, or
   * transactional-id Write): retrying cannot help, and a worker that stays in the group would keep
   * partitions nobody serves.
   */
  #isRefusal(err: unknown): boolean {
    if (kafkaAuthorizationFailure(err) === undefined) return false;
    this.log.refused(err instanceof Error ? err : new Error(String(err)));
    return true;
  }

  async #consume({ batch, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const p = batch.partition;
    const ready = this.#ready.get(p);
    if (ready === undefined) return;
    // Keep the membership alive while the takeover replays the partition.
    const beat = setInterval(() => void heartbeat().catch(() => undefined), Math.max(200, this.settings.sessionTimeoutMs / 5));
    try {
      if (!(await ready)) return;
    } finally {
      clearInterval(beat);
    }
    this.observer.batch?.(p, batch.messages.length, Number(batch.offsetLag()));
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) return;
      const decoded = decodeCommandMessage(m);
      if (decoded === undefined) {
        this.logger.warn({ partition: p, offset: m.offset }, 'record of the commands topic is not a dtx command; skipped');
        continue;
      }
      const { cmd, address } = decoded;
      this.offsets.record(p, cmd.id, m.offset);
      void this.engine.deliver(p, cmd, address?.wait ?? false).then((reply) => {
        // After losing the partition, stay silent: the new owner re-reads the command and answers.
        if (address !== undefined && !(!reply.ok && reply.code === NotOwner.code)) this.replies.send(address.replyTo, { requestId: address.requestId, reply });
      });
    }
    if (this.engine.queued(p) > MAX_QUEUED) {
      const resume = pause();
      setTimeout(resume, 50);
    }
  }
}
