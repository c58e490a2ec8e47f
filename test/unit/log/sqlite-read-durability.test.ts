import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { SqliteEventLog, type SqliteLogParts } from '../../../src/log/sqlite/sqlite-event-log.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * SqliteEventLog's read contract with background fsyncs: a commit made on the main thread's
 * connection is visible before its fsync returns, so every read waits for the appender's
 * `settled()` before it answers. Here the appender's settled() is a gate the test opens.
 */
const gate: { promise: Promise<void> | undefined; open: () => void } = { promise: undefined, open: () => undefined };

class GatedLog extends SqliteEventLog {
  constructor(...parts: SqliteLogParts) {
    const [file, db, stmts, appender, ...rest] = parts;
    super(file, db, stmts, { append: (r, s) => appender.append(r, s), settled: () => gate.promise, close: () => appender.close() }, ...rest);
  }
}

const logs: SqliteEventLog[] = [];
afterEach(async () => {
  gate.promise = undefined;
  for (const log of logs.splice(0)) await log.close();
});

async function openWithOne(): Promise<GatedLog> {
  const log = GatedLog.open({ dir: tempDir('dtx-read-durable-'), syncCommit: true });
  logs.push(log);
  const record: LogRecord = { v: 1, gid: 'g-1', seq: 1, type: 'TransCreated', at: 1, data: {}, cmd: 'c-1' };
  const summary: TransSummary = { gid: 'g-1', transType: 'saga', status: 'submitted', createTime: 1, updateTime: 1, nextCronTime: 5, finished: false, view: '{"gid":"g-1"}' };
  await log.append([record], [summary]);
  return log;
}

const reads: Array<[string, (log: SqliteEventLog) => Promise<unknown>]> = [
  ['read', (log) => log.read('g-1')],
  ['getSummary', (log) => log.getSummary('g-1')],
  ['list', (log) => log.list({ limit: 10 })],
  ['listScheduledAfter', (log) => log.listScheduledAfter(0, 10)],
  ['countAll', (log) => log.countAll(0)],
  ['scanKV', (log) => log.scanKV('topics', '', 10)],
  ['queryKV', (log) => log.queryKV('topics', 'k')],
  ['scanOpen', async (log) => { for await (const t of log.scanOpen()) return t; }],
  ['scanAll', async (log) => { for await (const t of log.scanAll(0)) return t; }],
];

describe('sqlite log: reads answer only durable commits', () => {
  it.each(reads)('%s waits for the commits it may have seen to be durable', async (_name, read) => {
    const log = await openWithOne();
    gate.promise = new Promise<void>((r) => (gate.open = r));
    let answered = false;
    const answer = read(log).then((v) => {
      answered = true;
      return v;
    });
    for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    gate.open();
    await answer;
    expect(answered).toBe(true);
  });

  it('answers at once when nothing is waiting for its fsync', async () => {
    const log = await openWithOne();
    expect((await log.read('g-1')).map((r) => r.seq)).toEqual([1]);
    expect((await log.getSummary('g-1'))?.status).toBe('submitted');
  });
});
