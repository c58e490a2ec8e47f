import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * A log of schema version 1 (builds until 2026-11-30), written with that version's DDL: events
 * keyed by gid, clustered (`WITHOUT ROWID`, the first builds) or in append order with a (gid, seq)
 * key index (from `99214f7`), and `transactions.gid UNIQUE`. The tests that open one check that
 * this build converts it to the current version with nothing lost.
 */
export type V1Layout = 'clustered' | 'append-order';

const eventsDdl = (layout: V1Layout): string => `CREATE TABLE events (
  gid TEXT NOT NULL, seq INTEGER NOT NULL, v INTEGER NOT NULL, type TEXT NOT NULL,
  at INTEGER NOT NULL, cmd TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (gid, seq)
) STRICT${layout === 'clustered' ? ', WITHOUT ROWID' : ''};`;

const V1_DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE transactions (
  id INTEGER PRIMARY KEY, gid TEXT NOT NULL UNIQUE, trans_type TEXT NOT NULL, status TEXT NOT NULL,
  create_time INTEGER NOT NULL, update_time INTEGER NOT NULL, next_cron_time INTEGER,
  finished INTEGER NOT NULL, view TEXT NOT NULL
) STRICT;
CREATE INDEX transactions_open_cron ON transactions (next_cron_time) WHERE finished = 0;
CREATE INDEX transactions_open_id ON transactions (id) WHERE finished = 0;
CREATE INDEX transactions_status ON transactions (status);
CREATE TABLE kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT, cat TEXT NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL,
  version INTEGER NOT NULL, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL, UNIQUE (cat, k)
) STRICT;
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
`;

export interface V1Event {
  readonly gid: string;
  readonly seq: number;
  readonly type: string;
  readonly at: number;
  readonly cmd: string;
  readonly data: unknown;
}

export interface V1Transaction {
  readonly id: number;
  readonly gid: string;
  readonly status: string;
  readonly finished: boolean;
  readonly nextCronTime?: number;
  readonly view: string;
}

/** Creates `dir/dtx.db` as a version 1 build left it, holding `transactions` and `events`. */
export function createV1Log(dir: string, layout: V1Layout, transactions: readonly V1Transaction[] = [], events: readonly V1Event[] = []): void {
  const db = new Database(path.join(dir, 'dtx.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.exec(eventsDdl(layout) + V1_DDL);
    const tx = db.prepare('INSERT INTO transactions (id, gid, trans_type, status, create_time, update_time, next_cron_time, finished, view) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const ev = db.prepare('INSERT INTO events (gid, seq, v, type, at, cmd, data) VALUES (?, ?, 1, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const t of transactions) tx.run(t.id, t.gid, 'saga', t.status, 1000 + t.id, 2000 + t.id, t.nextCronTime ?? null, t.finished ? 1 : 0, t.view);
      for (const e of events) ev.run(e.gid, e.seq, e.type, e.at, e.cmd, JSON.stringify(e.data));
    })();
  } finally {
    db.close();
  }
}

/** Sets the schema version `dir/dtx.db` says it has (a log of another build, as far as the version goes). */
export function markSchemaVersion(dir: string, version: string): void {
  const db = new Database(path.join(dir, 'dtx.db'));
  try {
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(version);
  } finally {
    db.close();
  }
}

/** The CREATE statement of table `name` in `dir/dtx.db`, and its stored schema version. */
export function schemaOf(dir: string, name: string): { sql: string | undefined; version: string | undefined } {
  const db = new Database(path.join(dir, 'dtx.db'), { readonly: true });
  try {
    const sql = (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) as { sql: string } | undefined)?.sql;
    const version = (db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined)?.value;
    return { sql, version };
  } finally {
    db.close();
  }
}
