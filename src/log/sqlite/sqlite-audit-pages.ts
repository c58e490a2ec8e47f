/**
 * Pages of transactions with their events, as `SqliteEventLog.scanAll` yields them, read by id
 * range from a connection of its own: the parallel `dtx replay --all` gives each worker process one
 * (src/audit/parallel-replay.ts). The file must not be held in SQLite's EXCLUSIVE locking mode by
 * another connection; the audit's own log is opened with `sharedReaders` for that.
 */
import Database from 'better-sqlite3';
import { decodeRecordValue } from '../codec.js';
import type { AuditedProjection, LogRecord, TransSummary } from '../event-log.js';
import { eventsOfIdRangeSql, rowToSummary, type SqliteStatements, type SummaryRow } from './sqlite-statements.js';
import { toLogError } from './sqlite-database.js';

/** A raw row of `scanAll`'s events read (`eventsOfIdRange*`): the transaction's id, then the event's columns. */
export type EventRangeRow = [id: number, seq: number, v: number, type: string, at: number, cmd: string, data: string];

export interface AuditEntry {
  readonly gid: string;
  readonly records: LogRecord[];
  readonly summary: TransSummary;
}

/**
 * Transactions read per page (one statement for their rows, one for their events). Small enough
 * that a page's parsed events die in the young generation while it is audited: pages of 1,000
 * outlived scavenges and were promoted, which cost the audit about a fifth more CPU
 * (docs/benchmarks.md, "Replay").
 */
export const AUDIT_PAGE_TRANSACTIONS = 100;

/** Bytes of the database file mapped into memory per reader (address space, not RSS). */
const MMAP_BYTES = 1 << 30;

/**
 * A raw row of the audit workers' events read: transaction id, then seq, v, type, at, data. The
 * gid is the transaction row's (rows and events pair by its id); `cmd`, the key of the command
 * that made the event, is not read: a fold's status and view do not depend on it (it feeds only
 * the engine's duplicate check), and leaving both strings out made the workers' reads ~15%
 * cheaper (docs/benchmarks.md, "Replay"). Records rebuilt from them (the exact audit's) carry `cmd: ''`.
 */
export type AuditEventRow = [id: number, seq: number, v: number, type: string, at: number, data: string];

/**
 * A record as a fold takes it: its data's keys, then `type` and `at` (the engine's `eventOfRecord`).
 * The audit workers parse each event's data into one and add the two keys, instead of building the
 * record and then copying its data: a spread of objects of every event type's shape took V8's slow
 * generic copy, ~6% of the audit (docs/benchmarks.md, "Replay").
 */
export type RecordEvent = Record<string, unknown> & { type: string; at: number };

/** A transaction of the audit workers' read: its events, their seqs and the projection columns the audit compares. */
export interface WorkerAuditEntry {
  readonly gid: string;
  readonly events: RecordEvent[];
  readonly seqs: number[];
  readonly summary: AuditedProjection;
}

/** A raw row of the audit workers' transactions read: id, gid, status, view. */
type WorkerRow = [id: number, gid: string, status: string, view: string];

const AUDIT_COLUMNS = 'e.seq, e.v, e.type, e.at, e.data';
const AUDIT_ROWS_SQL = 'SELECT id, gid, status, view FROM transactions WHERE id > ? AND id <= ? AND create_time >= ? ORDER BY id';

/**
 * The records of a page's transactions, one transaction after the other in id order, from its
 * events read in id then seq order (`[0]` = id). Events of an id with no transaction row (read
 * without the join: dtx's reserved keys) are skipped. `withCmd`: the rows hold `cmd` before
 * `data` (EventRangeRow), else not (AuditEventRow: records with `cmd: ''`).
 */
class EventCursor {
  #k = 0;

  constructor(
    private readonly events: ReadonlyArray<readonly unknown[]>,
    private readonly withCmd: boolean,
  ) {}

  recordsOf(id: number, gid: string): LogRecord[] {
    const records: LogRecord[] = [];
    this.#each(id, (e, data) => records.push(decodeRecordValue({ v: e[2], gid, seq: e[1], type: e[3], at: e[4], data, cmd: this.withCmd ? e[5] : '' })));
    return records;
  }

  /**
   * The events of `id` as folds take them, and their seqs. Each is checked as `recordsOf` checks
   * its record (the same error for a malformed one); the parsed data, owned by nothing else, then
   * gets `type` and `at` as its last keys: the same keys, order and values as `{...data, type, at}`.
   */
  eventsOf(id: number, gid: string): [RecordEvent[], number[]] {
    const events: RecordEvent[] = [];
    const seqs: number[] = [];
    this.#each(id, (e, data) => {
      const r = decodeRecordValue({ v: e[2], gid, seq: e[1], type: e[3], at: e[4], data, cmd: '' });
      const event = r.data as RecordEvent;
      event.type = r.type;
      event.at = r.at;
      events.push(event);
      seqs.push(r.seq);
    });
    return [events, seqs];
  }

  /** Calls `f` with each event row of `id` and its parsed data, in seq order. */
  #each(id: number, f: (row: readonly unknown[], data: unknown) => void): void {
    const events = this.events;
    const dataAt = this.withCmd ? 6 : 5;
    while (this.#k < events.length && (events[this.#k]![0] as number) < id) this.#k++;
    for (; this.#k < events.length && events[this.#k]![0] === id; this.#k++) {
      const e = events[this.#k]!;
      f(e, JSON.parse(e[dataAt] as string) as unknown);
    }
  }
}

