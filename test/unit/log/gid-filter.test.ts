import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GidFilter } from '../../../src/log/sqlite/gid-filter.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The embedded log's filter of known gids (src/log/sqlite/gid-filter.ts): "not here" must never be
 * said of a gid the log holds (the engine would restart a finished transaction), and must be said
 * of almost every new one (else it saves nothing).
 */

function gidsDb(n: number): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE gids (id INTEGER PRIMARY KEY, gid TEXT NOT NULL UNIQUE)');
  const insert = db.prepare('INSERT INTO gids (gid) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(`old-${i}`);
  })();
  return db;
}

describe('GidFilter', () => {
  it('answers "may have" for everything until filled, then never "no" for a gid added or filled', async () => {
    const filter = new GidFilter();
    expect(filter.mayHave('anything')).toBe(true);
    const db = gidsDb(45_000); // three pages of the fill, one per event-loop turn
    const filling = filter.fill(db);
    expect(filter.complete).toBe(false);
    filter.add('added-while-filling');
    expect(filter.mayHave('never-added')).toBe(true);
    await filling;
    expect(filter.complete).toBe(true);
    for (let i = 0; i < 45_000; i++) expect(filter.mayHave(`old-${i}`)).toBe(true);
    expect(filter.mayHave('added-while-filling')).toBe(true);
    expect(filter.mayHave('never-added')).toBe(false);
  });

  it('has no false negatives for any gids, and few false positives', async () => {
    const filter = new GidFilter();
    await filter.fill(gidsDb(0));
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 128 }), { maxLength: 50 }), (gids) => {
        for (const g of gids) filter.add(g);
        return gids.every((g) => filter.mayHave(g));
      }),
    );
    for (let i = 0; i < 300_000; i++) filter.add(`cl-${i.toString(36)}-${i % 13}`);
    let positives = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mayHave(`new-${i}`)) positives += 1;
    expect(positives).toBeLessThan(100); // theory at ~300,000 gids: 0.005%, i.e. ~5
  });

  it('a fill that cannot read stays incomplete and rejects', async () => {
    const db = gidsDb(10);
    db.close();
    const filter = new GidFilter();
    await expect(filter.fill(db)).rejects.toThrow();
    expect(filter.complete).toBe(false);
    expect(filter.mayHave('x')).toBe(true);
  });

  it('the embedded log with background fsyncs reads every gid it holds, while and after the filter fills', async () => {
    const dir = tempDir('dtx-gid-filter-');
    const first = SqliteEventLog.open({ dir, syncCommit: false });
    const summary = (gid: string): TransSummary => ({ gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: 1, nextCronTime: undefined, finished: false, view: '{}' });
    const records: LogRecord[] = [];
    for (let i = 0; i < 45_000; i++) records.push({ v: 1, gid: `old-${i}`, seq: 1, type: 'TransCreated', at: 1, data: {}, cmd: `c${i}` });
    await first.append(records, records.map((r) => summary(r.gid)));
    await first.close();
    const log = SqliteEventLog.open({ dir, syncCommit: false, writer: 'background' });
    try {
      const sample = async () => {
        for (let i = 0; i < 45_000; i += 4_999) expect((await log.read(`old-${i}`)).map((r) => r.cmd)).toEqual([`c${i}`]);
      };
      expect(log.readsKnowNewGids).toBe(false); // the fill is under way
      await sample();
      await log.append([{ v: 1, gid: 'new-1', seq: 1, type: 'TransCreated', at: 2, data: {}, cmd: 'n1' }], [summary('new-1')]);
      for (let turn = 0; turn < 100 && !log.readsKnowNewGids; turn++) await new Promise((r) => setImmediate(r));
      expect(log.readsKnowNewGids).toBe(true);
      await sample();
      // appended once the filter is complete: the log adds it, the fill does not see it
      await log.append([{ v: 1, gid: 'new-2', seq: 1, type: 'TransCreated', at: 3, data: {}, cmd: 'n2' }], [summary('new-2')]);
      expect((await log.read('new-1')).map((r) => r.cmd)).toEqual(['n1']);
      expect((await log.read('new-2')).map((r) => r.cmd)).toEqual(['n2']);
      expect(await log.read('never-written')).toEqual([]);
    } finally {
      await log.close();
    }
  });
});
