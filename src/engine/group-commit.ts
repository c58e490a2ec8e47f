import type { EventLog, LogRecord, TransSummary } from '../log/event-log.js';
import type { BatchInfo } from './batch-appender.js';

type Pending = { records: readonly LogRecord[]; summaries: readonly TransSummary[]; resolve: () => void; reject: (e: unknown) => void };

/**
 * Merges the appends that partition processors issue into log appends: one durable commit (one
 * fsync) for many commands. Each caller still learns whether its own part is durable; a failed
 * commit rejects every caller of that commit.
 *
 * One commit at a time: the embedded log commits on the main thread and leaves the fsync to the
 * thread pool, so the appends that arrive while a commit waits for its fsync gather into the next
 * one (those of one event-loop turn always do). Two in flight made more, smaller commits and
 * fsyncs: fewer sagas/s for more CPU per saga (docs/benchmarks.md, "One group commit in flight").
 * A partition processor appends one batch at a time, so a commit never holds two of its batches.
 */
export class GroupCommitter {
  #pending: Pending[] = [];
  #scheduled = false;
  #committing = false;

  constructor(
    private readonly log: Pick<EventLog, 'append'>,
    private readonly onCommit?: (records: number, ms: number) => void,
  ) {}

  append(records: readonly LogRecord[], summaries: readonly TransSummary[], _batch?: BatchInfo): Promise<void> {
    if (records.length === 0 && summaries.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ records, summaries, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#committing || this.#pending.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const records = batch.length === 1 ? batch[0]!.records : batch.flatMap((b) => b.records);
    const summaries = batch.length === 1 ? batch[0]!.summaries : batch.flatMap((b) => b.summaries);
    const t0 = performance.now();
    this.#committing = true;
    try {
      await this.log.append(records, summaries);
      this.onCommit?.(records.length, performance.now() - t0);
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.#committing = false;
      this.#schedule();
    }
  }
}
