import type Database from 'better-sqlite3';
import type { LogRecord, TransSummary } from '../event-log.js';
import type { AppendTx } from './sqlite-append.js';
import { InlineAppender, type CheckpointObserver } from './inline-appender.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { WalSync, type Fdatasync } from './wal-sync.js';

/** How `SqliteEventLog` commits: synchronously on its own connection, or through `backgroundAppender`. */
export interface Appender {
  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> | void;
  /** Undefined when every commit made is durable; otherwise resolves once those made so far are. */
  settled?(): Promise<void> | undefined;
  close(): Promise<void> | void;
  /** Resolves once the appender can never commit again (EventLog.failure). */
  readonly failure?: Promise<Error>;
  /** With background fsyncs: runs a write on the connection unless an exclusive checkpoint holds the commits (InlineAppender.whenIdle); else `work` runs at once. */
  whenIdle?<T>(work: () => T): T | undefined;
}

/**
 * The appender of a log whose fsyncs run in the background (inline-appender.ts): commits made on
 * `db`, the main thread's connection, leave their fsync to the thread pool (wal-sync.ts), so that
 * connection commits with `synchronous = NORMAL`; checkpoints run on it between commits, their
 * fsyncs on the thread pool too (wal-checkpointer.ts). `release` runs after the appender's own
 * connection is closed; `opts.observer` hears of every checkpoint.
 */
export function backgroundAppender(file: string, db: Database.Database, inline: AppendTx, syncCommit: boolean, release: () => void, opts: { readonly observer?: CheckpointObserver; readonly fdatasync?: Fdatasync } = {}): Appender {
  db.pragma('wal_autocheckpoint = 0');
  const sync = syncCommit ? new WalSync(`${file}-wal`) : undefined;
  db.pragma('synchronous = NORMAL');
  const checkpointer = new WalCheckpointer(file, db, syncCommit, opts.fdatasync);
  const appender = new InlineAppender(inline, sync, checkpointer, opts.observer);
  return {
    failure: sync === undefined ? appender.failure : Promise.race([appender.failure, sync.failure]),
    append: (records, summaries) => appender.append(records, summaries),
    whenIdle: (work) => appender.whenIdle(work),
    settled: () => sync?.settled(),
    close: async () => {
      await appender.close();
      await sync?.close();
      release();
    },
  };
}
