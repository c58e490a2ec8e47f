import fs from 'node:fs';
import { SqliteEventLog, type SqliteEventLogOptions } from '../../src/log/sqlite/sqlite-event-log.js';
import type { EventLog } from '../../src/log/event-log.js';
import { describeEventLog } from './event-log.contract.js';
import { tempDir } from '../support/temp-dir.js';

function sqliteFactory(opts: Pick<SqliteEventLogOptions, 'syncCommit' | 'writer'>) {
  return async () => {
    const dir = tempDir('dtx-sqlite-log-');
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
