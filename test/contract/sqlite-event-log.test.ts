import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteEventLog, type SqliteEventLogOptions } from '../../src/log/sqlite/sqlite-event-log.js';
import type { EventLog } from '../../src/log/event-log.js';
import { describeEventLog } from './event-log.contract.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The events table as builds before 2026-11-30 created it: rows clustered by (gid, seq). Such logs
 * keep that layout (the schema is created only when missing) and must work unchanged.
 */
const CLUSTERED_EVENTS_DDL = `CREATE TABLE events (
  gid TEXT NOT NULL, seq INTEGER NOT NULL, v INTEGER NOT NULL, type TEXT NOT NULL,
  at INTEGER NOT NULL, cmd TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (gid, seq)
) STRICT, WITHOUT ROWID`;

function createClusteredEvents(dir: string): void {
  const db = new Database(path.join(dir, 'dtx.db'));
  db.exec(CLUSTERED_EVENTS_DDL);
  db.close();
}

function eventsDdl(dir: string): string {
  const db = new Database(path.join(dir, 'dtx.db'), { readonly: true });
  try {
    return (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'`).get() as { sql: string }).sql;
  } finally {
    db.close();
  }
}

function sqliteFactory(opts: Pick<SqliteEventLogOptions, 'syncCommit' | 'writer'>, before?: (dir: string) => void) {
  return async () => {
    const dir = tempDir('dtx-sqlite-log-');
    before?.(dir);
    const open = (): SqliteEventLog => SqliteEventLog.open({ dir, ...opts });
    let current: EventLog = open();
    return {
      log: current,
      reopen: async () => {
        await current.close();
        current = open();
        return current;
      },
      cleanup: async () => {
        await current.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

// Inline writer with syncCommit off keeps the suite fast; durability across a clean reopen does
// not depend on fsync (that is exercised by bench/sqlite-append.ts and the lock/crash tests).
describeEventLog('sqlite', sqliteFactory({ syncCommit: false }));
// The production configuration (main.ts): commits on the background writer thread, fsync on.
describeEventLog('sqlite (worker writer)', sqliteFactory({ syncCommit: true, writer: 'worker' }));
// A log created before the events table stored its rows in append order (sqlite-schema.ts): the
// whole contract again on the clustered layout, through the production writer.
describeEventLog('sqlite (events clustered by gid, an older log)', sqliteFactory({ syncCommit: true, writer: 'worker' }, createClusteredEvents));

describe('sqlite events layout', () => {
  it('stores the events of a new log in append order, with (gid, seq) as its key index', async () => {
    const dir = tempDir('dtx-sqlite-layout-');
    const log = SqliteEventLog.open({ dir, syncCommit: false });
    await log.close();
    const ddl = eventsDdl(dir);
    expect(ddl).toContain('PRIMARY KEY (gid, seq)');
    expect(ddl).not.toMatch(/WITHOUT ROWID/i);
  });

  it('keeps the clustered layout of an older log it opens', async () => {
    const dir = tempDir('dtx-sqlite-layout-');
    createClusteredEvents(dir);
    const log = SqliteEventLog.open({ dir, syncCommit: false });
    await log.close();
    expect(eventsDdl(dir)).toMatch(/WITHOUT ROWID/i);
  });
});
