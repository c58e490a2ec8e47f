import fs from 'node:fs';
import Database from 'better-sqlite3';
import { addPruned, finishedPrune, NOTHING_PRUNED, type PruneResult } from './finished-prune.js';
import { toLogError } from './sqlite-database.js';
import { storedVersionText } from './sqlite-schema.js';
import { SqliteEventLog } from './sqlite-event-log.js';

export { PRUNED_PLACEHOLDER_GID, type PruneResult } from './finished-prune.js';

/** Transactions per SQLite transaction: each commit frees its pages for the next appends. */
const PRUNE_CHUNK = 1000;

/** The schema version a log file says it has, read without writing or waiting; undefined when it cannot be read (locked, not a log). */
export function storedSchemaVersion(file: string): number | undefined {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
    try {
      const text = storedVersionText(db);
      return text === undefined ? undefined : Number(text);
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The embedded log opened by `dtx prune` (src/cli/prune-command.ts): offline, with the data dir's
 * lock, so no dtx runs on it meanwhile (a running one prunes by itself: finished-pruner.ts), and
 * it can vacuum.
 *
 * A pruned transaction leaves nothing behind: its events, stored state, projection row and gid are
 * deleted together, so every transaction that stays keeps its whole history (`dtx replay --all`
 * verifies the rest as before) and its gid may be used again for a new transaction, as after dtm's
 * `FinishedDataExpire` on Redis. Numbers are never handed out twice (PRUNED_PLACEHOLDER_GID; the
 * `all` cursor is one). SQLite reuses the freed pages for later appends; the file itself shrinks
 * only with `vacuum`. A log of an older schema version is refused by the command (opening converts it).
 */
export class SqlitePruneLog extends SqliteEventLog {
  /**
   * Deletes every finished transaction whose row last changed (its finish: a finished transaction
   * takes no more events) before `before`, epoch ms, in chunks of PRUNE_CHUNK; `dryRun` counts only.
   */
  pruneFinished(before: number, dryRun = false, onChunk?: (done: PruneResult) => void): PruneResult {
    this.ensureOpen();
    const chunk = finishedPrune(this.db);
    let total = NOTHING_PRUNED;
    try {
      for (let after = 0; ; ) {
        const { done, next, end } = chunk(after, before, PRUNE_CHUNK, { dryRun });
        total = addPruned(total, done);
        if (done.transactions > 0) onChunk?.(total);
        if (end) return total;
        after = next;
      }
    } catch (err) {
      throw toLogError(err, 'prune');
    }
  }

  /** Rewrites the file without its free pages (on disk: a copy in temp storage and one in the WAL); returns its size before and after, bytes. */
  vacuum(): { before: number; after: number } {
    this.ensureOpen();
    const before = this.#bytes();
    try {
      // VACUUM builds its copy in temp storage; the connection keeps that in memory (sqlite-database.ts), which would hold the whole log in RAM
      this.db.pragma('temp_store = FILE');
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      throw toLogError(err, 'vacuum');
    }
    return { before, after: this.#bytes() };
  }

  /** The database file and its WAL, bytes. */
  #bytes(): number {
    const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
    return size(this.file) + size(`${this.file}-wal`);
  }

}
