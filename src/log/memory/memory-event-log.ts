/**
 * In-memory EventLog for unit tests and dev. Same observable semantics as the SQLite adapter:
 * atomic batches, duplicate (gid, seq) rejected with `Internal` (nothing of the batch applied),
 * summaries upserted in place (a transaction keeps its listing position), listing newest first with
 * an id cursor, `scanOpen` = transactions whose summary is unfinished.
 *
 * Records are stored as encoded text (src/log/codec.ts) so tests see exactly what a durable adapter
 * would give back (no shared object references, JSON round trip of `data`).
 */
import { takePage } from '../list-page.js';
import { BadRequest, Internal, LogUnavailable } from '../../errors.js';
import { decodeRecord, encodeRecord } from '../codec.js';
import type { EventLog, KvPage, KvRow, ListFilter, ListPage, LogRecord, StoredState, StoredTail, TransSummary } from '../event-log.js';
import { kvChangesOf } from '../kv-records.js';
import { MemoryKvTable } from './memory-kv-table.js';

interface SummaryRow {
  /** 1-based insertion order; the listing cursor. */
  readonly id: number;
  summary: TransSummary;
}

/** The data behind one or more successive MemoryEventLog handles (a "data dir" for tests). */
export class MemoryLogStore {
  readonly events = new Map<string, Map<number, string>>();
  readonly rows: SummaryRow[] = [];
  readonly byGid = new Map<string, SummaryRow>();
  /** The latest StoredState of a gid, as JSON text. */
  readonly states = new Map<string, { seq: number; text: string }>();
  readonly kv = new MemoryKvTable();
}

export class MemoryEventLog implements EventLog {
  readonly name = 'memory';
  private closed = false;

  constructor(readonly store: MemoryLogStore = new MemoryLogStore()) {}

