import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { LogUnavailable } from '../../errors.js';
import { isDataDirLocked, isSqliteError, openDatabase, openOwnershipLock, toLogError } from './sqlite-database.js';
import { storedVersionText } from './sqlite-schema.js';

/** The embedded log's file in its data dir. */
export const LOG_FILE = 'dtx.db';

/** What a backup or a restore holds, as checked on the copy it wrote. */
export interface CopiedLog {
  readonly transactions: number;
  readonly events: number;
  readonly bytes: number;
}

/** A copy not finished yet, one name per process: a crash leaves it (refused until removed), never a file under the final name. */
const partialOf = (final: string): string => `${final}.dtx-partial-${process.pid}`;

/** A log holds payloads and forwarded headers (credentials): its copies are its owner's alone. */
const COPY_MODE = 0o600;

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
 * The copy is written into a file made first, its owner's alone (COPY_MODE), flushed as it grows,
 * checked (SQLite's quick_check, a dtx log) and linked into place; `online` says which it was.
 */
export function backupLog(dir: string, dest: string): CopiedLog & { readonly online: boolean } {
  const file = path.join(dir, LOG_FILE);
  if (!fs.existsSync(file)) throw new LogUnavailable(`${dir} holds no dtx log (no ${LOG_FILE})`);
  if (!fs.statSync(path.dirname(dest), { throwIfNoEntry: false })?.isDirectory()) throw new LogUnavailable(`${path.dirname(dest)} is not a folder: the backup goes into an existing one`);
  if (fs.existsSync(dest)) throw new LogUnavailable(`${dest} exists: a backup does not replace a file`);
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
    const busy = 'the log is held by another dtx command that keeps it to itself (prune, restore): back up when it is done';
    try {
      return { ...copyInto(db, file, dest, lock === undefined ? busy : undefined), online: lock === undefined };
    } finally {
      db.close();
    }
  } finally {
    lock?.close();
  }
}

/**
 * `dtx restore`: `backup` (a file `dtx backup` wrote) becomes the data dir's log. Offline (the
 * data dir's lock is held meanwhile) and only into a data dir without a log: a log is never
 * replaced, the operator moves it away first, with its WAL (a WAL left behind may hold the last
 * commits of that log: refused, never deleted). The backup is checked, then copied with
 * `VACUUM INTO` (a backup that is itself in WAL mode is copied with its WAL's commits).
 */
