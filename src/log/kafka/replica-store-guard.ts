import type { Logger } from 'pino';
import { LogUnavailable } from '../../errors.js';
import { errorKind, RepeatGate, withRecurred } from '../../observability/repeat-gate.js';

/** At most one line per this long while the replica's file keeps refusing what it copies. */
export const REPLICA_FAILURE_LOG_MS = 10_000;

/** The waits between attempts to store one copied batch: 1 s, doubling, at most 10 s. */
function storeRetryDelayMs(attempt: number): number {
  return Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4));
}

/** What `dtx_kafka_replica_store_failing` and `dtx_kafka_replica_store_failures_total` export (docs/metrics.md). */
export interface ReplicaStoreHealth {
  /** the last store failed and none succeeded since: reads that need the copy get 503 */
  readonly failing: boolean;
  /** stores that failed since the worker started: each retry of a held batch, each own commit not copied at once */
  readonly failures: number;
}

/**
 * Whether a worker's replica (its SQLite copy of the events topic under Store.DataDir) can store
 * what it copies. When it cannot (a full disk, a failing one) nothing is lost: the records stay
 * in Kafka, the consumer holds its batch and tries again, and the worker's own commits go on.
 * What needs the copy cannot be served meanwhile, and says why at once (`failure`) instead of
 * waiting for a copy that cannot come. Failures are logged through a RepeatGate (a full disk
 * fails every attempt of every partition), and the first store that succeeds afterwards says so.
 */
export class ReplicaStoreGuard {
  readonly #gate: RepeatGate;
  #failure: LogUnavailable | undefined;
  #failures = 0;

  constructor(
    private readonly logger: Logger,
    /** told each failure: reads waiting for the copy get the error now */
    private readonly onFailure: (failure: LogUnavailable) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.#gate = new RepeatGate(REPLICA_FAILURE_LOG_MS, now);
  }

  /** Set from a failed store until one succeeds: the error a read waiting for the copy gets. */
  get failure(): LogUnavailable | undefined {
    return this.#failure;
  }

  get health(): ReplicaStoreHealth {
    return { failing: this.#failure !== undefined, failures: this.#failures };
  }

  /** A store of partition `p`'s records failed (`own`: this worker's commit, which the consumer copies instead). */
  failed(err: unknown, p: number, own: boolean): void {
    this.#failures += 1;
    const reason = err instanceof Error ? err.message : String(err);
    this.#failure = new LogUnavailable(`this worker's replica of the events topic (its SQLite file under Store.DataDir) cannot store what it reads: ${reason}`, { cause: err });
    const recurred = this.#gate.pass(errorKind(err));
    if (recurred !== undefined) {
      const what = own ? "copying this worker's commit failed; the consumer copies it" : 'storing copied records failed; the consumer tries again (they stay in Kafka)';
      this.logger.error({ err, partition: p, recurred }, withRecurred(what, recurred));
    }
    this.onFailure(this.#failure);
  }

  /**
   * Runs `store` (partition `p`'s copied batch) until it succeeds, waiting `storeRetryDelayMs`
   * between attempts while keeping the consumer's group membership alive. Thrown to kafkajs, the
   * batch would crash the consumer, which logs the stack of every attempt and restarts. False when
   * the consumer stops first: the batch is read again at the next start (its position is not stored).
   */
  async retrying(p: number, store: () => void, consumer: { isRunning(): boolean; heartbeat(): Promise<void> }): Promise<boolean> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        store();
        this.stored();
        return true;
      } catch (err) {
        this.failed(err, p, false);
      }
      const until = this.now() + storeRetryDelayMs(attempt);
      while (this.now() < until) {
        if (!consumer.isRunning()) return false;
        await new Promise((r) => setTimeout(r, 500));
        await consumer.heartbeat().catch(() => undefined);
      }
    }
  }

  /** A store succeeded: the replica is usable again (said once per window too: on a nearly full disk small stores pass between large ones that fail). */
  stored(): void {
    if (this.#failure === undefined) return;
    this.#failure = undefined;
    if (this.#gate.pass('stored') !== undefined) this.logger.info('the replica stores again');
  }
}
