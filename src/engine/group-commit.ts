import type { EventLog, LogRecord, TransSummary } from '../log/event-log.js';
import type { BatchInfo } from './batch-appender.js';

/**
 * Merges the appends that partition processors issue within one event-loop turn into a single
 * log append: one durable commit (one fsync) for many commands. Each caller still learns whether
 * its own part is durable; a failed commit rejects every caller of that commit.
 */
export class GroupCommitter {
  #pending: Array<{ records: readonly LogRecord[]; summaries: readonly TransSummary[]; resolve: () => void; reject: (e: unknown) => void }> = [];
  #scheduled = false;
  #inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: EventLog,
    private readonly onCommit?: (records: number, ms: number) => void,
  ) {}

  append(records: readonly LogRecord[], summaries: readonly TransSummary[], _batch?: BatchInfo): Promise<void> {
    if (records.length === 0 && summaries.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ records, summaries, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          // Commits are serialised: a batch never overtakes the one before it.
          this.#inflight = this.#inflight.then(() => this.#flush());
        });
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const records = batch.length === 1 ? batch[0]!.records : batch.flatMap((b) => b.records);
    const summaries = batch.length === 1 ? batch[0]!.summaries : batch.flatMap((b) => b.summaries);
    const t0 = performance.now();
    try {
      await this.log.append(records, summaries);
      this.onCommit?.(records.length, performance.now() - t0);
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
