import type Database from 'better-sqlite3';
import { Internal } from '../../errors.js';
import type { LogRecord, TransSummary } from '../event-log.js';
import { isSqliteError } from './sqlite-database.js';
import type { SqliteStatements } from './sqlite-statements.js';
import { kvChangesOf } from '../kv-records.js';
import { applyKvChanges } from './sqlite-kv.js';

export type AppendTx = (records: readonly LogRecord[], summaries: readonly TransSummary[]) => void;

/**
 * One SQLite transaction per batch: gids numbered (a new one gets the next id), summaries upserted
 * (with the machine state a summary carries now and then), events inserted, the KV projection
 * updated; all or nothing. It begins IMMEDIATE, taking the write
 * lock (waiting up to the busy timeout) before its first statement, which reads (a gid's number):
 * begun deferred, the benchmark's first dtx of a run answered 2 of ~50,000 submits 503 with
 * SQLITE_BUSY in 1 of 6 runs, and none in 6 runs since (the SQLite-level cause is not pinned down;
 * the version 1 statements, whose first was a write, never did).
 */
export function buildAppendTx(db: Database.Database, stmts: Pick<SqliteStatements, 'insertEvent' | 'gidId' | 'insertGid' | 'upsertSummary' | 'upsertState' | 'putKv' | 'deleteKv'>): AppendTx {
  const tx = db.transaction((records: readonly LogRecord[], summaries: readonly TransSummary[]) => {
    const ids = new Map<string, number>();
    // a gid whose seq-1 event is in this batch is new: numbered by its insert alone (one probe of
    // the gid index instead of two); should it be numbered already (a summary appended without
    // events), the insert's unique violation falls back to the lookup
    const fresh = new Set<string>();
    for (const r of records) if (r.seq === 1) fresh.add(r.gid);
    const idOf = (gid: string): number => {
      let id = ids.get(gid);
      if (id === undefined) {
        id = (fresh.has(gid) ? undefined : stmts.gidId.get(gid)) ?? insertGid(gid);
        ids.set(gid, id);
      }
      return id;
    };
    const insertGid = (gid: string): number => {
      try {
        return Number(stmts.insertGid.run(gid).lastInsertRowid);
      } catch (err) {
        const id = isSqliteError(err) && err.code === 'SQLITE_CONSTRAINT_UNIQUE' ? stmts.gidId.get(gid) : undefined;
        if (id === undefined) throw err;
        return id;
      }
    };
    for (const s of summaries) {
      stmts.upsertSummary.run(idOf(s.gid), s.gid, s.transType, s.status, s.createTime, s.updateTime, s.nextCronTime ?? null, s.finished ? 1 : 0, s.view);
      if (s.state !== undefined) stmts.upsertState.run(idOf(s.gid), s.state.seq, JSON.stringify(s.state));
    }
    for (const r of records) {
      try {
        stmts.insertEvent.run(idOf(r.gid), r.seq, r.v, r.type, r.at, r.cmd, JSON.stringify(r.data));
      } catch (err) {
        if (isSqliteError(err) && err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new Internal(`event log: duplicate event gid=${r.gid} seq=${r.seq} (fencing or seq bug)`, { cause: err });
        }
        throw err;
      }
    }
    applyKvChanges(stmts, kvChangesOf(records));
  });
  return (records, summaries) => tx.immediate(records, summaries);
}

export type AppendWithMetaTx = (records: readonly LogRecord[], summaries: readonly TransSummary[], meta: Readonly<Record<string, string>>) => void;

/** `buildAppendTx` plus key/values upserted into `meta` in the same SQLite transaction (replicas). */
export function buildAppendWithMetaTx(db: Database.Database, stmts: Pick<SqliteStatements, 'insertEvent' | 'gidId' | 'insertGid' | 'upsertSummary' | 'upsertState' | 'putKv' | 'deleteKv' | 'putMeta'>): AppendWithMetaTx {
  const append = buildAppendTx(db, stmts);
  const tx = db.transaction((records: readonly LogRecord[], summaries: readonly TransSummary[], meta: Readonly<Record<string, string>>) => {
    append(records, summaries); // nested: a savepoint
    for (const [k, v] of Object.entries(meta)) stmts.putMeta.run(k, v);
  });
  return (records, summaries, meta) => tx.immediate(records, summaries, meta);
}
