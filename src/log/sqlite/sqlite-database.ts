/**
 * Opens the SQLite database of the embedded log, takes its single-writer lock and maps SQLite
 * failures to the coordinator's errors.
 *
 * Ownership lock (DESIGN §2 "one writer per partition, fenced"): `PRAGMA locking_mode = EXCLUSIVE`
 * is set before the first access, then WAL is entered. In that mode SQLite keeps the WAL index in
 * heap memory (no -shm file) and holds an EXCLUSIVE lock on the database file from the first read
 * until the connection closes, so any other process (a second dtx, or the sqlite3 shell) gets
 * SQLITE_BUSY. The lock is a POSIX advisory lock owned by the process: the kernel drops it when the
 * process exits for any reason, SIGKILL included, so there is no stale lock file to clean up, no
 * pid-reuse race, and the next owner recovers the WAL on open.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { errorChain, Internal, LogUnavailable } from '../../errors.js';

export interface SqliteOpenOptions {
  readonly file: string;
  /** fsync the WAL on every commit (synchronous = FULL); NORMAL otherwise (durable at checkpoint). */
  readonly syncCommit: boolean;
  /** How long to wait for another process to release the database before failing (ms). */
  readonly lockTimeoutMs: number;
  /**
   * true (default): this connection owns the file (EXCLUSIVE locking mode, the ownership lock).
   * false: shared WAL mode, for the reader + background-writer pair; ownership is then held by
   * `openOwnershipLock` on a separate lock file.
   */
  readonly exclusive?: boolean;
  /**
   * Page cache of this connection, MiB (default 32). It fills up to the size of the pages the
   * connection touches, so on a growing log it is RSS that stays: the reader + background-writer
   * pair asks for less (gids are random, a large cache buys few hits on them).
   */
  readonly cacheMiB?: number;
}

/** Busy timeout once we own the database: only our own checkpoints can contend. */
const BUSY_TIMEOUT_MS = 5000;

/** Opens (creating the directory if needed), locks and tunes the database. */
export function openDatabase(opts: SqliteOpenOptions): Database.Database {
  const dir = path.dirname(opts.file);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new LogUnavailable(`cannot create data dir ${dir}: ${(err as Error).message}`, { cause: err });
  }
  let db: Database.Database;
  try {
    db = new Database(opts.file, { timeout: opts.lockTimeoutMs });
  } catch (err) {
    throw toLogError(err, `open ${opts.file}`);
  }
  try {
    // Order matters: EXCLUSIVE before WAL is first used, so no shared-memory index is ever created.
    if (opts.exclusive !== false) db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new LogUnavailable(`${opts.file}: cannot enter WAL mode (got ${String(mode)})`);
  } catch (err) {
    db.close();
    if (isSqliteError(err) && (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED')) {
      throw new LogUnavailable(
        `event log ${opts.file} is locked by another process (another dtx using the same data dir?)`,
        { cause: err },
      );
    }
    throw toLogError(err, `open ${opts.file}`);
  }
  try {
    db.pragma(`synchronous = ${opts.syncCommit ? 'FULL' : 'NORMAL'}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('temp_store = MEMORY');
    db.pragma(`cache_size = -${(opts.cacheMiB ?? 32) * 1024}`); // negative: KiB
    db.pragma('journal_size_limit = 67108864'); // truncate the WAL back to 64 MiB after checkpoints
  } catch (err) {
    db.close();
    throw toLogError(err, `configure ${opts.file}`);
  }
  return db;
}

/**
 * The data dir's ownership lock when the log uses two connections (main-thread reader, worker
 * writer): an EXCLUSIVE-mode SQLite file `dtx.lock` whose exclusive lock is held from open until
 * close. Same kernel-lock properties as above: released on any process exit, SIGKILL included.
 * The owner's pid is written into it for people; on a full disk the lock is held by an open
 * EXCLUSIVE transaction instead, so dtx starts and serves its log's reads.
 */
export function openOwnershipLock(dir: string, lockTimeoutMs: number): Database.Database {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'dtx.lock');
  const db = new Database(file, { timeout: lockTimeoutMs });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    try {
      db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER); BEGIN EXCLUSIVE; DELETE FROM owner; INSERT INTO owner VALUES (' + String(process.pid) + '); COMMIT;');
    } catch (err) {
      // a full disk: the pid (or, in a new file, its table) cannot be written; an open EXCLUSIVE
      // transaction holds the lock all the same. A new data dir then fails at its log's open.
      if (!isDiskFull(err)) throw err;
      if (db.inTransaction) db.exec('ROLLBACK');
      db.exec('BEGIN EXCLUSIVE');
    }
  } catch (err) {
    db.close();
    if (isSqliteError(err) && (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED')) {
      throw new LogUnavailable(`event log in ${dir} is locked by another process (another dtx using the same data dir?)`, { cause: err });
    }
    throw toLogError(err, `lock ${file}`);
  }
  return db;
}

/** True for the error `open` throws when another process owns the data dir (SQLITE_BUSY on its lock). */
export function isDataDirLocked(err: unknown): boolean {
  if (!(err instanceof LogUnavailable)) return false;
  const cause = err.cause;
  return isSqliteError(cause) && (cause.code === 'SQLITE_BUSY' || cause.code === 'SQLITE_LOCKED');
}

/** True for a failure of the log because its disk is full (SQLITE_FULL: an append's, a lock's, an open's; ENOSPC: a file of dtx's own). */
export function isDiskFull(err: unknown): boolean {
  return errorChain(err).some((e) => {
    const code = (e as { code?: unknown }).code;
    return code === 'ENOSPC' || (isSqliteError(e) && code === 'SQLITE_FULL');
  });
}

export function isSqliteError(err: unknown): err is InstanceType<typeof Database.SqliteError> {
  return err instanceof Database.SqliteError;
}

/**
 * SQLite failures become `LogUnavailable` (retryable: disk full, I/O error, busy, ...), except
 * constraint and type violations, which are bugs in what we were asked to store (`Internal`). Our own
 * CoordinatorErrors and programmer errors (TypeError from a bad binding) pass through unchanged.
 */
export function toLogError(err: unknown, doing: string): unknown {
  if (!isSqliteError(err)) return err;
  if (err.code.startsWith('SQLITE_CONSTRAINT') || err.code === 'SQLITE_MISMATCH') {
    return new Internal(`event log: ${doing} rejected: ${err.code}: ${err.message}`, { cause: err });
  }
  return new LogUnavailable(`event log: ${doing} failed: ${err.code}: ${err.message}`, { cause: err });
}

/** Bytes of the WAL file of the log at `file` now, 0 without one, NaN when it cannot be looked at (`dtx_log_wal_bytes`). Never throws. */
export function walFileBytes(file: string): number {
  try {
    return fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return Number.NaN;
  }
}
