/**
 * The embedded EventLog adapter (DESIGN §4): one SQLite database in WAL mode, owned by one process.
 *
 * Contracts beyond the port:
 * - `append` is one SQLite transaction per call (group commit). With `syncCommit` the WAL is fsynced
 *   before the promise resolves; without it a process crash loses nothing but a power loss may lose
 *   the last commits. Reads answer only what is durable: a commit whose fsync is still running on
 *   the thread pool (background-appender.ts) is seen by a read, which then waits for that fsync.
 * - A record whose (gid, seq) already exists rejects the whole batch with `Internal`: the caller's
 *   seq bookkeeping or the fencing is broken, retrying cannot help. SQLite failures reject with
 *   `LogUnavailable` (retryable). Either way nothing of the batch is written.
 * - A transaction is "open" for `scanOpen` when its summary says `finished: false`; the engine
 *   writes a summary with the first events of every transaction.
 * - better-sqlite3 is synchronous: every method completes its SQLite work before its promise settles.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { BadRequest, LogUnavailable } from '../../errors.js';
import type { EventLog, KvPage, KvRow, ListFilter, ListPage, LogRecord, StoredState, StoredTail, TransSummary } from '../event-log.js';
import { queryKvRows, scanKvRows } from './sqlite-kv.js';
import { openDatabase, openOwnershipLock, toLogError, walFileBytes } from './sqlite-database.js';
import { CheckpointWatch } from './checkpoint-watch.js';
import { buildAppendTx } from './sqlite-append.js';
import { backgroundAppender, type Appender } from './background-appender.js';
import { GidFilter } from './gid-filter.js';
import { ensureSchema, SCHEMA_VERSION } from './sqlite-schema.js';
import { takePage } from '../list-page.js';
import { keysetPages, listParams, parsePosition, prepareStatements, readRecords, readTailOf, rowToSummary } from './sqlite-statements.js';
import type { SqliteStatements } from './sqlite-statements.js';
import { AUDIT_PAGE_TRANSACTIONS, assembleAuditPage, readAuditPage } from './sqlite-audit-pages.js';

export interface SqliteEventLogOptions {
  /** Data directory; created when missing. One dtx process owns it at a time. */
  readonly dir: string;
  /** Database file name inside `dir`; default `dtx.db`. */
  readonly fileName?: string;
  /** fsync on every commit. */
  readonly syncCommit: boolean;
  readonly logger?: Logger;
  /** How long `open` waits for another process to release the data dir; default 250 ms. */
  readonly lockTimeoutMs?: number;
  /** Transactions per chunk read by `scanOpen`; default 256. */
  readonly scanChunkSize?: number;
  /**
   * 'inline' (default): one connection, commits fsync on the calling thread. 'background': commits
   * and checkpoints run on the calling thread, their fsyncs on libuv's thread pool
   * (background-appender.ts); a second connection pins the WAL during checkpoints. The data dir is
   * owned through `dtx.lock` either way.
   */
  readonly writer?: 'inline' | 'background';
  /**
   * true: an inline writer's connection leaves SQLite's EXCLUSIVE locking mode off, so other
   * connections of this process can read the file (the parallel `replay --all`). Ownership is
   * `dtx.lock` either way.
   */
  readonly sharedReaders?: boolean;
}

/** Page cache of the connection with background fsyncs: appends near the B-trees' ends, point reads by gid, query pages (2 MiB: as fast as 8 under load, 6 MiB less RSS). */
const READER_CACHE_MIB = 2;

/** What `open` hands the constructor. */
export type SqliteLogParts = [file: string, db: Database.Database, stmts: SqliteStatements, appender: Appender, scanChunkSize: number, logger: Logger | undefined, gids?: GidFilter];

export class SqliteEventLog implements EventLog {
  readonly name = 'sqlite';
  private closed = false;

  /** Use `open` (or a subclass's `open`): it takes the data dir's lock and prepares the parts. */
  constructor(
    /** Absolute path of the database file. */
    readonly file: string,
    protected readonly db: Database.Database,
    protected readonly stmts: SqliteStatements,
    private readonly appender: Appender,
    private readonly scanChunkSize: number,
    private readonly logger: Logger | undefined,
    /** With background fsyncs: the gids the log holds, so a new gid's read costs no SQLite read. */
    private readonly gids?: GidFilter,
  ) {}

