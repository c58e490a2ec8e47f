import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEventLog } from '../../src/log/sqlite/sqlite-event-log.js';
import type { LogRecord, TransSummary } from '../../src/log/event-log.js';
import { rec, summary } from './event-log-builders.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * `scanAll` of the SQLite log reads pages of transactions with all their events in one range
 * statement: across page boundaries every transaction comes once, in creation order, with exactly
 * its own events in seq order (as `read` gives them) and its current summary.
 */

const COUNT = 2345;
const T = 1_800_000_000_000;
const dir = tempDir('dtx-scan-all-');
let log: SqliteEventLog;
const gidOf = (i: number) => `scan-${i}`;
const eventsOf = (i: number) => (i * 7) % 9; // 0..8 events: some transactions have none yet

beforeAll(async () => {
  log = SqliteEventLog.open({ dir, syncCommit: false });
  // events of a transaction are spread over two batches, the second one after later transactions
  let late: LogRecord[] = [];
  for (let b = 0; b < COUNT; b += 100) {
    const records: LogRecord[] = [...late];
    const summaries: TransSummary[] = [];
    late = [];
    for (let i = b; i < Math.min(COUNT, b + 100); i++) {
      const n = eventsOf(i);
      for (let s = 1; s <= n; s++) (s <= n / 2 ? records : late).push(rec(gidOf(i), s, { data: { i, s } }));
      summaries.push(summary(gidOf(i), { createTime: T + i, status: n % 2 ? 'succeed' : 'submitted' }));
    }
    await log.append(records, summaries);
  }
  await log.append(late, []);
});

afterAll(async () => {
  await log?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sqlite scanAll pages', () => {
  it('yields every transaction once, in creation order, with its own events and summary', async () => {
    const seen: string[] = [];
    for await (const t of log.scanAll(0)) {
      const i = seen.length;
      seen.push(t.gid);
      expect(t.gid).toBe(gidOf(i));
      expect(t.records).toEqual(await log.read(t.gid));
      expect(t.records.map((r) => r.seq)).toEqual(Array.from({ length: eventsOf(i) }, (_, k) => k + 1));
      expect(t.summary).toEqual(await log.getSummary(t.gid));
    }
    expect(seen).toHaveLength(COUNT);
    expect(await log.countAll(0)).toBe(COUNT);
  });

  it('with since: only the transactions created at or after it', async () => {
    const from = 1234;
    const seen: string[] = [];
    for await (const t of log.scanAll(T + from)) {
      seen.push(t.gid);
      expect(t.records.length).toBe(eventsOf(from + seen.length - 1));
    }
    expect(seen).toEqual(Array.from({ length: COUNT - from }, (_, k) => gidOf(from + k)));
  });
});
