import type Database from 'better-sqlite3';
import { RESERVED_GID_PREFIX } from '../kv-records.js';

/** What a prune removed (or, on a dry run, would remove). */
export interface PruneResult {
  readonly transactions: number;
  readonly events: number;
  readonly states: number;
}

export const NOTHING_PRUNED: PruneResult = { transactions: 0, events: 0, states: 0 };

export const addPruned = (a: PruneResult, b: PruneResult): PruneResult => ({ transactions: a.transactions + b.transactions, events: a.events + b.events, states: a.states + b.states });

/**
 * What the highest gid number is kept under when its transaction is pruned: SQLite numbers a new
 * row after the highest one, so dropping it would hand its number out again, and keeping the row
 * under its own gid would give that gid, submitted again, its old (lower) number: `all` lists by
 * number. A reserved gid (clients cannot use the prefix) with no transaction row; the previous
 * one is deleted when a higher number takes its place.
 */
export const PRUNED_PLACEHOLDER_GID = `${RESERVED_GID_PREFIX}pruned`;

/** One chunk of a prune: what it did, where the next one starts (after that number), and whether there is nothing after it. */
export interface PruneChunk {
  readonly done: PruneResult;
  readonly next: number;
  readonly end: boolean;
}

export interface PruneChunkOptions {
  readonly dryRun?: boolean;
  /** transaction numbers a chunk looks at, at most (bounds its time on a large log); default all */
  readonly span?: number;
  /** the last transaction number to look at (a running log's `dueRange`); default the highest */
  readonly until?: number;
}

/**
 * Prunes finished transactions in chunks, on `db` (the offline `dtx prune`, and the running log's
 * `Store.PruneFinishedAfter` between the numbers `dueRange` gives). A chunk takes up to
 * `limit` finished transactions numbered after `after` whose row last changed (their finish: a
 * finished transaction takes no more events, the engine enforces it) before `before`, epoch ms, and
 * deletes each whole in one SQLite transaction (`wholeDeleter`). So every transaction that stays
 * keeps its whole history, and a pruned gid may be used again for a new transaction, as after dtm's
 * `FinishedDataExpire` on Redis.
 */
export function finishedPrune(db: Database.Database): (after: number, before: number, limit: number, opts?: PruneChunkOptions) => PruneChunk {
  const s = {
    candidates: db.prepare<[number, number, number, number], { id: number }>('SELECT id FROM transactions WHERE id > ? AND id <= ? AND finished = 1 AND update_time < ? ORDER BY id LIMIT ?'),
    maxId: db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM transactions'),
    countEvents: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM events WHERE tid = ?'),
    countStates: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM states WHERE id = ?'),
  };
  const deleteWhole = wholeDeleter(db);
  const count = (ids: readonly number[]): PruneResult => {
    let events = 0;
    let states = 0;
    for (const id of ids) {
      events += s.countEvents.get(id)?.n ?? 0;
      states += s.countStates.get(id)?.n ?? 0;
    }
    return { transactions: ids.length, events, states };
  };
  const candidates = (after: number, upTo: number, before: number, limit: number): number[] => s.candidates.all(after, upTo, before, limit).map((r) => r.id);
  const chunkOf = (ids: readonly number[], upTo: number, limit: number, done: PruneResult, until: number | undefined): PruneChunk => {
    const next = ids.length === limit ? ids.at(-1)! : upTo;
    return { done, next, end: next >= (until ?? s.maxId.get()?.id ?? 0) };
  };
  // the candidates are chosen inside the write transaction: a running log commits nothing between
  const remove = db.transaction((after: number, upTo: number, before: number, limit: number, until: number | undefined): PruneChunk => {
    const ids = candidates(after, upTo, before, limit);
    return chunkOf(ids, upTo, limit, deleteWhole(ids), until);
  });
  return (after, before, limit, opts = {}) => {
    const upTo = Math.min(opts.until ?? Number.MAX_SAFE_INTEGER, after + (opts.span ?? Number.MAX_SAFE_INTEGER));
    if (opts.dryRun !== true) return remove.immediate(after, upTo, before, limit, opts.until);
    const ids = candidates(after, upTo, before, limit);
    return chunkOf(ids, upTo, limit, count(ids), opts.until);
  };
}

/** The index of finished transactions by finish time (`finishedTimeIndex`). */
const FINISHED_TIME_INDEX = 'transactions_finished_time';

/**
 * Creates (`on`) or drops the index of finished transactions by finish time that the running log's
 * prune rounds read (`dueRange`). It is kept only while Store.PruneFinishedAfter is on:
 * every finish adds an entry, at the index's end (finish times grow). Creating it reads the whole
 * table once (when pruning is first turned on).
 */
export function finishedTimeIndex(db: Database.Database, on: boolean): void {
  db.exec(on ? `CREATE INDEX IF NOT EXISTS ${FINISHED_TIME_INDEX} ON transactions (update_time) WHERE finished = 1` : `DROP INDEX IF EXISTS ${FINISHED_TIME_INDEX}`);
}

/**
 * The lowest and highest numbers among the `limit` transactions that finished first, if before
 * `before` (epoch ms), from the index `finishedTimeIndex` made (its entries hold the numbers: no
 * table row is read); undefined when none did. A running log's prune round scans between them in
 * number order, then asks again: a round with nothing due reads one index entry however long the
 * log, and one with much due never reads more than `limit` entries at a time. Deleting in number
 * order, not finish order, keeps each chunk on neighbouring pages: in finish order the bench log's
 * round took 3.5x longer, with chunks of up to 770 ms (docs/benchmarks.md, "Online pruning").
 */
export function dueRange(db: Database.Database): (before: number, limit: number) => { readonly first: number; readonly last: number } | undefined {
  const range = db.prepare<[number, number], { first: number | null; last: number | null }>(
    `SELECT min(id) AS first, max(id) AS last FROM (SELECT id FROM transactions INDEXED BY ${FINISHED_TIME_INDEX} WHERE finished = 1 AND update_time < ? ORDER BY update_time LIMIT ?)`,
  );
  return (before, limit) => {
    const r = range.get(before, limit);
    return r === undefined || r.first === null || r.last === null ? undefined : { first: r.first, last: r.last };
  };
}

/**
 * Deletes transactions whole, inside the caller's SQLite transaction: events, stored state,
 * projection row and gid. Numbers are never handed out twice (PRUNED_PLACEHOLDER_GID).
 */
function wholeDeleter(db: Database.Database): (ids: readonly number[]) => PruneResult {
  const s = {
    deleteEvents: db.prepare<[number]>('DELETE FROM events WHERE tid = ?'),
    deleteState: db.prepare<[number]>('DELETE FROM states WHERE id = ?'),
    deleteTransaction: db.prepare<[number]>('DELETE FROM transactions WHERE id = ?'),
    deleteGid: db.prepare<[number]>('DELETE FROM gids WHERE id = ?'),
    deletePlaceholder: db.prepare<[string]>('DELETE FROM gids WHERE gid = ?'),
    renameGid: db.prepare<[string, number]>('UPDATE gids SET gid = ? WHERE id = ?'),
    maxGidId: db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM gids'),
  };
  return (ids) => {
    const keepGid = s.maxGidId.get()?.id ?? 0;
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
  };
}
