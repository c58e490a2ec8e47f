import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteEventLog } from '../../src/log/sqlite/sqlite-event-log.js';
import type { EventLog } from '../../src/log/event-log.js';
import { describeEventLog } from './event-log.contract.js';

// syncCommit off keeps the suite fast; fsync behaviour is exercised by scripts/bench-log.ts and the
// lock test. Durability across a clean reopen does not depend on it.
describeEventLog('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx-sqlite-log-'));
  const open = (): SqliteEventLog => SqliteEventLog.open({ dir, syncCommit: false });
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
});
