import type { LogRecord, TransSummary } from '../event-log.js';

/** What the hybrid needs of the background writer (`WorkerAppender`). */
export interface BackgroundWriter {
  /** no commit of the writer is pending: its connection holds no write lock */
  readonly idle: boolean;
  /** a checkpoint is pending: a commit handed to the writer now waits until it is done */
  readonly checkpointing: boolean;
  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void>;
  /** a passive WAL checkpoint on the writer's thread */
  checkpoint(): Promise<CheckpointResult>;
  close(): Promise<void>;
}

/** What a passive checkpoint found: the WAL's frames, and whether it copied them all. */
export interface CheckpointResult {
  readonly frames: number;
  /** every frame copied: the next commit starts the WAL over from its beginning */
  readonly complete: boolean;
}

/** Told what each checkpoint the hybrid asked for came to (checkpoint-watch.ts: the operator's warnings). */
export interface CheckpointObserver {
  /**
   * `exclusive`: commits waited on the writer meanwhile, so only a reader can have held it back;
   * `startsOver`: it copied everything and nothing was committed while it ran: the WAL starts over.
   */
  done(result: CheckpointResult, exclusive: boolean, startsOver: boolean): void;
  failed(err: unknown): void;
}

/** One commit on the calling thread's connection; throws on failure. */
export type InlineCommit = (records: readonly LogRecord[], summaries: readonly TransSummary[]) => void;

/** What makes an inline commit durable when the connection does not fsync itself (wal-sync.ts). */
export interface InlineSync {
  /** throws when commits cannot be made durable anymore */
  check(): void;
  /** resolves once the commit just made is durable */
  durable(): Promise<void>;
}

/**
 * WAL frames (pages) a checkpoint should find: SQLite's own automatic threshold. Neither
 * connection checkpoints by itself (both have `wal_autocheckpoint` 0): the hybrid asks the writer
 * every `interval` commits of either connection, sized from what the last complete checkpoint
 * found, between CHECKPOINT_EVERY_MIN and CHECKPOINT_EVERY_MAX commits.
 */
export const CHECKPOINT_FRAMES = 1000;
/** The first interval, in commits: a small commit adds a few WAL pages. */
export const CHECKPOINT_EVERY = 200;
export const CHECKPOINT_EVERY_MIN = 20;
export const CHECKPOINT_EVERY_MAX = 2000;
/**
 * The WAL starts over only after a checkpoint that copied every frame with no commit made while it
 * ran. When the last one found more frames than this and commits were made meanwhile, the next is
 * asked at once and is exclusive: commits wait on the writer until it is done, so it completes.
 * At 2,000 sagas/s about one checkpoint in three has a commit made meanwhile. An exclusive one that
 * still does not complete is held back by a reader of another process (an online `dtx backup`):
 * the next comes after the usual interval, until the reader is gone.
 */
export const CHECKPOINT_CATCH_UP_FRAMES = 4 * CHECKPOINT_FRAMES;

/**
 * Average inline commit time (ms, its fsync not included: wal-sync.ts) above which commits go
 * back to the writer: on a disk whose writes stall the main thread must not wait on them. A
 * commit handed to the writer lowers the average by `1 - DECAY`, so inline commits are tried
 * again after a while.
 */
export const INLINE_MAX_MS = 1;
const DECAY = 0.99;
const WEIGHT = 0.2;

/**
 * The embedded log's appender: a commit runs on the calling (main) thread's connection when the
 * background writer has no commit pending, and on the writer otherwise. An inline commit writes
 * the WAL without waiting for the disk; its fsync runs on the thread pool (`InlineSync`,
 * wal-sync.ts) and one fsync covers the commits made before it started. So the main thread
 * neither waits for the disk nor pays two thread hops and a structured clone each way: against
 * commits made inline with their fsync, or handed to the writer while the event loop was busy,
 * empty sagas ran ~25-30% more sagas/s at c=10 and c=50, HTTP branches ~25% more at c=10 and the
 * same at c=50 (docs/benchmarks.md, "Inline commits, fsynced off the main thread").
 *
 * Checkpoints run on the writer's thread, asked for here (`CHECKPOINT_FRAMES`). While one runs
 * (it fsyncs the WAL, copies it into the database and fsyncs that: milliseconds), commits stay on
 * the main thread: handed to the writer they would wait for the whole checkpoint
 * (docs/benchmarks.md, "Checkpoints off the commit path"). Such a checkpoint leaves the frames
 * committed meanwhile, and the WAL only starts over after one that copied everything, so a WAL
 * that keeps growing gets an exclusive one (`CHECKPOINT_CATCH_UP_FRAMES`), and at most one
 * interval of commits is made inline while a checkpoint is pending: the rest wait for it on the writer.
 *
 * Both connections write the same WAL database, one at a time: an inline commit runs only while no
 * commit of the writer's is pending (a passive checkpoint takes no write lock), and it completes
 * (synchronously) before anything else is sent.
 */
