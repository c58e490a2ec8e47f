/**
 * Schema of the embedded SQLite event log (DESIGN §4). Events are the truth; `transactions` is the
 * projection written in the same SQLite transaction as the events that produced it.
 *
 * - `events`: one row per LogRecord. The record's fields are columns and `data` is its JSON text,
 *   so the table stays readable with the sqlite3 shell. `v` keeps the record version for the codec.
 *   The rows are stored in append order (a rowid table) and `(gid, seq)`, the primary key, is its
 *   index: `read(gid)` is one range of the index. A commit then adds its rows at the end of the
 *   table and one small index entry per event wherever its gid sorts, instead of whole rows spread
 *   over the table (clients choose gids, so a batch's gids fall all over the key space): ~30%
 *   fewer pages written per group commit (68 -> 49 for 15 sagas), which is what the writer's
 *   fsyncs and checkpoints pay for (docs/benchmarks.md, "Events in append order"). Logs created
 *   before keep their events clustered by (gid, seq) (`WITHOUT ROWID`): every statement reads and
 *   writes both layouts.
 * - `transactions`: `id` is an explicit INTEGER PRIMARY KEY (alias of the rowid) so VACUUM cannot
 *   renumber it: it is the listing cursor (`all` pages newest first by id, like dtm's SQL store).
 *   Upserts keep the id of the first insert.
 * - `meta`: key/value, holds `schema_version`.
 * - `kv`: the KV projection (sqlite-kv.ts); added to version 1 as a new table, which older builds
 *   neither read nor write, so no migration is needed.
 *
 * STRICT tables make SQLite reject a value of the wrong type instead of storing it silently.
 */
import type Database from 'better-sqlite3';
import { LogUnavailable } from '../../errors.js';
import { KV_DDL } from './sqlite-kv.js';

export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS events (
  gid  TEXT    NOT NULL,
  seq  INTEGER NOT NULL,
  v    INTEGER NOT NULL,
  type TEXT    NOT NULL,
  at   INTEGER NOT NULL,
  cmd  TEXT    NOT NULL,
  data TEXT    NOT NULL,
  PRIMARY KEY (gid, seq)
) STRICT;

CREATE TABLE IF NOT EXISTS transactions (
  id             INTEGER PRIMARY KEY,
  gid            TEXT    NOT NULL UNIQUE,
  trans_type     TEXT    NOT NULL,
  status         TEXT    NOT NULL,
  create_time    INTEGER NOT NULL,
  update_time    INTEGER NOT NULL,
  next_cron_time INTEGER,
  finished       INTEGER NOT NULL,
  view           TEXT    NOT NULL
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

/**
 * Creates the schema when missing and checks the stored version. Runs in one write transaction, so
 * it also takes the database's exclusive lock for the life of the connection (see sqlite-database.ts).
 */
export function ensureSchema(db: Database.Database, file: string): void {
  db.transaction(() => {
    db.exec(DDL);
    db.exec(KV_DDL);
    const row = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).get();
    if (row === undefined) {
      db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
      return;
    }
    const stored = Number(row.value);
    if (stored !== SCHEMA_VERSION) {
      // Not retryable in practice, but the log is unusable by this build: refuse to touch it.
      throw new LogUnavailable(
        `event log ${file} has schema version ${row.value}; this dtx build reads version ${SCHEMA_VERSION}`,
      );
    }
  }).immediate();
}