export function restoreLog(backup: string, dir: string): CopiedLog {
  const source = openLog(backup);
  try {
    inspect(source, backup);
    fs.mkdirSync(dir, { recursive: true });
    const lock = openOwnershipLock(dir, 0);
    const file = path.join(dir, LOG_FILE);
    try {
      if (fs.existsSync(file)) throw new LogUnavailable(`${dir} already holds a log (${LOG_FILE}): move it away first, or restore into another data dir`);
      const wal = fs.statSync(`${file}-wal`, { throwIfNoEntry: false });
      if ((wal !== undefined && wal.size > 0) || fs.existsSync(`${file}-journal`)) {
        throw new LogUnavailable(`${dir} holds ${LOG_FILE}-wal or -journal without ${LOG_FILE}: it may hold the last commits of the log moved away; move it (and ${LOG_FILE}-shm) along with that log, then restore`);
      }
      for (const f of [`${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true }); // empty, or an index: nothing of any log in them
      return copyInto(source, backup, file);
    } finally {
      lock.close();
    }
  } finally {
    source.close();
  }
}

/** `VACUUM INTO` a name of its own next to `final`, then placed; `busy`: what SQLITE_BUSY means here. */
function copyInto(db: Database.Database, from: string, final: string, busy?: string): CopiedLog {
  const partial = partialOf(final);
  let fd: number;
  try {
    // made here, empty and the owner's alone, before SQLite fills it (it takes an empty file)
    fd = fs.openSync(partial, 'wx', COPY_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new LogUnavailable(`${partial} exists: another copy to ${final} runs, or one was interrupted (remove it when none runs)`);
    throw err;
  }
  try {
    try {
      const stopFlushing = flushGradually(fd);
      try {
        db.prepare('VACUUM INTO ?').run(partial);
      } finally {
        stopFlushing();
      }
      fs.fsyncSync(fd);
    } catch (err) {
      if (busy !== undefined && isSqliteError(err) && err.code === 'SQLITE_BUSY') throw new LogUnavailable(busy, { cause: err });
      throw toLogError(err, `copy ${from} to ${partial}`);
    } finally {
      fs.closeSync(fd); // after SQLite closed the file: closing drops this process's POSIX locks on it
    }
    const copied = inspect(openLog(partial), partial, true);
    placeNew(partial, final);
    fsyncPath(path.dirname(final));
    return copied;
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

/** `partial` also named `final`, which must not exist: a link fails where a file appeared meanwhile (nothing is replaced). */
function placeNew(partial: string, final: string): void {
  try {
    fs.linkSync(partial, final);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new LogUnavailable(`${final} appeared while copying: it is left as it is`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    // a file system without hard links: checked, then renamed (the check and the rename are two steps there)
    if (fs.existsSync(final)) throw new LogUnavailable(`${final} appeared while copying: it is left as it is`);
    fs.renameSync(partial, final);
  }
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

function openLog(file: string): Database.Database {
  try {
    return new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw toLogError(err, `open ${file}`);
  }
}

/** What the dtx log open in `db` holds, after SQLite's quick_check; a LogUnavailable naming `file` otherwise. */
function inspect(db: Database.Database, file: string, close = false): CopiedLog {
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new LogUnavailable(`${file} is damaged (SQLite quick_check: ${String(check)})`);
    if (storedVersionText(db) === undefined) throw new LogUnavailable(`${file} is not a dtx log (no schema version)`);
    const count = (table: string) => db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
    return { transactions: count('transactions'), events: count('events'), bytes: fs.statSync(file).size };
  } catch (err) {
    throw err instanceof LogUnavailable ? err : new LogUnavailable(`${file} is not a dtx log (${(err as Error).message})`, { cause: err });
  } finally {
    if (close) db.close();
  }
}

/** How often the file being written is flushed while it grows. */
const GRADUAL_FLUSH_INTERVAL_MS = 100;
/** How long a stop waits for the flusher's last fdatasync. */
const FLUSH_STOP_WAIT_MS = 30_000;

/**
 * The flusher's thread: every `intervalMs` it fdatasyncs `fd` (this process's descriptor of the
 * file being written: descriptors are shared between threads) until told to stop; it counts its
 * flushes in slot 2 and sets slot 1 when it ends. Plain JavaScript run with `eval`.
 */
const FLUSHER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const flags = new Int32Array(workerData.flags);
try {
  while (Atomics.wait(flags, 0, 0, workerData.intervalMs) === 'timed-out') {
    try {
      fs.fdatasyncSync(workerData.fd);
      Atomics.add(flags, 2, 1);
    } catch {
      // a flush that fails only leaves more for the final fsync
    }
  }
} finally {
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
}
`;

/**
 * Flushes the file behind `fd` every `intervalMs` while a synchronous writer on this thread
 * (SQLite's `VACUUM INTO` in `dtx backup`) fills it, so the disk takes its pages in small bursts.
 * Left to one sync at the end, hundreds of MB went to the disk at once, and the fdatasyncs of a
 * dtx serving beside it waited behind them: commits stalled for 0.6-1.1 s at the end of each
 * online copy on the bench VM (docs/benchmarks.md, "Backup under load"). Returns the stop, which
 * waits (at most FLUSH_STOP_WAIT_MS) for the flush in progress and answers how many were made; a
 * thread that cannot be started only means no flushing.
 */
export function flushGradually(fd: number, intervalMs = GRADUAL_FLUSH_INTERVAL_MS): () => number {
  const flags = new Int32Array(new SharedArrayBuffer(12));
  let worker: Worker;
  try {
    worker = new Worker(FLUSHER, { eval: true, workerData: { fd, intervalMs, flags: flags.buffer } });
  } catch {
    return () => 0;
  }
  worker.unref();
  worker.on('error', () => undefined);
  return () => {
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    Atomics.wait(flags, 1, 0, FLUSH_STOP_WAIT_MS);
    return Atomics.load(flags, 2);
  };
}
