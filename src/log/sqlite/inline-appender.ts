import { LogUnavailable } from '../../errors.js';
import type { LogRecord, TransSummary } from '../event-log.js';
import type { Checkpointer, CheckpointResult } from './wal-checkpointer.js';

/** Told what each checkpoint came to (checkpoint-watch.ts: the operator's warnings). */
export interface CheckpointObserver {
  /**
   * `exclusive`: commits waited meanwhile, so only a reader of another process can have held it
   * back; `startsOver`: it copied everything and nothing was committed while it ran: the WAL starts over.
   */
  done(result: CheckpointResult, exclusive: boolean, startsOver: boolean): void;
  failed(err: unknown): void;
}

/** One commit on the main thread's connection; throws on failure. */
export type InlineCommit = (records: readonly LogRecord[], summaries: readonly TransSummary[]) => void;

/** What makes an inline commit durable when the connection does not fsync itself (wal-sync.ts). */
export interface InlineSync {
  /** throws when commits cannot be made durable anymore */
  check(): void;
  /** resolves once every commit made so far is durable */
  durable(): Promise<void>;
}

/**
 * WAL frames (pages) a checkpoint should find: SQLite's own automatic threshold. The connection
 * never checkpoints by itself (`wal_autocheckpoint` 0): the appender starts one every `interval`
 * commits, sized from what the last one that found a fresh WAL found, between CHECKPOINT_EVERY_MIN
 * and CHECKPOINT_EVERY_MAX commits.
 */
export const CHECKPOINT_FRAMES = 1000;
/** The first interval, in commits: a small commit adds a few WAL pages. */
export const CHECKPOINT_EVERY = 200;
export const CHECKPOINT_EVERY_MIN = 20;
export const CHECKPOINT_EVERY_MAX = 2000;
/**
 * The WAL starts over only after a checkpoint that copied every frame with no commit made while it
 * ran (from its pin to the database's fsync). When the last one found more frames than this and
 * commits were made meanwhile, the next starts at once and is exclusive: commits wait until it is
 * done, so it completes. One that still does not complete is held back by a reader of another
 * process (an online `dtx backup`): the next comes after the usual interval, until the reader is gone.
 */
export const CHECKPOINT_CATCH_UP_FRAMES = 4 * CHECKPOINT_FRAMES;

