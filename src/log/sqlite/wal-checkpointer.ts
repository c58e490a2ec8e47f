import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { LogUnavailable } from '../../errors.js';
import type { Fdatasync } from './wal-sync.js';
import { openDatabase } from './sqlite-database.js';

/** What a passive checkpoint found: the WAL's frames, and whether it copied them all. */
export interface CheckpointResult {
  readonly frames: number;
  /** every frame copied: the next commit starts the WAL over from its beginning */
  readonly complete: boolean;
}

/** What the inline appender needs of checkpoints (inline-appender.ts); tests script their own. */
export interface Checkpointer {
  /**
   * Marks the WAL's end as it is now: `copy` copies no frame committed after it, and the WAL cannot
   * start over (overwrite frames) until `unpin`.
   */
  pin(): void;
  unpin(): void;
  /** A passive checkpoint up to the pin, without any fsync; throws when it cannot run. */
  copy(): CheckpointResult;
  /** Resolves once the pages `copy` wrote to the database file are durable; rejects with LogUnavailable when they cannot be. */
  syncDatabase(): Promise<void>;
  close(): void;
}

/**
 * Checkpoints of the embedded log, run on the main thread's connection (`db`) without SQLite's own
 * fsyncs, which would stall the event loop; durability comes from the order around them
 * (inline-appender.ts):
 * 1. `pin`: a second connection of this process opens a read transaction. SQLite's checkpoint copies
 *    no frame past a reader's snapshot, and the WAL starts over only when no reader uses it: so
 *    frames committed after the pin are not copied, and no frame is overwritten while it holds.
 * 2. the caller waits for an fdatasync of the WAL started after the pin (wal-sync.ts): every frame
 *    up to the pin is durable. `copy` then writes them into the database file (synchronous = OFF for
 *    the checkpoint alone: no fsync). A crash now finds them in the WAL again: SQLite recovers from it.
 * 3. `syncDatabase`: an fdatasync of the database file on libuv's thread pool; only after it does
 *    the caller `unpin`, so the WAL starts over (at the next commit that finds it all copied) only
 *    once the pages that replace its frames are durable.
 * With `durable` false (Store.SyncCommit off) nothing is synced: a power loss may lose commits anyway.
 */
export class WalCheckpointer implements Checkpointer {
  readonly #pinDb: Database.Database;
  readonly #read: Database.Statement;
  /**
   * the connection's own `synchronous` level, read once: it is set before the checkpointer is made
   * (background-appender.ts)
   */
  readonly #mode: number;
  #pinned = false;
  #fd: number | undefined;

  constructor(
    private readonly file: string,
    private readonly db: Database.Database,
    private readonly durable: boolean,
    private readonly fdatasync: Fdatasync = fs.fdatasync,
  ) {
    this.#pinDb = openDatabase({ file, syncCommit: false, lockTimeoutMs: 5000, exclusive: false, cacheMiB: 1 });
    this.#read = this.#pinDb.prepare('SELECT count(*) FROM sqlite_master');
    this.#mode = db.pragma('synchronous', { simple: true }) as number;
  }

  pin(): void {
    if (this.#pinned) return;
    this.#pinDb.exec('BEGIN');
    this.#read.get(); // a deferred BEGIN takes its snapshot (and its WAL read mark) at the first read
    this.#pinned = true;
  }

  unpin(): void {
    if (!this.#pinned) return;
    this.#pinned = false;
    this.#pinDb.exec('COMMIT');
  }

  copy(): CheckpointResult {
    this.db.pragma('synchronous = OFF');
    let done: { log: number; checkpointed: number } | undefined;
    try {
      [done] = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
    } finally {
      this.db.pragma(`synchronous = ${this.#mode}`);
    }
    // log and checkpointed are -1 when the checkpoint could not run (another connection's held its lock): not complete
    const frames = done?.log ?? -1;
    return { frames: Math.max(frames, 0), complete: frames >= 0 && (done?.checkpointed ?? -1) >= frames };
  }

  syncDatabase(): Promise<void> {
    if (!this.durable) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let fd: number;
      try {
        fd = this.#fd ??= fs.openSync(this.file, 'r');
      } catch (err) {
        return reject(this.#failed(err));
      }
      this.fdatasync(fd, (err) => (err ? reject(this.#failed(err)) : resolve()));
    });
  }

  close(): void {
    this.unpin();
    this.#pinDb.close();
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  #failed(err: unknown): LogUnavailable {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return new LogUnavailable(`event log: fdatasync of ${this.file} after a checkpoint failed: ${code}`, { cause: err });
  }
}
