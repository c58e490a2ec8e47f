/**
 * Schema of the embedded SQLite event log (DESIGN §4). Events are the truth; `transactions` is the
 * projection written in the same SQLite transaction as the events that produced it.
 *
 * - `gids`: every gid the log holds, numbered in the order it first appeared (`id`). It is the only
 *   index a new transaction's gid enters: clients choose gids, so each new one lands on a random
 *   leaf of that index, and everything else is keyed by the number.
 * - `events`: one row per LogRecord, keyed by `(tid, seq)` where `tid` is its gid's id. The
 *   record's fields are columns and `data` is its JSON text, readable with the sqlite3 shell; `v`
 *   keeps the record version for the codec. Rows are stored in append order (a rowid table) and
 *   a new transaction's key entries go at the end of the key index, so a group commit writes its
 *   events on a few pages at the end of both: 15 sagas wrote ~68 pages when events were clustered
 *   by gid, ~49 with rows in append order keyed by gid, ~35 keyed by number (docs/benchmarks.md,
 *   "Events keyed by number").
 * - `transactions`: `id` is the gid's id (an explicit INTEGER PRIMARY KEY, so VACUUM cannot
 *   renumber it): the listing cursor (`all` pages newest first by id, like dtm's SQL store). Ids of
 *   gids that never get a row (dtx's reserved keys, docs/topics.md) leave gaps.
 * - `meta`: key/value, holds `schema_version`. Version 1 (until 2026-11-30) keyed events and
 *   transactions by gid; such a log is converted when this build opens it (`migrateFromVersion1`).
 *   Version 2 (until 2026-12-03) has version 3's tables and stores every view as its dtm JSON
 *   text; version 3 stores views with long payloads packed (src/log/packed-view.ts), which a
 *   version 2 build would serve as broken text, so a version 2 log is marked version 3 when this
 *   build opens it, and nothing else changes.
 * - `states`: the latest machine state of transactions with long histories (recovery starts there).
 * - `kv`: the KV projection (sqlite-kv.ts).
 *
 * STRICT tables make SQLite reject a value of the wrong type instead of storing it silently.
 */
import type Database from 'better-sqlite3';
import { LogUnavailable } from '../../errors.js';
import { KV_DDL } from './sqlite-kv.js';

export const SCHEMA_VERSION = 3;

const META_DDL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`;

const DDL = `
CREATE TABLE IF NOT EXISTS gids (
  id  INTEGER PRIMARY KEY,
  gid TEXT    NOT NULL UNIQUE
) STRICT;
CREATE TABLE IF NOT EXISTS events (
  tid  INTEGER NOT NULL,
  seq  INTEGER NOT NULL,
  v    INTEGER NOT NULL,
  type TEXT    NOT NULL,
  at   INTEGER NOT NULL,
  cmd  TEXT    NOT NULL,
  data TEXT    NOT NULL,
  PRIMARY KEY (tid, seq)
) STRICT;
CREATE TABLE IF NOT EXISTS transactions (
  id             INTEGER PRIMARY KEY,
  gid            TEXT    NOT NULL,
  trans_type     TEXT    NOT NULL,
  status         TEXT    NOT NULL,
  create_time    INTEGER NOT NULL,
  update_time    INTEGER NOT NULL,
  next_cron_time INTEGER,
  finished       INTEGER NOT NULL,
  view           TEXT    NOT NULL
) STRICT;

-- The latest machine state (StoredState, JSON) of a transaction with a long history, keyed by its
-- gid's id: written every EngineSettings.stateEvery events with the row, so it is always the fold
-- of the events up to its seq; readTail and scanOpen start from it. Added to version 2 as it is:
-- a build without it ignores the table, and the state stays a true fold of the events it covers.
CREATE TABLE IF NOT EXISTS states (
  id    INTEGER PRIMARY KEY,
  seq   INTEGER NOT NULL,
  state TEXT    NOT NULL
) STRICT;

