import { MemoryEventLog } from '../../src/log/memory/memory-event-log.js';
import type { EventLog } from '../../src/log/event-log.js';
import { describeEventLog } from './event-log.contract.js';

describeEventLog('memory', async () => {
  const first = new MemoryEventLog();
  let current: EventLog = first;
  return {
    log: first,
    keepsStates: true,
    // A restart keeps the store (the memory log's "data dir") and drops the handle.
    reopen: async () => {
      await current.close();
      current = new MemoryEventLog(first.store);
      return current;
    },
    cleanup: async () => {
      await current.close();
    },
  };
});