/** The summaries of the AUDIT_PAGE_TRANSACTIONS transactions numbered after `after` (changed since `since`, epoch ms; 0: all), and their events. */
export function readAuditPage(stmts: Pick<SqliteStatements, 'allAfter' | 'eventsOfIdRange' | 'eventsOfIdRangeAll'>, after: number, since: number): readonly [Array<SummaryRow & { id: number }>, EventRangeRow[]] {
  const page = stmts.allAfter.all(after, since, AUDIT_PAGE_TRANSACTIONS);
  const last = page.at(-1);
  const events = last === undefined ? [] : since <= 0 ? stmts.eventsOfIdRangeAll.all(after, last.id) : stmts.eventsOfIdRange.all(after, last.id, since);
  return [page, events as EventRangeRow[]];
}

/** A page of `SqliteEventLog.scanAll`: summary rows (ordered by id) with their whole records. */
export function assembleAuditPage(rows: readonly SummaryRow[], events: readonly EventRangeRow[]): AuditEntry[] {
  const cursor = new EventCursor(events, true);
  return rows.map((row) => ({ gid: row.gid, records: cursor.recordsOf(row.id, row.gid), summary: rowToSummary(row) }));
}

export class SqliteAuditPages {
  readonly #db: Database.Database;
  readonly #range: Database.Statement<[number], { lo: number | null; hi: number | null }>;
  readonly #rangeAll: Database.Statement<[], { lo: number | null; hi: number | null }>;
  readonly #rows: Database.Statement<[number, number, number], unknown[]>;
  readonly #events: Database.Statement<[number, number, number], unknown[]>;
  readonly #eventsAll: Database.Statement<[number, number], unknown[]>;

  /** Read-only; throws `LogUnavailable` when the file cannot be opened. */
  constructor(file: string) {
    try {
      this.#db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
      // a page is read once: the OS page cache mapped in beats copying it into a large SQLite cache
      this.#db.pragma(`mmap_size = ${MMAP_BYTES}`);
      this.#range = this.#db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM transactions WHERE create_time >= ?');
      this.#rangeAll = this.#db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM transactions');
      this.#rows = this.#db.prepare<[number, number, number], unknown[]>(AUDIT_ROWS_SQL).raw(true);
      this.#events = this.#db.prepare<[number, number, number], unknown[]>(eventsOfIdRangeSql(AUDIT_COLUMNS, true)).raw(true);
      this.#eventsAll = this.#db.prepare<[number, number], unknown[]>(eventsOfIdRangeSql(AUDIT_COLUMNS, false)).raw(true);
    } catch (err) {
      throw toLogError(err, `open ${file} for the audit`);
    }
  }

  /**
   * Lowest and highest transaction id created at/after `since`; undefined when there is none.
   * Without a `since` the two ends of the id index, not a scan of the table.
   */
  idRange(since: number): { lo: number; hi: number } | undefined {
    const r = since <= 0 ? this.#rangeAll.get() : this.#range.get(since);
    return r?.lo === null || r?.hi === null || r === undefined ? undefined : { lo: r.lo, hi: r.hi };
  }

  /**
   * The transactions with after < id <= upTo created at/after `since`, with their events (as folds
   * take them; no `cmd`: AuditEventRow), read a page of AUDIT_PAGE_TRANSACTIONS ids at a time: the
   * caller audits a page before the next is read.
   */
  *entries(after: number, upTo: number, since: number): Iterable<WorkerAuditEntry> {
    for (let from = after; from < upTo; from += AUDIT_PAGE_TRANSACTIONS) {
      yield* this.#page(from, Math.min(from + AUDIT_PAGE_TRANSACTIONS, upTo), since);
    }
  }

  /** The transactions with after < id <= upTo created at/after `since`, with their events; one read transaction. */
  #page(after: number, upTo: number, since: number): WorkerAuditEntry[] {
    const read = this.#db.transaction(() => {
      const events = since <= 0 ? this.#eventsAll.all(after, upTo) : this.#events.all(after, upTo, since);
      return [this.#rows.all(after, upTo, since) as WorkerRow[], events as AuditEventRow[]] as const;
    });
    const [rows, events] = read();
    const cursor = new EventCursor(events, false);
    return rows.map(([id, gid, status, view]) => {
      const [events, seqs] = cursor.eventsOf(id, gid);
      return { gid, events, seqs, summary: { status, view } };
    });
  }

  close(): void {
    this.#db.close();
  }
}