  /**
   * Opens (or creates) the log and takes the data dir's exclusive lock. Throws `LogUnavailable` when
   * another process holds it or the file cannot be opened. Synchronous; awaiting it is harmless.
   */
  static open<T extends SqliteEventLog>(this: new (...parts: SqliteLogParts) => T, opts: SqliteEventLogOptions): T {
    const file = path.resolve(opts.dir, opts.fileName ?? 'dtx.db');
    const logger = opts.logger?.child({ component: 'log.sqlite' });
    const lockTimeoutMs = opts.lockTimeoutMs ?? 250;
    const background = opts.writer === 'background';
    // Always owned through dtx.lock: an inline opener (e.g. `dtx replay`) must fail fast while a
    // dtx with background fsyncs runs, rather than read the file past the WAL it cannot see.
    const lock = openOwnershipLock(path.dirname(file), lockTimeoutMs);
    let db: Database.Database;
    try {
      db = openDatabase({ file, syncCommit: opts.syncCommit, lockTimeoutMs, exclusive: !background && opts.sharedReaders !== true, ...(background ? { cacheMiB: READER_CACHE_MIB } : {}) });
    } catch (err) {
      lock.close();
      throw err;
    }
    try {
      const migratedFrom = ensureSchema(db, file);
      if (migratedFrom !== undefined) logger?.info({ file, from: migratedFrom, to: SCHEMA_VERSION }, 'event log converted to the current schema version');
      const stmts = prepareStatements(db);
      const inline = buildAppendTx(db, stmts);
      let appender: Appender = { append: (r, s) => inline(r, s), close: () => { lock.close(); } };
      const gids = background ? new GidFilter() : undefined;
      if (background) appender = backgroundAppender(file, db, inline, opts.syncCommit, () => lock.close(), logger ? { observer: new CheckpointWatch(logger, () => walFileBytes(file)) } : {});
      logger?.info({ file, syncCommit: opts.syncCommit, writer: background ? 'background' : 'inline' }, 'event log opened');
      const log = new this(file, db, stmts, appender, opts.scanChunkSize ?? 256, logger, gids);
      // a failed fill leaves the filter answering "may have": every gid is read, as without it
      gids?.fill(db).catch((err: unknown) => log.closed || logger?.warn({ err }, 'gid filter not filled: new gids are read from the log'));
      return log;
    } catch (err) {
      db.close();
      lock.close();
      throw toLogError(err, `open ${file}`);
    }
  }

  /** Runs `work`, a write outside the commit path (Store.PruneFinishedAfter), when no commit holds the write lock; undefined when it could not run now. */
  writeWhenIdle<T>(work: (db: Database.Database) => T): T | undefined {
    this.ensureOpen();
    return this.appender.whenIdle === undefined ? work(this.db) : this.appender.whenIdle(() => work(this.db));
  }

