import type { LogRecord, TransSummary } from '../event-log.js';

/** What the hybrid needs of the background writer (`WorkerAppender`). */
export interface BackgroundWriter {
  /** nothing of the writer's is pending: its connection holds no lock */
  readonly idle: boolean;
  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void>;
  /** a passive WAL checkpoint on the writer's thread */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

/** One durable commit on the calling thread's connection (its fsync included); throws on failure. */
export type InlineCommit = (records: readonly LogRecord[], summaries: readonly TransSummary[]) => void;

/**
 * Inline commits between two checkpoints asked of the writer. The main connection runs none itself
 * (its `wal_autocheckpoint` is 0: copying the WAL into the database would stall the event loop for
 * milliseconds); a small commit adds a few WAL pages and SQLite's own threshold is 1,000 pages.
 */
export const CHECKPOINT_EVERY = 200;

/**
 * Average inline commit time (ms, fsync included) above which commits go back to the writer: on a
 * disk whose fsync is slow the main thread must not wait on it. A commit handed to the writer
 * lowers the average by `1 - DECAY`, so inline commits are tried again after a while.
 */
export const INLINE_MAX_MS = 1;
const DECAY = 0.99;
const WEIGHT = 0.2;

/**
 * Share of the time the event loop may be busy, over the last window, for commits to run inline.
 * A busy main thread is the bottleneck: every fsync it waits on is time it does not serve (HTTP
 * branches at c=10: ~10% fewer sagas/s with every idle-writer commit inline), so it hands them off.
 */
export const INLINE_MAX_UTILIZATION = 0.8;
const UTILIZATION_WINDOW_MS = 100;

/**
 * Whether the event loop was busy more than INLINE_MAX_UTILIZATION of the last window
 * (re-measured at most once a window).
 */
export function eventLoopBusy(): () => boolean {
  let last = performance.eventLoopUtilization();
  let at = performance.now();
  let busy = false;
  return () => {
    const now = performance.now();
    if (now - at >= UTILIZATION_WINDOW_MS) {
      const current = performance.eventLoopUtilization();
      busy = performance.eventLoopUtilization(current, last).utilization > INLINE_MAX_UTILIZATION;
      last = current;
      at = now;
    }
    return busy;
  };
}

/**
 * The embedded log's appender: a commit runs on the calling (main) thread when the background
 * writer is idle and the event loop is not busy, and on the writer otherwise. At low load a commit
 * then costs one SQLite transaction and its fsync (~0.1-0.2 ms on the bench machine) instead of two
 * thread hops and a structured clone each way: one concurrent client gets 13-30% more sagas/s for
 * 10-15% less CPU per saga. Under load the writer is busy and takes the commits, so fsyncs keep
 * overlapping with the main thread's work (docs/benchmarks.md, "Commits on the main thread when
 * the writer is idle").
 * Both connections write the same WAL database, one at a time: an inline commit runs only while
 * nothing of the writer's is pending, and it completes (synchronously) before anything else is sent.
 */
export class HybridAppender {
  #sinceCheckpoint = 0;
  #averageMs = 0;

  constructor(
    private readonly writer: BackgroundWriter,
    private readonly inline: InlineCommit,
    private readonly busy: () => boolean = eventLoopBusy(),
    private readonly now: () => number = () => performance.now(),
  ) {}

  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    if (!this.writer.idle || this.#averageMs > INLINE_MAX_MS || this.busy()) {
      this.#averageMs *= DECAY;
      return this.writer.append(records, summaries);
    }
    const t0 = this.now();
    try {
      this.inline(records, summaries);
    } catch (err) {
      return Promise.reject(err as Error);
    } finally {
      this.#averageMs += WEIGHT * (this.now() - t0 - this.#averageMs);
    }
    this.#sinceCheckpoint += 1;
    if (this.#sinceCheckpoint >= CHECKPOINT_EVERY) {
      this.#sinceCheckpoint = 0;
      // a failed checkpoint leaves the WAL longer, nothing more; a writer that died fails the next append
      this.writer.checkpoint().catch(() => undefined);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