  async append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    this.ensureOpen();
    // Validate the whole batch before touching the store: a rejected batch writes nothing.
    const encoded: { gid: string; seq: number; text: string }[] = [];
    const inBatch = new Set<string>();
    for (const r of records) {
      const text = encodeRecord(r);
      decodeRecord(text); // same validation a reader applies
      const key = `${r.gid}\u0000${r.seq}`;
      if (inBatch.has(key) || this.store.events.get(r.gid)?.has(r.seq) === true) {
        throw new Internal(`event log: duplicate event gid=${r.gid} seq=${r.seq} (fencing or seq bug)`);
      }
      inBatch.add(key);
      encoded.push({ gid: r.gid, seq: r.seq, text });
    }
    for (const { state, ...s } of summaries) {
      const kept = this.store.states.get(s.gid);
      if (state !== undefined && (kept === undefined || kept.seq < state.seq)) this.store.states.set(s.gid, { seq: state.seq, text: JSON.stringify(state) });
      const row = this.store.byGid.get(s.gid);
      if (row === undefined) {
        const created: SummaryRow = { id: this.store.rows.length + 1, summary: { ...s } };
        this.store.rows.push(created);
        this.store.byGid.set(s.gid, created);
      } else {
        // trans_type and create_time are fixed by the first insert, as in the SQLite projection.
        row.summary = { ...s, transType: row.summary.transType, createTime: row.summary.createTime };
      }
    }
    this.store.kv.apply(kvChangesOf(records));
    for (const e of encoded) {
      let perGid = this.store.events.get(e.gid);
      if (perGid === undefined) {
        perGid = new Map();
        this.store.events.set(e.gid, perGid);
      }
      perGid.set(e.seq, e.text);
    }
  }

  async read(gid: string): Promise<LogRecord[]> {
    this.ensureOpen();
    return this.readSync(gid);
  }

  async readTail(gid: string): Promise<StoredTail> {
    this.ensureOpen();
    return this.readTailSync(gid);
  }

  async *scanAll(since: number): AsyncIterable<{ gid: string; records: LogRecord[]; summary: TransSummary }> {
    this.ensureOpen();
    const rows = this.store.rows.filter((r) => r.summary.createTime >= since);
    for (const r of rows) {
      this.ensureOpen();
      yield { gid: r.summary.gid, records: this.readSync(r.summary.gid), summary: r.summary };
    }
  }

  async *scanStates(): AsyncIterable<{ gid: string; state: StoredState }> {
    this.ensureOpen();
    for (const [gid, kept] of [...this.store.states]) yield { gid, state: JSON.parse(kept.text) as StoredState };
  }

  async countAll(since: number): Promise<number> {
    this.ensureOpen();
    return this.store.rows.filter((r) => r.summary.createTime >= since).length;
  }

  async *scanOpen(accept?: (gid: string) => boolean): AsyncIterable<{ gid: string } & StoredTail> {
    this.ensureOpen();
    const open = this.store.rows.filter((r) => !r.summary.finished && (accept === undefined || accept(r.summary.gid))).map((r) => r.summary.gid);
    for (const gid of open) {
      this.ensureOpen();
      yield { gid, ...this.readTailSync(gid) };
    }
  }

  async getSummary(gid: string): Promise<TransSummary | undefined> {
    this.ensureOpen();
    const row = this.store.byGid.get(gid);
    return row === undefined ? undefined : { ...row.summary };
  }

  async list(filter: ListFilter): Promise<ListPage> {
    this.ensureOpen();
    if (!Number.isSafeInteger(filter.limit)) throw new BadRequest(`invalid limit: ${filter.limit}`);
    if (filter.limit < 1) return { items: [], nextPosition: '' };
    const position = parsePosition(filter.position);
    const rows = this.store.rows;
    const start = Math.min(rows.length, (position ?? Number.MAX_SAFE_INTEGER) - 1);
    function* newestFirst() {
      for (let i = start - 1; i >= 0; i--) {
        const row = rows[i];
        if (row !== undefined && matches(row.summary, filter)) yield row;
      }
    }
    return takePage(newestFirst(), filter.limit, (row) => ({ ...row.summary }), (row) => row.id);
  }

  async listScheduledAfter(after: number, limit: number): Promise<TransSummary[]> {
    this.ensureOpen();
    if (limit < 1) return [];
    return this.store.rows
      .filter((r) => !r.summary.finished && r.summary.nextCronTime !== undefined && r.summary.nextCronTime > after)
      .sort((a, b) => (a.summary.nextCronTime ?? 0) - (b.summary.nextCronTime ?? 0) || a.id - b.id)
      .slice(0, limit)
      .map((r) => ({ ...r.summary }));
  }

  async scanKV(cat: string, position: string, limit: number): Promise<KvPage> {
    this.ensureOpen();
    return this.store.kv.scan(cat, position, limit);
  }

  async queryKV(cat: string, key: string): Promise<KvRow[]> {
    this.ensureOpen();
    return this.store.kv.query(cat, key);
  }

  /** Idempotent. The store survives: `new MemoryEventLog(log.store)` plays a restart. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private readSync(gid: string): LogRecord[] {
    const perGid = this.store.events.get(gid);
    if (perGid === undefined) return [];
    return [...perGid.entries()].sort((a, b) => a[0] - b[0]).map(([, text]) => decodeRecord(text));
  }

  private readTailSync(gid: string): StoredTail {
    const kept = this.store.states.get(gid);
    if (kept === undefined) return { records: this.readSync(gid) };
    return { state: JSON.parse(kept.text) as StoredState, records: this.readSync(gid).filter((r) => r.seq > kept.seq) };
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogUnavailable('memory event log is closed');
  }
}

function matches(s: TransSummary, f: ListFilter): boolean {
  return (
    (f.status === undefined || s.status === f.status) &&
    (f.transType === undefined || s.transType === f.transType) &&
    (f.createTimeStart === undefined || s.createTime >= f.createTimeStart) &&
    (f.createTimeEnd === undefined || s.createTime <= f.createTimeEnd)
  );
}

/** Same cursor format as the SQLite adapter: the id of the last row of the previous page. */
function parsePosition(position: string | undefined): number | undefined {
  if (position === undefined || position === '') return undefined;
  const n = /^[1-9][0-9]{0,15}$/.test(position) ? Number(position) : NaN;
  if (!Number.isSafeInteger(n)) throw new BadRequest(`invalid position: ${JSON.stringify(position)}`);
  return n;
}
