import fs from 'node:fs';
import Database from 'better-sqlite3';
import { RESERVED_GID_PREFIX } from '../kv-records.js';
import { toLogError } from './sqlite-database.js';
import { storedVersionText } from './sqlite-schema.js';
import { SqliteEventLog } from './sqlite-event-log.js';

/** What `pruneFinished` removed (or, on a dry run, would remove). */
export interface PruneResult {
  readonly transactions: number;
  readonly events: number;
  readonly states: number;
}

/** Transactions per SQLite transaction: each commit frees its pages for the next appends. */
const PRUNE_CHUNK = 1000;

/**
 * What the highest gid number is kept under when its transaction is pruned: SQLite numbers a new
 * row after the highest one, so dropping it would hand its number out again, and keeping the row
 * under its own gid would give that gid, submitted again, its old (lower) number: `all` lists by
 * number. A reserved gid (clients cannot use the prefix) with no transaction row; the previous
 * one is deleted when a higher number takes its place.
 */
export const PRUNED_PLACEHOLDER_GID = `${RESERVED_GID_PREFIX}pruned`;

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

interface Statements {
  readonly candidates: Database.Statement<[number, number, number], { id: number }>;
  readonly countEvents: Database.Statement<[number], { n: number }>;
  readonly countStates: Database.Statement<[number], { n: number }>;
  readonly deleteEvents: Database.Statement<[number]>;
  readonly deleteState: Database.Statement<[number]>;
  readonly deleteTransaction: Database.Statement<[number]>;
  readonly deleteGid: Database.Statement<[number]>;
  readonly deletePlaceholder: Database.Statement<[string]>;
  readonly renameGid: Database.Statement<[string, number]>;
  readonly maxGidId: Database.Statement<[], { id: number | null }>;
}

/**
 * The embedded log opened by `dtx prune` (src/cli/prune-command.ts): offline, with the data dir's
 * lock, so no dtx runs on it meanwhile — a running engine may hold a finished transaction it just
 * loaded and append to it, and its gid must not vanish under it.
 *
 * A pruned transaction leaves nothing behind: its events, stored state, projection row and gid are
 * deleted together, so every transaction that stays keeps its whole history (`dtx replay --all`
 * verifies the rest as before) and its gid may be used again for a new transaction, as after dtm's
 * `FinishedDataExpire` on Redis. Numbers are never handed out twice (PRUNED_PLACEHOLDER_GID; the
 * `all` cursor is one). SQLite reuses the freed pages for later appends; the file itself shrinks
 * only with `vacuum`. A version 1 log is refused by the command (opening converts it).
 */
export class SqlitePruneLog extends SqliteEventLog {
  /**
   * Deletes every finished transaction whose row last changed (its finish: a finished transaction
   * takes no more events) before `before`, epoch ms, in chunks of PRUNE_CHUNK; `dryRun` counts only.
   */
  pruneFinished(before: number, dryRun = false, onChunk?: (done: PruneResult) => void): PruneResult {
    this.ensureOpen();
    const s = this.#statements();
    const keepGid = s.maxGidId.get()?.id ?? 0;
    let total: PruneResult = { transactions: 0, events: 0, states: 0 };
    const count = (ids: readonly number[]): PruneResult => {
      let events = 0;
      let states = 0;
      for (const id of ids) {
        events += s.countEvents.get(id)?.n ?? 0;
        states += s.countStates.get(id)?.n ?? 0;
      }
      return { transactions: ids.length, events, states };
    };
    const remove = this.db.transaction((ids: readonly number[]): PruneResult => {
      let events = 0;
      let states = 0;
      for (const id of ids) {
        events += s.deleteEvents.run(id).changes;
        states += s.deleteState.run(id).changes;
        s.deleteTransaction.run(id);
        if (id !== keepGid) s.deleteGid.run(id);
        else {
          s.deletePlaceholder.run(PRUNED_PLACEHOLDER_GID);
          s.renameGid.run(PRUNED_PLACEHOLDER_GID, id);
        }
      }
      return { transactions: ids.length, events, states };
    });
    try {
      for (let after = 0; ; ) {
        const ids = s.candidates.all(after, before, PRUNE_CHUNK).map((r) => r.id);
        if (ids.length === 0) return total;
        const done = dryRun ? count(ids) : remove.immediate(ids);
        total = { transactions: total.transactions + done.transactions, events: total.events + done.events, states: total.states + done.states };
        onChunk?.(total);
        after = ids.at(-1)!;
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

  #statements(): Statements {
    const db = this.db;
    return {
      candidates: db.prepare<[number, number, number], { id: number }>('SELECT id FROM transactions WHERE id > ? AND finished = 1 AND update_time < ? ORDER BY id LIMIT ?'),
      countEvents: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM events WHERE tid = ?'),
      countStates: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM states WHERE id = ?'),
      deleteEvents: db.prepare<[number]>('DELETE FROM events WHERE tid = ?'),
      deleteState: db.prepare<[number]>('DELETE FROM states WHERE id = ?'),
      deleteTransaction: db.prepare<[number]>('DELETE FROM transactions WHERE id = ?'),
      deleteGid: db.prepare<[number]>('DELETE FROM gids WHERE id = ?'),
      deletePlaceholder: db.prepare<[string]>('DELETE FROM gids WHERE gid = ?'),
      renameGid: db.prepare<[string, number]>('UPDATE gids SET gid = ? WHERE id = ?'),
      maxGidId: db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM gids'),
    };
  }
}
