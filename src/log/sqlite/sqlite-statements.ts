/**
 * Every SQL statement of the SQLite event log, prepared once per connection, plus row mapping.
 * Listing queries depend on which filters are present; each combination is prepared on first use
 * and cached (at most 32 variants).
 */
import { BadRequest } from '../../errors.js';
import type Database from 'better-sqlite3';
import type { ListFilter, LogRecord, StoredState, StoredTail, TransSummary } from '../event-log.js';
import { decodeRecordValue } from '../codec.js';
import { prepareKvStatements, type KvStatements } from './sqlite-kv.js';

export interface EventRow {
  readonly gid: string;
  readonly seq: number;
  readonly v: number;
  readonly type: string;
  readonly at: number;
  readonly cmd: string;
  readonly data: string;
}

export interface SummaryRow {
  readonly id: number;
  readonly gid: string;
  readonly trans_type: string;
  readonly status: string;
  readonly create_time: number;
  readonly update_time: number;
  readonly next_cron_time: number | null;
  readonly finished: number;
  readonly view: string;
}

/** Positional parameters of `insertEvent`: tid (the gid's id), seq, v, type, at, cmd, data. */
type EventParams = [number, number, number, string, number, string, string];
/** Positional parameters of `upsertSummary`: id (the gid's), gid, trans_type, status, create, update, next_cron, finished, view. */
type SummaryParams = [number, string, string, string, number, number, number | null, number, string];

export const SUMMARY_COLUMNS = 'id, gid, trans_type, status, create_time, update_time, next_cron_time, finished, view';

/**
 * The events of the transactions with after < id <= last (parameters in that order, then `since`
 * when `bySince`), ordered by id then seq; read raw: the transaction's id, then `columns` of `e`.
 * By `since`, through the transaction rows (their create_time); without, straight from the events'
 * key, no join (~20% cheaper), which also yields the events of ids that have no transaction row
 * (dtx's reserved keys): the audit's pairing skips them (sqlite-audit-pages.ts, `EventCursor`).
 */
export function eventsOfIdRangeSql(columns: string, bySince: boolean): string {
  return bySince
    ? `SELECT t.id, ${columns} FROM transactions t JOIN events e ON e.tid = t.id WHERE t.id > ? AND t.id <= ? AND t.create_time >= ? ORDER BY t.id, e.seq`
    : `SELECT e.tid, ${columns} FROM events e WHERE e.tid > ? AND e.tid <= ? ORDER BY e.tid, e.seq`;
}

/** The columns of whole records in `eventsOfIdRangeSql`: rows `[id, seq, v, type, at, cmd, data]`. */
const RECORD_COLUMNS = 'e.seq, e.v, e.type, e.at, e.cmd, e.data';

export interface SqliteStatements extends KvStatements {
  readonly insertEvent: Database.Statement<EventParams>;
  /** The id of a gid (`gids`), plucked; undefined when the log has none for it. */
  readonly gidId: Database.Statement<[string], number>;
  readonly insertGid: Database.Statement<[string]>;
  readonly upsertSummary: Database.Statement<SummaryParams>;
  readonly readEvents: Database.Statement<[string], EventRow>;
  /** The events of a gid after a seq, in seq order (the tail after its stored state). */
  readonly readEventsAfter: Database.Statement<[string, number], EventRow>;
  /** Positional parameters: the gid's id, seq, the StoredState's JSON; an older state never replaces a newer one. */
  readonly upsertState: Database.Statement<[number, number, string]>;
  readonly stateOf: Database.Statement<[string], { seq: number; state: string }>;
  /** Stored states after a gid number, in its order, at most `limit` (the audit). */
  readonly statesAfter: Database.Statement<[number, number], { id: number; gid: string; state: string }>;
  readonly getSummary: Database.Statement<[string], SummaryRow>;
  readonly openAfter: Database.Statement<[number, number], { id: number; gid: string }>;
  readonly allAfter: Database.Statement<[number, number, number], SummaryRow & { id: number }>;
  readonly countSince: Database.Statement<[number], { n: number }>;
  /** Every transaction: counted on the smallest index (`transactions_status`), not a scan of the rows. */
  readonly countAll: Database.Statement<[], { n: number }>;
  /**
   * Raw rows `[id, seq, v, type, at, cmd, data]`: the events of the transactions with
   * after < id <= last created at/after `since`, ordered by id then seq (one page of `scanAll`).
   */
  readonly eventsOfIdRange: Database.Statement<[number, number, number], unknown[]>;
  /** `eventsOfIdRange` without `since`: every event with after < id <= last, no join. */
  readonly eventsOfIdRangeAll: Database.Statement<[number, number], unknown[]>;
  readonly scheduledAfter: Database.Statement<[number, number], SummaryRow>;
  readonly maxSeq: Database.Statement<[string], { seq: number | null }>;
  readonly getMeta: Database.Statement<[string], { value: string }>;
  readonly putMeta: Database.Statement<[string, string]>;
  /** The listing statement for this filter's shape (named parameters, see `listParams`). */
  list(filter: ListFilter, hasPosition: boolean): Database.Statement<[Record<string, number | string>], SummaryRow>;
}

