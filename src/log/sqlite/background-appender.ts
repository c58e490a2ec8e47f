import type Database from 'better-sqlite3';
import type { LogRecord, TransSummary } from '../event-log.js';
import type { AppendTx } from './sqlite-append.js';
import { HybridAppender, type CheckpointObserver } from './hybrid-appender.js';
import { WalSync } from './wal-sync.js';
import { WorkerAppender } from './worker-appender.js';

/** How `SqliteEventLog` commits: synchronously on its own connection, or through `backgroundAppender`. */
export interface Appender {
  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> | void;
  /** Undefined when every commit made is durable; otherwise resolves once those made so far are. */
  settled?(): Promise<void> | undefined;
  close(): Promise<void> | void;
  /** Resolves once the appender can never commit again (EventLog.failure). */
  readonly failure?: Promise<Error>;
  /** With a background writer: runs a write on this thread's connection when it holds no lock (HybridAppender.whenIdle); else `work` runs at once. */
  whenIdle?<T>(work: () => T): T | undefined;
}

/**
 * The appender of a log with a background writer (hybrid-appender.ts): commits made on `db`, this
 * thread's connection, leave their fsync to the thread pool (wal-sync.ts), so that connection
 * commits with `synchronous = NORMAL`; the writer thread's own connection fsyncs as `syncCommit`
 * says. Neither connection checkpoints by itself. `release` runs after both are closed; `opts.now`
 * times inline commits (tests pass a clock of their own); `opts.observer` hears of every checkpoint.
 */
export function backgroundAppender(file: string, db: Database.Database, inline: AppendTx, syncCommit: boolean, release: () => void, opts: { readonly now?: () => number; readonly observer?: CheckpointObserver } = {}): Appender {
  db.pragma('wal_autocheckpoint = 0');
  const sync = syncCommit ? new WalSync(`${file}-wal`) : undefined;
  if (sync !== undefined) db.pragma('synchronous = NORMAL');
  const writer = new WorkerAppender(file, syncCommit);
  const hybrid = new HybridAppender(writer, inline, sync, opts.now, opts.observer);
  return {
    failure: sync === undefined ? writer.failure : Promise.race([writer.failure, sync.failure]),
    append: (records, summaries) => hybrid.append(records, summaries),
    whenIdle: (work) => hybrid.whenIdle(work),
    settled: () => sync?.settled(),
    close: async () => {
      await hybrid.close();
      await sync?.close();
      release();
    },
  };
}