  async append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    this.ensureOpen();
    if (records.length === 0 && summaries.length === 0) return;
    if (this.gids !== undefined) for (const r of records) this.gids.add(r.gid);
    try {
      await this.appender.append(records, summaries);
    } catch (err) {
      throw toLogError(err, 'append'); // the caller logs it (the engine, through a RepeatGate)
    }
  }

  /** EventLog.failure: a failed fsync of the WAL after commits, or of the database file after a checkpoint. */
  get failure(): Promise<Error> | undefined {
    return this.appender.failure;
  }

  /** Whether `read` answers a gid the log has never held without SQLite (a log with background fsyncs, its gid filter filled). */
  get readsKnowNewGids(): boolean {
    return this.gids?.complete === true;
  }

  async read(gid: string): Promise<LogRecord[]> {
    this.ensureOpen();
    if (this.gids?.mayHave(gid) === false) return [];
    return this.durable(this.query('read', () => readRecords(this.stmts, gid)));
  }

  async readTail(gid: string): Promise<StoredTail> {
    this.ensureOpen();
    if (this.gids?.mayHave(gid) === false) return { records: [] };
    return this.durable(this.query('readTail', () => readTailOf(this.stmts, gid)));
  }

  async *scanOpen(accept?: (gid: string) => boolean): AsyncIterable<{ gid: string } & StoredTail> {
    for (const row of keysetPages((after) => this.query('scanOpen', () => this.stmts.openAfter.all(after, this.scanChunkSize)), this.scanChunkSize)) {
      if (accept === undefined || accept(row.gid)) yield { gid: row.gid, ...(await this.durable(this.query('readTail', () => readTailOf(this.stmts, row.gid)))) };
    }
  }

  /**
   * Pages of AUDIT_PAGE_TRANSACTIONS transactions, each read by two statements with no yield between
   * them (summaries, then their events by id and seq): of one moment even on a log written meanwhile.
   */
  async *scanAll(since: number): AsyncIterable<{ gid: string; records: LogRecord[]; summary: TransSummary }> {
    for (let after = 0; ; ) {
      const [rows, events] = await this.durable(this.query('scanAll', () => readAuditPage(this.stmts, after, since)));
      yield* assembleAuditPage(rows, events);
      if (rows.length < AUDIT_PAGE_TRANSACTIONS) return;
      after = rows.at(-1)!.id;
    }
  }

  /** EventLog.scanStates, in gid-number order. */
  async *scanStates(): AsyncIterable<{ gid: string; state: StoredState }> {
    for (const row of keysetPages((after) => this.query('scanStates', () => this.stmts.statesAfter.all(after, this.scanChunkSize)), this.scanChunkSize)) yield { gid: row.gid, state: JSON.parse(row.state) as StoredState };
  }

  async countAll(since: number): Promise<number> {
    return this.durable(this.query('countAll', () => (since <= 0 ? this.stmts.countAll.get() : this.stmts.countSince.get(since))?.n ?? 0));
  }

  async getSummary(gid: string): Promise<TransSummary | undefined> {
    const row = await this.durable(this.query('getSummary', () => this.stmts.getSummary.get(gid)));
    return row === undefined ? undefined : rowToSummary(row);
  }

  async list(filter: ListFilter): Promise<ListPage> {
    this.ensureOpen();
    if (!Number.isSafeInteger(filter.limit)) throw new BadRequest(`invalid limit: ${filter.limit}`);
    if (filter.limit < 1) return { items: [], nextPosition: '' };
    const position = parsePosition(filter.position);
    // iterated, not `all()`: a page stops at LIST_PAGE_VIEW_CHARS without reading the rows after it
    return this.durable(this.query('list', () => takePage(this.stmts.list(filter, position !== undefined).iterate(listParams(filter, position)), filter.limit, rowToSummary, (r) => r.id)));
  }

  async listScheduledAfter(after: number, limit: number): Promise<TransSummary[]> {
    this.ensureOpen();
    if (limit < 1) return [];
    return this.durable(this.query('listScheduledAfter', () => this.stmts.scheduledAfter.all(after, limit).map(rowToSummary)));
  }

  async scanKV(cat: string, position: string, limit: number): Promise<KvPage> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new BadRequest(`invalid limit: ${limit}`);
    return this.durable(this.query('scanKV', () => scanKvRows(this.stmts, cat, position, limit)));
  }

  async queryKV(cat: string, key: string): Promise<KvRow[]> {
    return this.durable(this.query('queryKV', () => queryKvRows(this.stmts, cat, key)));
  }

  /** Checkpoints the WAL and releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.appender.close();
      this.db.close();
    } catch (err) {
      throw toLogError(err, 'close');
    }
    this.logger?.info({ file: this.file }, 'event log closed');
  }

  /** `result` of a read, once every commit it may have seen is durable (the header's contract). */
  private async durable<T>(result: T): Promise<T> {
    await this.appender.settled?.();
    return result;
  }

  /** Runs one read statement on the open log, mapping SQLite failures to LogUnavailable. */
  private query<T>(what: string, run: () => T): T {
    this.ensureOpen();
    try {
      return run();
    } catch (err) {
      throw toLogError(err, what);
    }
  }

  protected ensureOpen(): void {
    if (this.closed) throw new LogUnavailable(`event log ${this.file} is closed`);
  }
}
