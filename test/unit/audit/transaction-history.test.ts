import { describe, expect, it } from 'vitest';
import { HISTORY_MAX_EVENTS, transactionHistory } from '../../../src/audit/transaction-history.js';
import { replayRecords, replayRecordsYielding } from '../../../src/audit/timeline.js';
import { PayloadTooLarge } from '../../../src/errors.js';
import { MemoryEventLog } from '../../../src/log/memory/memory-event-log.js';
import { goldenFiles, goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';

/** The server's history route folds at most HISTORY_MAX_EVENTS events, giving the event loop back as it goes. */
describe('transactionHistory', () => {
  const file = goldenFiles().find((f) => f.startsWith('saga'))!;
  const records = readGoldenLog(file);
  const gid = records[0]!.gid;

  it('folds a history within the bound, and refuses a longer one before folding anything', async () => {
    const log = new MemoryEventLog();
    await log.append(records, []);
    const h = await transactionHistory(log, goldenRegistry(), gid, records.length);
    expect(h?.timeline).toHaveLength(records.length);
    const refused = transactionHistory(log, goldenRegistry(), gid, records.length - 1);
    await expect(refused).rejects.toBeInstanceOf(PayloadTooLarge);
    await expect(refused).rejects.toThrow(`the history of ${gid} has ${records.length} events, more than the ${records.length - 1} the server folds for one answer: run \`dtx replay <gid>\` on the log's data`);
    expect(HISTORY_MAX_EVENTS).toBe(50_000);
  });

  it('the server\'s fold gives the event loop back as it goes, and renders what the plain fold renders', async () => {
    const order: string[] = [];
    const folding = replayRecordsYielding(goldenRegistry(), gid, records, 1).then((r) => {
      order.push('fold done');
      return r;
    });
    setImmediate(() => order.push('another request'));
    const yielded = await folding;
    expect(order).toEqual(['another request', 'fold done']);
    expect(yielded?.timeline).toEqual(replayRecords(goldenRegistry(), gid, records)?.timeline);
  });
});