export class HybridAppender {
  #sinceCheckpoint = 0;
  #interval = CHECKPOINT_EVERY;
  #averageMs = 0;
  /** the pending checkpoint must complete: commits go to the writer until it is done */
  #exclusive = false;
  /** the WAL grew past CHECKPOINT_CATCH_UP_FRAMES: an exclusive checkpoint is due */
  #catchUp = false;
  /** the last checkpoint copied every frame and nothing was committed inline meanwhile: the WAL started over */
  #lastComplete = true;
  /** a commit was made inline since the pending checkpoint was asked for */
  #inlineDuring = false;

  constructor(
    private readonly writer: BackgroundWriter,
    private readonly inline: InlineCommit,
    /** undefined: the inline connection's own commit is durable (or durability is not asked) */
    private readonly sync: InlineSync | undefined,
    private readonly now: () => number = () => performance.now(),
    private readonly observer?: CheckpointObserver,
  ) {}

  /** Commits between two checkpoints now (adapted to the WAL frames the last one found). */
  get checkpointInterval(): number {
    return this.#interval;
  }

  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    const writer = this.writer;
    let done: Promise<void>;
    try {
      this.sync?.check();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (!writer.idle || this.#averageMs > INLINE_MAX_MS || (writer.checkpointing && (this.#exclusive || this.#sinceCheckpoint >= this.#interval))) {
      this.#averageMs *= DECAY;
      done = writer.append(records, summaries);
    } else {
      const t0 = this.now();
      try {
        this.inline(records, summaries);
        done = this.sync === undefined ? Promise.resolve() : this.sync.durable();
      } catch (err) {
        done = Promise.reject(err as Error);
      } finally {
        this.#averageMs += WEIGHT * (this.now() - t0 - this.#averageMs);
      }
      if (writer.checkpointing) this.#inlineDuring = true;
    }
    this.#counted();
    return done;
  }

  /**
   * Runs `work`, a write on the calling thread's connection outside the commit path (a prune
   * chunk), when the writer holds no write lock and no checkpoint is pending; undefined when it
   * could not run now. Not made durable: what it deletes may come back after a crash, and is
   * deleted again. Counted as a commit for the checkpoints (it adds WAL frames).
   */
  whenIdle<T>(work: () => T): T | undefined {
    if (!this.writer.idle || this.writer.checkpointing) return undefined;
    this.sync?.check();
    const result = work();
    this.#counted();
    return result;
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  /** The observer is told from a checkpoint's continuation: what it throws must not become an unhandled rejection. */
  #tell(what: (o: CheckpointObserver) => void): void {
    try {
      if (this.observer !== undefined) what(this.observer);
    } catch {
      // the observer only logs: nothing to undo
    }
  }

  #counted(): void {
    this.#sinceCheckpoint += 1;
    if (this.writer.checkpointing || (this.#sinceCheckpoint < this.#interval && !this.#catchUp)) return;
    const commits = this.#sinceCheckpoint;
    const exclusive = this.#catchUp;
    this.#sinceCheckpoint = 0;
    this.#exclusive = exclusive;
    this.#catchUp = false;
    this.#inlineDuring = false;
    // a failed checkpoint leaves the WAL longer, nothing more; a writer that died fails the next append
    this.writer.checkpoint().then(
      ({ frames, complete }) => {
        this.#exclusive = false;
        // after a complete one the WAL started over: `frames` were added by these `commits`
        if (this.#lastComplete) {
          const next = Math.round((commits * CHECKPOINT_FRAMES) / Math.max(frames, 1));
          this.#interval = Math.min(CHECKPOINT_EVERY_MAX, Math.max(CHECKPOINT_EVERY_MIN, next));
        }
        // a commit made while it ran is not in `frames`: the WAL goes on after it
        this.#lastComplete = complete && !this.#inlineDuring;
        // an exclusive one that did not complete was held back by a reader (`dtx backup`'s snapshot):
        // asking again at once would send every commit through the writer for as long as it reads
        this.#catchUp = !this.#lastComplete && frames > CHECKPOINT_CATCH_UP_FRAMES && !(exclusive && !complete);
        this.#tell((o) => o.done({ frames, complete }, exclusive, this.#lastComplete));
      },
      (err: unknown) => {
        this.#exclusive = false;
        this.#tell((o) => o.failed(err));
      },
    );
  }
}
