import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteEventLog } from '../../src/log/sqlite/sqlite-event-log.js';
import type { EventLog } from '../../src/log/event-log.js';
import { describeEventLog } from './event-log.contract.js';

// The production configuration: commits on the background writer thread (main.ts), fsync on.
describeEventLog('sqlite (worker writer)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx-sqlite-worker-'));
  const open = (): SqliteEventLog => SqliteEventLog.open({ dir, syncCommit: true, writer: 'worker' });
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
