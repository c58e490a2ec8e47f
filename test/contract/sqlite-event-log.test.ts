import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SqliteEventLog, type SqliteEventLogOptions } from '../../src/log/sqlite/sqlite-event-log.js';
import type { EventLog } from '../../src/log/event-log.js';
import { describeEventLog } from './event-log.contract.js';
import { tempDir } from '../support/temp-dir.js';
import { createV1Log, markSchemaVersion, schemaOf, type V1Event, type V1Layout } from '../support/sqlite-v1-log.js';

function sqliteFactory(opts: Pick<SqliteEventLogOptions, 'syncCommit' | 'writer'>, before?: (dir: string) => void) {
  return async () => {
    const dir = tempDir('dtx-sqlite-log-');
    before?.(dir);
    const open = (): SqliteEventLog => SqliteEventLog.open({ dir, ...opts });
    let current: EventLog = open();
    return {
      log: current,
      keepsStates: true,
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
// The production configuration (main.ts): fsyncs and checkpoints' syncs on the thread pool, fsync on.
describeEventLog('sqlite (background fsyncs)', sqliteFactory({ syncCommit: true, writer: 'background' }));
// Logs of schema version 1 (events and transactions keyed by gid), converted when opened: the
// whole contract again on each of its two layouts, through the production writer.
for (const layout of ['clustered', 'append-order'] as const) {
  describeEventLog(`sqlite (converted from a version 1 log, events ${layout})`, sqliteFactory({ syncCommit: true, writer: 'background' }, (dir) => createV1Log(dir, layout)));
}

const event = (gid: string, seq: number, type: string, data: Record<string, unknown> = {}): V1Event => ({ gid, seq, type, at: 5000 + seq, cmd: `c-${gid}-${seq}`, data });

/** A version 1 log with two transactions (ids 3 and 7: rows once deleted leave gaps), a topic's events and `layout`. */
function v1WithData(dir: string, layout: V1Layout): void {
  const view = (gid: string, status: string) => JSON.stringify({ transaction: { gid, status }, branches: [] });
  createV1Log(
    dir,
    layout,
    [
      { id: 3, gid: 'old-open', status: 'submitted', finished: false, nextCronTime: 9000, view: view('old-open', 'submitted') },
      { id: 7, gid: 'old-done', status: 'succeed', finished: true, view: view('old-done', 'succeed') },
    ],
    [
      event('old-done', 1, 'TransCreated', { n: 1 }),
      event('old-open', 1, 'TransCreated', { n: 2 }),
      event('old-done', 2, 'BranchSucceeded', { branchId: '01' }),
      event('dtx:topics', 1, 'TopicChanged', { topic: 't1' }),
    ],
  );
}

describe('sqlite schema version 3', () => {
  it('keys a new log\'s events and transactions by the gid\'s number', async () => {
    const dir = tempDir('dtx-sqlite-layout-');
    const log = SqliteEventLog.open({ dir, syncCommit: false });
    await log.close();
    const events = schemaOf(dir, 'events');
    expect(events.version).toBe('3');
    expect(events.sql).toContain('PRIMARY KEY (tid, seq)');
    expect(events.sql).not.toMatch(/WITHOUT ROWID/i);
    expect(schemaOf(dir, 'transactions').sql).not.toMatch(/UNIQUE/i);
    expect(schemaOf(dir, 'gids').sql).toMatch(/gid\s+TEXT\s+NOT NULL UNIQUE/);
  });

  it('refuses a log of a version it does not know, and leaves it as it was', async () => {
    const dir = tempDir('dtx-sqlite-layout-');
    createV1Log(dir, 'append-order');
    markSchemaVersion(dir, '4');
    expect(() => SqliteEventLog.open({ dir, syncCommit: false })).toThrow(/schema version 4; this dtx build reads version 3/);
    expect(schemaOf(dir, 'events')).toMatchObject({ version: '4', sql: expect.stringContaining('PRIMARY KEY (gid, seq)') });
    expect(schemaOf(dir, 'gids').sql).toBeUndefined();
  });

  it('marks a version 2 log version 3 and reads it as it was (views stored as dtm text)', async () => {
    const dir = tempDir('dtx-sqlite-layout-');
    const view = JSON.stringify({ transaction: { gid: 'v2-done', payloads: ['x'.repeat(300)] }, branches: [] });
    const summary = { gid: 'v2-done', transType: 'saga', status: 'succeed', createTime: 1, updateTime: 2, nextCronTime: undefined, finished: true, view };
    const first = SqliteEventLog.open({ dir, syncCommit: false });
    await first.append([{ v: 1, gid: 'v2-done', seq: 1, type: 'TransCreated', at: 1, data: {}, cmd: 'c1' }], [summary]);
    await first.close();
    markSchemaVersion(dir, '2');
    const log = SqliteEventLog.open({ dir, syncCommit: false });
    try {
      expect(await log.getSummary('v2-done')).toMatchObject({ status: 'succeed', view });
      expect((await log.list({ limit: 10 })).items.map((s) => s.view)).toEqual([view]);
    } finally {
      await log.close();
    }
    // read once closed: the open log holds the database's exclusive lock
    expect(schemaOf(dir, 'events').version).toBe('3');
  });

  for (const layout of ['clustered', 'append-order'] as const) {
    it(`converts a version 1 log (events ${layout}) with nothing lost; ids stay`, async () => {
      const dir = tempDir('dtx-sqlite-layout-');
      v1WithData(dir, layout);
      const log = SqliteEventLog.open({ dir, syncCommit: true, writer: 'background' });
      try {
        expect(schemaOf(dir, 'events').sql).toContain('PRIMARY KEY (tid, seq)');
        expect(schemaOf(dir, 'events').version).toBe('3');
        expect((await log.read('old-done')).map((r) => [r.seq, r.type, r.cmd, r.at, r.data])).toEqual([
          [1, 'TransCreated', 'c-old-done-1', 5001, { n: 1 }],
          [2, 'BranchSucceeded', 'c-old-done-2', 5002, { branchId: '01' }],
        ]);
        expect((await log.read('dtx:topics')).map((r) => r.data)).toEqual([{ topic: 't1' }]);
        expect(await log.getSummary('old-open')).toMatchObject({ status: 'submitted', finished: false, nextCronTime: 9000, createTime: 1003 });
        const page = await log.list({ limit: 10 });
        expect(page.items.map((s) => s.gid)).toEqual(['old-done', 'old-open']);
        // the listing cursor is the old id: the next page after 'old-done' (id 7) starts below it
        expect((await log.list({ limit: 10, position: '7' })).items.map((s) => s.gid)).toEqual(['old-open']);
        const open: string[] = [];
        for await (const t of log.scanOpen()) open.push(t.gid);
        expect(open).toEqual(['old-open']);
        const audited: Array<[string, number]> = [];
        for await (const t of log.scanAll(0)) audited.push([t.gid, t.records.length]);
        expect(audited).toEqual([['old-open', 1], ['old-done', 2]]);
        // a new transaction gets the next number, and an old one goes on where it was
        const created = { gid: 'new-1', transType: 'saga', status: 'submitted', createTime: 1, updateTime: 1, nextCronTime: undefined, finished: false, view: '{}' };
        await log.append([{ v: 1, gid: 'new-1', seq: 1, type: 'TransCreated', at: 1, data: {}, cmd: 'n1' }], [created]);
        await log.append([{ v: 1, gid: 'old-open', seq: 2, type: 'TransFinished', at: 2, data: {}, cmd: 'o2' }], [{ ...created, gid: 'old-open', status: 'succeed', finished: true }]);
        expect((await log.list({ limit: 10 })).items.map((s) => s.gid)).toEqual(['new-1', 'old-done', 'old-open']);
        expect((await log.read('old-open')).map((r) => r.seq)).toEqual([1, 2]);
        expect((await log.getSummary('old-open'))?.createTime).toBe(1003);
      } finally {
        await log.close();
      }
    });
  }
});
