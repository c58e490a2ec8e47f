/**
 * The KV projection of the SQLite log (spec §2.4): table `kv`, written in the same SQLite
 * transaction as the KV records it is derived from (src/log/kv-records.ts). `id` is an AUTOINCREMENT
 * INTEGER PRIMARY KEY kept across updates; a deleted and re-created key gets a new one. Reads come
 * in key order (BINARY collation: UTF-8 byte order), so the scan cursor is the last key.
 */
import type Database from 'better-sqlite3';
import type { KvPage, KvRow } from '../event-log.js';
import type { KvChange } from '../kv-records.js';

export const KV_DDL = `
CREATE TABLE IF NOT EXISTS kv (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  cat         TEXT    NOT NULL,
  k           TEXT    NOT NULL,
  v           TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  UNIQUE (cat, k)
) STRICT;
`;

interface KvDbRow {
  readonly id: number;
  readonly cat: string;
  readonly k: string;
  readonly v: string;
  readonly version: number;
  readonly create_time: number;
  readonly update_time: number;
}

const COLUMNS = 'id, cat, k, v, version, create_time, update_time';

export interface KvStatements {
  readonly putKv: Database.Statement<[string, string, string, number, number, number]>;
  readonly deleteKv: Database.Statement<[string, string]>;
  readonly scanKv: Database.Statement<[string, string, number], KvDbRow>;
  readonly queryKv: Database.Statement<[string, string, string, string], KvDbRow>;
}

export function prepareKvStatements(db: Database.Database): KvStatements {
  return {
    putKv: db.prepare(
      `INSERT INTO kv (cat, k, v, version, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (cat, k) DO UPDATE SET v = excluded.v, version = excluded.version, update_time = excluded.update_time`,
    ),
    deleteKv: db.prepare('DELETE FROM kv WHERE cat = ? AND k = ?'),
    scanKv: db.prepare(`SELECT ${COLUMNS} FROM kv WHERE cat = ? AND k > ? ORDER BY k LIMIT ?`),
    // '' matches any cat / key (dtm's FindKV)
    queryKv: db.prepare(`SELECT ${COLUMNS} FROM kv WHERE (? = '' OR cat = ?) AND (? = '' OR k = ?) ORDER BY cat, k`),
  };
}

/** Applies a batch's KV changes; runs inside the batch's SQLite transaction. */
export function applyKvChanges(stmts: Pick<KvStatements, 'putKv' | 'deleteKv'>, changes: readonly KvChange[]): void {
  for (const c of changes) {
    if (c.op === 'delete') stmts.deleteKv.run(c.cat, c.k);
    else stmts.putKv.run(c.cat, c.k, c.v, c.version, c.at, c.at);
  }
}

function toRow(r: KvDbRow): KvRow {
  return { id: r.id, cat: r.cat, k: r.k, v: r.v, version: r.version, createTime: r.create_time, updateTime: r.update_time };
}

export function scanKvRows(stmts: KvStatements, cat: string, position: string, limit: number): KvPage {
  // `k > ''` holds for every key: the first page needs no other statement
  const rows = cat === '' ? [] : stmts.scanKv.all(cat, position, limit).map(toRow);
  return { rows, nextPosition: rows.length < limit ? '' : rows.at(-1)!.k };
}

export function queryKvRows(stmts: KvStatements, cat: string, key: string): KvRow[] {
  return stmts.queryKv.all(cat, cat, key, key).map(toRow);
}