export function prepareStatements(db: Database.Database): SqliteStatements {
  const listCache = new Map<number, Database.Statement<[Record<string, number | string>], SummaryRow>>();
  return {
    ...prepareKvStatements(db),
    insertEvent: db.prepare<EventParams>(
      'INSERT INTO events (tid, seq, v, type, at, cmd, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    gidId: db.prepare<[string], number>('SELECT id FROM gids WHERE gid = ?').pluck(),
    insertGid: db.prepare<[string]>('INSERT INTO gids (gid) VALUES (?)'),
    // gid, trans_type and create_time never change after the first insert: leaving them out of
    // the SET list spares their writes
    upsertSummary: db.prepare<SummaryParams>(
      `INSERT INTO transactions (id, gid, trans_type, status, create_time, update_time, next_cron_time, finished, view)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, update_time = excluded.update_time,
         next_cron_time = excluded.next_cron_time, finished = excluded.finished, view = excluded.view`,
    ),
    readEvents: db.prepare<[string], EventRow>(
      'SELECT g.gid AS gid, e.seq, e.v, e.type, e.at, e.cmd, e.data FROM gids g JOIN events e ON e.tid = g.id WHERE g.gid = ? ORDER BY e.seq',
    ),
    readEventsAfter: db.prepare<[string, number], EventRow>(
      'SELECT g.gid AS gid, e.seq, e.v, e.type, e.at, e.cmd, e.data FROM gids g JOIN events e ON e.tid = g.id WHERE g.gid = ? AND e.seq > ? ORDER BY e.seq',
    ),
    upsertState: db.prepare<[number, number, string]>(
      'INSERT INTO states (id, seq, state) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, state = excluded.state WHERE excluded.seq > states.seq',
    ),
    stateOf: db.prepare<[string], { seq: number; state: string }>('SELECT s.seq, s.state FROM gids g JOIN states s ON s.id = g.id WHERE g.gid = ?'),
    statesAfter: db.prepare<[number, number], { id: number; gid: string; state: string }>('SELECT s.id, g.gid, s.state FROM states s JOIN gids g ON g.id = s.id WHERE s.id > ? ORDER BY s.id LIMIT ?'),
    getSummary: db.prepare<[string], SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM transactions WHERE id = (SELECT id FROM gids WHERE gid = ?)`),
    openAfter: db.prepare<[number, number], { id: number; gid: string }>(
      'SELECT id, gid FROM transactions WHERE finished = 0 AND id > ? ORDER BY id LIMIT ?',
    ),
    allAfter: db.prepare<[number, number, number], SummaryRow & { id: number }>(
      `SELECT id, ${SUMMARY_COLUMNS} FROM transactions WHERE id > ? AND create_time >= ? ORDER BY id LIMIT ?`,
    ),
    countSince: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM transactions WHERE create_time >= ?'),
    countAll: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM transactions'),
    // walks transactions by id and each one's (tid, seq) range of the events key: no sort
    eventsOfIdRange: db.prepare<[number, number, number], unknown[]>(eventsOfIdRangeSql(RECORD_COLUMNS, true)).raw(true),
    eventsOfIdRangeAll: db.prepare<[number, number], unknown[]>(eventsOfIdRangeSql(RECORD_COLUMNS, false)).raw(true),
    maxSeq: db.prepare<[string], { seq: number | null }>('SELECT MAX(e.seq) AS seq FROM gids g JOIN events e ON e.tid = g.id WHERE g.gid = ?'),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    putMeta: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    scheduledAfter: db.prepare<[number, number], SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM transactions
       WHERE finished = 0 AND next_cron_time > ? ORDER BY next_cron_time, id LIMIT ?`,
    ),
    list(filter, hasPosition) {
      const key =
        (filter.status !== undefined ? 1 : 0) |
        (filter.transType !== undefined ? 2 : 0) |
        (filter.createTimeStart !== undefined ? 4 : 0) |
        (filter.createTimeEnd !== undefined ? 8 : 0) |
        (hasPosition ? 16 : 0);
      let stmt = listCache.get(key);
      if (stmt === undefined) {
        const where: string[] = [];
        if (key & 1) where.push('status = @status');
        if (key & 2) where.push('trans_type = @transType');
        if (key & 4) where.push('create_time >= @createTimeStart');
        if (key & 8) where.push('create_time <= @createTimeEnd');
        if (key & 16) where.push('id < @position');
        const sql =
          `SELECT ${SUMMARY_COLUMNS} FROM transactions` +
          (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
          ' ORDER BY id DESC LIMIT @limit';
        stmt = db.prepare<[Record<string, number | string>], SummaryRow>(sql);
        listCache.set(key, stmt);
      }
      return stmt;
    },
  };
}

/** Named parameters for `list`: only the ones the statement declares (better-sqlite3 rejects extras). */
export function listParams(filter: ListFilter, position: number | undefined): Record<string, number | string> {
  const p: Record<string, number | string> = { limit: filter.limit };
  if (filter.status !== undefined) p['status'] = filter.status;
  if (filter.transType !== undefined) p['transType'] = filter.transType;
  if (filter.createTimeStart !== undefined) p['createTimeStart'] = filter.createTimeStart;
  if (filter.createTimeEnd !== undefined) p['createTimeEnd'] = filter.createTimeEnd;
  if (position !== undefined) p['position'] = position;
  return p;
}

export function rowToSummary(r: SummaryRow): TransSummary {
  return {
    gid: r.gid,
    transType: r.trans_type,
    status: r.status,
    createTime: r.create_time,
    updateTime: r.update_time,
    nextCronTime: r.next_cron_time ?? undefined,
    finished: r.finished !== 0,
    view: r.view,
  };
}

/** The cursor is the id of the last row of the previous page; '' or undefined means the first page. */
export function parsePosition(position: string | undefined): number | undefined {
  if (position === undefined || position === '') return undefined;
  const n = /^[1-9][0-9]{0,15}$/.test(position) ? Number(position) : NaN;
  if (!Number.isSafeInteger(n)) throw new BadRequest(`invalid position: ${JSON.stringify(position)}`);
  return n;
}

/**
 * Keyset pages over rows ordered by id: no statement stays open across a yield (better-sqlite3
 * forbids writes while an iterator is open), and memory holds one page at a time.
 */
export function* keysetPages<R extends { id: number }>(page: (after: number) => R[], size: number): Generator<R> {
  let after = 0;
  for (;;) {
    const rows = page(after);
    for (const row of rows) {
      after = row.id;
      yield row;
    }
    if (rows.length < size) return;
  }
}

/** A gid's events in seq order. */
export function readRecords(stmts: SqliteStatements, gid: string): LogRecord[] {
  return stmts.readEvents.all(gid).map(recordOfRow);
}

/** A gid's events after `seq` in seq order (all of them for 0). */
export function readRecordsAfter(stmts: SqliteStatements, gid: string, seq: number): LogRecord[] {
  return (seq > 0 ? stmts.readEventsAfter.all(gid, seq) : stmts.readEvents.all(gid)).map(recordOfRow);
}

/** A gid's newest stored state, or undefined. */
export function storedStateOf(stmts: SqliteStatements, gid: string): StoredState | undefined {
  const row = stmts.stateOf.get(gid);
  return row === undefined ? undefined : (JSON.parse(row.state) as StoredState);
}

/**
 * A gid's stored state and the events after it; all its events without a state. The state is read
 * first: a commit landing between the two reads only adds events after it (a state is never
 * ahead of its events).
 */
export function readTailOf(stmts: SqliteStatements, gid: string): StoredTail {
  const state = storedStateOf(stmts, gid);
  if (state === undefined) return { records: readRecords(stmts, gid) };
  return { state, records: readRecordsAfter(stmts, gid, state.seq) };
}

function recordOfRow(r: EventRow): LogRecord {
  return decodeRecordValue({ v: r.v, gid: r.gid, seq: r.seq, type: r.type, at: r.at, data: JSON.parse(r.data), cmd: r.cmd });
}