-- Hot path: every new transaction inserts one row here, so few indexes, and the two that serve
-- unfinished rows only are partial: a transaction created and finished in one batch (the common
-- case) never touches them.
-- listScheduledAfter (resetCronTime): unfinished rows by due time.
CREATE INDEX IF NOT EXISTS transactions_open_cron ON transactions (next_cron_time) WHERE finished = 0;
-- scanOpen: unfinished rows in id order.
CREATE INDEX IF NOT EXISTS transactions_open_id ON transactions (id) WHERE finished = 0;
-- all?status=: each entry implicitly ends with id, so "ORDER BY id DESC" can walk the index.
-- trans_type and create_time filters walk the id order (admin listings, not the hot path).
CREATE INDEX IF NOT EXISTS transactions_status ON transactions (status);
`;

/** The `schema_version` text a database's `meta` table holds; undefined without one (a new file). */
export function storedVersionText(db: Database.Database): string | undefined {
  return db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).get()?.value;
}

/**
 * Creates the schema when missing, converts a version 1 log (`migrateFromVersion1`), marks a
 * version 2 log version 3 and checks the stored version. Runs in one write transaction, so it also
 * takes the database's exclusive lock for the life of the connection (see sqlite-database.ts).
 * Returns the version it converted from, if any.
 */
export function ensureSchema(db: Database.Database, file: string): number | undefined {
  return db.transaction(() => {
    db.exec(META_DDL);
    const text = storedVersionText(db);
    const stored = text === undefined ? undefined : Number(text);
    if (stored !== undefined && stored !== 1 && stored !== 2 && stored !== SCHEMA_VERSION) {
      // Not retryable in practice, but the log is unusable by this build: refuse to touch it.
      throw new LogUnavailable(`event log ${file} has schema version ${text!}; this dtx build reads version ${SCHEMA_VERSION}`);
    }
    if (stored === 1) migrateFromVersion1(db);
    else db.exec(DDL);
    db.exec(KV_DDL);
    if (stored !== SCHEMA_VERSION) {
      db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION));
    }
    return stored === 1 || stored === 2 ? stored : undefined;
  }).immediate();
}

/**
 * Converts a version 1 log (until 2026-11-30: `events (gid, seq, …)`, clustered by gid or in append
 * order with a `(gid, seq)` key index, and `transactions.gid UNIQUE`) in place, inside the caller's
 * write transaction (all or nothing): the old tables are set aside, the current ones are created (DDL)
 * and filled. Every transaction keeps its id (the listing cursor), gids that only have events
 * (dtx's reserved keys) get the next numbers, every event keeps its fields. Each table is read once:
 * 500,001 events took ~4 s on the bench machine.
 */
function migrateFromVersion1(db: Database.Database): void {
  db.exec('ALTER TABLE events RENAME TO events_v1; ALTER TABLE transactions RENAME TO transactions_v1;');
  // their indexes keep their names: dropped here so that DDL creates them on the new tables
  const indexes = db.prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transactions_v1' AND sql IS NOT NULL`).pluck().all();
  for (const name of indexes) db.exec(`DROP INDEX "${name}"`);
  db.exec(DDL);
  db.exec(`
    INSERT INTO gids (id, gid) SELECT id, gid FROM transactions_v1 ORDER BY id;
    INSERT OR IGNORE INTO gids (gid) SELECT DISTINCT gid FROM events_v1;
    INSERT INTO events (tid, seq, v, type, at, cmd, data)
      SELECT g.id, e.seq, e.v, e.type, e.at, e.cmd, e.data FROM events_v1 e JOIN gids g ON g.gid = e.gid ORDER BY g.id, e.seq;
    INSERT INTO transactions (id, gid, trans_type, status, create_time, update_time, next_cron_time, finished, view)
      SELECT id, gid, trans_type, status, create_time, update_time, next_cron_time, finished, view FROM transactions_v1 ORDER BY id;
    DROP TABLE events_v1;
    DROP TABLE transactions_v1;
  `);
}
