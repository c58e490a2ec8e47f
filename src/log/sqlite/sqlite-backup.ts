import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LogUnavailable } from '../../errors.js';
import { isDataDirLocked, openDatabase, openOwnershipLock, toLogError } from './sqlite-database.js';
import { storedVersionText } from './sqlite-schema.js';

/** The embedded log's file in its data dir. */
export const LOG_FILE = 'dtx.db';

/** What a backup or a restore holds, as checked on the copy it wrote. */
export interface CopiedLog {
  readonly transactions: number;
  readonly events: number;
  readonly bytes: number;
}

/** The suffix of a copy not finished yet: a crash leaves it, never a file under the final name. */
const PARTIAL = '.dtx-partial';

/**
 * `dtx backup`: a consistent copy of the data dir's log written to `dest` (which must not exist),
 * whether a dtx runs on it or not. The copy is SQLite's `VACUUM INTO`, one read transaction: it
 * holds every transaction acknowledged before it began, nothing half-written, and no free pages.
 * - No dtx runs (the data dir's lock is free): the lock is held while copying (a dtx started
 *   meanwhile is refused as for a second one), and the log is opened as dtx opens it, so a WAL
 *   left by a crash is part of the copy.
 * - A dtx runs: a read-only connection beside it (the log is in shared WAL mode: readers do not
 *   block its writer). Its checkpoints cannot pass the copy's snapshot meanwhile, so its WAL grows
 *   for the copy's duration, and shrinks at the checkpoints after.
 * The copy is written under a temporary name, fsynced, checked (SQLite's quick_check, a dtx log),
 * and renamed into place; `online` says which of the two it was.
 */
export function backupLog(dir: string, dest: string): CopiedLog & { readonly online: boolean } {
  const file = path.join(dir, LOG_FILE);
  if (!fs.existsSync(file)) throw new LogUnavailable(`${dir} holds no dtx log (no ${LOG_FILE})`);
  if (fs.existsSync(dest)) throw new LogUnavailable(`${dest} exists: a backup does not replace a file`);
  const partial = `${dest}${PARTIAL}`;
  fs.rmSync(partial, { force: true });
  let lock: Database.Database | undefined;
  try {
    lock = openOwnershipLock(dir, 0);
  } catch (err) {
    if (!isDataDirLocked(err)) throw err;
  }
  try {
    const db = lock !== undefined
      ? openDatabase({ file, syncCommit: true, lockTimeoutMs: 0, exclusive: false })
      : new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
    try {
      db.prepare('VACUUM INTO ?').run(partial);
    } catch (err) {
      throw toLogError(err, `copy ${file} to ${partial}`);
    } finally {
      db.close();
    }
    return { ...placeCopy(partial, dest), online: lock === undefined };
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  } finally {
    lock?.close();
  }
}

/**
 * `dtx restore`: `backup` (a file `dtx backup` wrote) becomes the data dir's log. Offline (the
 * data dir's lock is held meanwhile) and only into a data dir without a log: a log is never
 * replaced, the operator moves it away first. The backup is checked before anything is written.
 */
export function restoreLog(backup: string, dir: string): CopiedLog {
  checkedCopy(backup);
  fs.mkdirSync(dir, { recursive: true });
  const lock = openOwnershipLock(dir, 0);
  const file = path.join(dir, LOG_FILE);
  try {
    if (fs.existsSync(file)) throw new LogUnavailable(`${dir} already holds a log (${LOG_FILE}): move it away first, or restore into another data dir`);
    for (const f of [`${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true }); // left by a log moved away: not this one's
    const partial = `${file}${PARTIAL}`;
    try {
      fs.copyFileSync(backup, partial);
      return placeCopy(partial, file);
    } catch (err) {
      fs.rmSync(partial, { force: true });
      throw err;
    }
  } finally {
    lock.close();
  }
}

/** fsyncs `partial`, checks it, renames it to `final` (which must not exist) and fsyncs the folder. */
function placeCopy(partial: string, final: string): CopiedLog {
  fsyncPath(partial);
  const copied = checkedCopy(partial);
  if (fs.existsSync(final)) throw new LogUnavailable(`${final} appeared while copying: it is left as it is`);
  fs.renameSync(partial, final);
  fsyncPath(path.dirname(final));
  return copied;
}

/** fsync of a file or a folder (its entries). */
function fsyncPath(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A dtx log file that passes SQLite's quick_check: what it holds; a LogUnavailable naming `file` otherwise. */
function checkedCopy(file: string): CopiedLog {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw toLogError(err, `open ${file}`);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new LogUnavailable(`${file} is damaged (SQLite quick_check: ${String(check)})`);
    if (storedVersionText(db) === undefined) throw new LogUnavailable(`${file} is not a dtx log (no schema version)`);
    const count = (table: string) => db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
    return { transactions: count('transactions'), events: count('events'), bytes: fs.statSync(file).size };
  } catch (err) {
    throw err instanceof LogUnavailable ? err : new LogUnavailable(`${file} is not a dtx log (${(err as Error).message})`, { cause: err });
  } finally {
    db.close();
  }
}
