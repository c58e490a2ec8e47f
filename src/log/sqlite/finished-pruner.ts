import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { addPruned, dueRange, finishedPrune, finishedTimeIndex, NOTHING_PRUNED, type PruneChunk, type PruneResult } from './finished-prune.js';
import type { SqliteEventLog } from './sqlite-event-log.js';

/** Transactions deleted per chunk, and transaction numbers one chunk looks at: each chunk holds the main thread a few ms at most. */
const CHUNK_TRANSACTIONS = 200;
const CHUNK_SPAN = 2000;
/** Due transactions whose numbers bound one stretch of a round's scan (`dueRange`): reading them is one short index read. */
const DUE_AT_ONCE = 2000;
/** A chunk that could not run (a commit held the write lock) is tried again after this. */
const BUSY_RETRY_MS = 20;

/** How often a round starts: a quarter of the retention, between 1 s and a minute. */
export function pruneIntervalMs(retentionMs: number): number {
  return Math.min(60_000, Math.max(1000, Math.floor(retentionMs / 4)));
}

/**
 * Store.PruneFinishedAfter on the running embedded log: every `pruneIntervalMs` a round deletes
 * the transactions that finished more than `retentionMs` ago, each whole (finished-prune.ts), in
 * chunks on the main thread's connection between commits (`writeWhenIdle`), yielding to the event
 * loop after each. A round reads, from the index of finished transactions by finish time
 * (`finishedTimeIndex`, made by the first round if dtx did not at start; a dtx started without
 * pruning drops it), the lowest and highest numbers of the 2,000 that finished first (`dueRange`),
 * scans between them in number order, and reads again until nothing is due: a round with nothing
 * due costs one index read, however long the log. Safe while dtx serves: a finished transaction takes no more events (the engine
 * refuses them), and finished ones are not held in memory, so one that goes is read as unknown
 * from then on, and its gid may start a new transaction. A round that fails is logged and the
 * next one starts over.
 */
export class FinishedPruner {
  /** `dueRange` and `finishedPrune` on the log's connection, prepared (and the index made) at the first round */
  #on: { due: ReturnType<typeof dueRange>; prune: ReturnType<typeof finishedPrune> } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<PruneResult> | undefined;
  #closed = false;
  #observer: ((done: PruneResult) => void) | undefined;

  constructor(
    private readonly log: SqliteEventLog,
    private readonly retentionMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    intervalMs = pruneIntervalMs(retentionMs),
  ) {
    this.#timer = setInterval(() => void this.round(), intervalMs).unref();
  }

  /** Called after every round with what it deleted (the metrics). */
  observe(observer: (done: PruneResult) => void): void {
    this.#observer = observer;
  }

  /** One round (or the one running): what it deleted. */
  round(): Promise<PruneResult> {
    if (this.#running !== undefined || this.#closed) return this.#running ?? Promise.resolve(NOTHING_PRUNED);
    const started = this.now();
    this.#running = this.#round(started - this.retentionMs).then(
      (done) => {
        this.#observer?.(done);
        if (done.transactions > 0) this.logger.info({ ...done, ms: this.now() - started, finishedBefore: new Date(started - this.retentionMs).toISOString() }, 'pruned finished transactions');
        return done;
      },
      (err: unknown) => {
        if (!this.#closed) this.logger.warn({ err }, 'pruning finished transactions failed; the next round tries again');
        return NOTHING_PRUNED;
      },
    );
    return this.#running.finally(() => (this.#running = undefined));
  }

  async #round(before: number): Promise<PruneResult> {
    let total = NOTHING_PRUNED;
    for (;;) {
      const range = await this.#whenIdle((db) => this.#prepared(db).due(before, DUE_AT_ONCE));
      if (range === undefined) return total; // nothing (more) due, or closed
      for (let after = range.first - 1; ; ) {
        const from = after;
        const chunk = await this.#whenIdle((db) => this.#prepared(db).prune(from, before, CHUNK_TRANSACTIONS, { span: CHUNK_SPAN, until: range.last }));
        if (chunk === undefined) return total; // closed
        total = addPruned(total, chunk.done);
        if (chunk.end) break;
        after = chunk.next;
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  /** `work` on the log's connection once no commit holds the write lock; undefined once closed. */
  async #whenIdle<T>(work: (db: Database.Database) => T): Promise<T | undefined> {
    while (!this.#closed) {
      const done = this.log.writeWhenIdle((db) => ({ value: work(db) }));
      if (done !== undefined) return done.value;
      await new Promise((r) => setTimeout(r, BUSY_RETRY_MS));
    }
    return undefined;
  }

  #prepared(db: Database.Database): { due: ReturnType<typeof dueRange>; prune: (after: number, before: number, limit: number, opts: { span: number; until: number }) => PruneChunk } {
    if (this.#on === undefined) {
      finishedTimeIndex(db, true);
      this.#on = { due: dueRange(db), prune: finishedPrune(db) };
    }
    return this.#on;
  }

  /** Stops the rounds; waits for the chunk running, if any (call before the log closes). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