interface Held {
  readonly records: readonly LogRecord[];
  readonly summaries: readonly TransSummary[];
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/**
 * The embedded log's appender: every commit runs on the main thread's connection and writes the WAL
 * without waiting for the disk; its fsync runs on the thread pool (`InlineSync`, wal-sync.ts), one
 * fsync covering the commits made before it started. Checkpoints run on the same connection between
 * commits, their fsyncs on the thread pool too (wal-checkpointer.ts, which says why the order makes
 * them durable): one starts every `interval` commits with a pin, copies once the WAL up to the pin
 * is durable, and ends after the database file's fdatasync. Commits go on meanwhile, except during
 * an exclusive one (`CHECKPOINT_CATCH_UP_FRAMES`), which holds them and commits them as it ends.
 * No worker thread: its V8 isolate held 12-14 MiB of RSS for what is now a copy of ~1,000 pages
 * between two commits (docs/benchmarks.md, "Checkpoints without the writer thread").
 */
export class InlineAppender {
  #sinceCheckpoint = 0;
  #interval = CHECKPOINT_EVERY;
  /** the checkpoint running, from its pin to its end */
  #running: Promise<void> | undefined;
  /** commits waiting for the exclusive checkpoint running */
  #held: Held[] | undefined;
  /** the WAL grew past CHECKPOINT_CATCH_UP_FRAMES: an exclusive checkpoint is due */
  #catchUp = false;
  /** the last checkpoint copied every frame and nothing was committed meanwhile: the WAL started over */
  #lastComplete = true;
  /** a commit was made since the running checkpoint's pin */
  #committedDuring = false;
  #broken: LogUnavailable | undefined;
  #reportFailure: (err: LogUnavailable) => void = () => undefined;
  /** Resolves with the error once the database file could not be made durable after a checkpoint. */
  readonly failure = new Promise<LogUnavailable>((resolve) => (this.#reportFailure = resolve));

  constructor(
    private readonly inline: InlineCommit,
    /** undefined: durability is not asked (Store.SyncCommit off) */
    private readonly sync: InlineSync | undefined,
    private readonly checkpointer: Checkpointer,
    private readonly observer?: CheckpointObserver,
  ) {}

  /** Commits between two checkpoints now (adapted to the WAL frames the last one found). */
  get checkpointInterval(): number {
    return this.#interval;
  }

  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    try {
      this.#check();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const held = this.#held;
    if (held !== undefined) return new Promise((resolve, reject) => held.push({ records, summaries, resolve, reject }));
    return this.#commit(records, summaries);
  }

  /**
   * Runs `work`, a write on the connection outside the commit path (a prune chunk), unless an
   * exclusive checkpoint holds the commits (undefined: it could not run now). Not made durable:
   * what it deletes may come back after a crash, and is deleted again. Counted as a commit for the
   * checkpoints (it adds WAL frames).
   */
  whenIdle<T>(work: () => T): T | undefined {
    if (this.#held !== undefined) return undefined;
    this.#check();
    const result = work();
    this.#counted();
    return result;
  }

  /** Waits for the checkpoint running (its commits held included); the caller closes the connections. */
  async close(): Promise<void> {
    await this.#running;
    this.checkpointer.close();
  }

  #check(): void {
    if (this.#broken !== undefined) throw this.#broken;
    this.sync?.check();
  }

  #commit(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    let done: Promise<void>;
    try {
      this.inline(records, summaries);
      done = this.#durable();
    } catch (err) {
      done = Promise.reject(err as Error);
    }
    this.#counted();
    return done;
  }

  /** Resolves once every commit made so far is durable (at once when durability is not asked). */
  #durable(): Promise<void> {
    return this.sync === undefined ? Promise.resolve() : this.sync.durable();
  }

  #counted(): void {
    if (this.#running !== undefined) this.#committedDuring = true;
    this.#sinceCheckpoint += 1;
    if (this.#running !== undefined || (this.#sinceCheckpoint < this.#interval && !this.#catchUp)) return;
    this.#start();
  }

  /** The observer only logs: what it throws must not become an unhandled rejection. */
  #tell(what: (o: CheckpointObserver) => void): void {
    try {
      if (this.observer !== undefined) what(this.observer);
    } catch {
      // nothing to undo
    }
  }

  #start(): void {
    const commits = this.#sinceCheckpoint;
    const exclusive = this.#catchUp;
    this.#sinceCheckpoint = 0;
    this.#catchUp = false;
    this.#committedDuring = false;
    if (exclusive) this.#held = [];
    try {
      this.checkpointer.pin();
    } catch (err) {
      this.#tell((o) => o.failed(err));
      this.#release();
      return;
    }
    this.#running = this.#durable()
      .then(() => {
        const result = this.checkpointer.copy();
        return this.checkpointer.syncDatabase().then(
          () => result,
          (err: unknown) => {
            this.#fail(err);
            throw err;
          },
        );
      })
      .then(
        (result) => this.#finished(result, commits, exclusive),
        (err: unknown) => this.#tell((o) => o.failed(err)),
      )
      .finally(() => {
        try {
          this.checkpointer.unpin();
        } finally {
          this.#running = undefined;
          this.#release();
        }
      });
  }

  #finished({ frames, complete }: CheckpointResult, commits: number, exclusive: boolean): void {
    // after one that left the WAL to start over, `frames` were added by these `commits`
    if (this.#lastComplete) {
      const next = Math.round((commits * CHECKPOINT_FRAMES) / Math.max(frames, 1));
      this.#interval = Math.min(CHECKPOINT_EVERY_MAX, Math.max(CHECKPOINT_EVERY_MIN, next));
    }
    // a commit made since the pin is not in `frames`, and the pin kept the WAL from starting over under it
    this.#lastComplete = complete && !this.#committedDuring;
    // an exclusive one that did not complete was held back by a reader (`dtx backup`'s snapshot):
    // starting another at once would hold every commit for as long as it reads
    this.#catchUp = !this.#lastComplete && frames > CHECKPOINT_CATCH_UP_FRAMES && !(exclusive && !complete);
    this.#tell((o) => o.done({ frames, complete }, exclusive, this.#lastComplete));
  }

  /**
   * Copied but not synced: the kernel may have dropped the pages it could not write, and a later
   * sync would succeed without them, so nothing written from now on can be trusted.
   */
  #fail(err: unknown): void {
    if (this.#broken !== undefined) return;
    this.#broken = err instanceof LogUnavailable ? err : new LogUnavailable(`event log: ${String(err)}`, { cause: err });
    this.#reportFailure(this.#broken);
  }

  /** Commits what waited for an exclusive checkpoint, in the order they came. */
  #release(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined) return;
    for (const h of held) {
      try {
        this.#check();
      } catch (err) {
        h.reject(err as Error);
        continue;
      }
      this.#commit(h.records, h.summaries).then(h.resolve, h.reject);
    }
  }
}
