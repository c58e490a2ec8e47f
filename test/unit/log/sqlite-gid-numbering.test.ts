import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Internal } from '../../../src/errors.js';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { buildAppendTx, type AppendTx } from '../../../src/log/sqlite/sqlite-append.js';
import { openDatabase } from '../../../src/log/sqlite/sqlite-database.js';
import { ensureSchema } from '../../../src/log/sqlite/sqlite-schema.js';
import { prepareStatements } from '../../../src/log/sqlite/sqlite-statements.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * How one append numbers its gids (`buildAppendTx`): a gid whose seq-1 event is in the batch is
 * numbered by its insert alone, any other by a lookup first; either way a gid keeps one number,
 * whichever path met it first.
 */
const open: Array<{ db: Database.Database; dir: string }> = [];
afterEach(() => {
  for (const { db, dir } of open.splice(0)) {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function appendTx(): { append: AppendTx; db: Database.Database } {
  const dir = tempDir('dtx-gid-numbering-');
  const db = openDatabase({ file: path.join(dir, 'dtx.db'), syncCommit: false, lockTimeoutMs: 5000, exclusive: false });
  open.push({ db, dir });
  ensureSchema(db, path.join(dir, 'dtx.db'));
  return { append: buildAppendTx(db, prepareStatements(db)), db };
}

const rec = (gid: string, seq: number): LogRecord => ({ v: 1, gid, seq, type: seq === 1 ? 'TransCreated' : 'BranchSucceeded', at: seq, data: { n: seq }, cmd: `${gid}-${seq}` });
const sum = (gid: string): TransSummary => ({ gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: 1, nextCronTime: undefined, finished: false, view: '{}' });

function numbers(db: Database.Database): Record<string, number> {
  const rows = db.prepare('SELECT id, gid FROM gids').all() as Array<{ id: number; gid: string }>;
  return Object.fromEntries(rows.map((r) => [r.gid, r.id]));
}

function tidsOfEvents(db: Database.Database, gid: string): number[] {
  return (db.prepare('SELECT e.tid FROM events e JOIN gids g ON g.id = e.tid WHERE g.gid = ? ORDER BY e.seq').all(gid) as Array<{ tid: number }>).map((r) => r.tid);
}

describe('gid numbering in one append', () => {
  it('numbers new gids once each and finds them again in later batches', () => {
    const { append, db } = appendTx();
    append([rec('a', 1), rec('b', 1), rec('a', 2)], [sum('a'), sum('b')]);
    append([rec('a', 3), rec('c', 1)], [sum('a'), sum('c')]);
    const ids = numbers(db);
    expect(Object.keys(ids).sort()).toEqual(['a', 'b', 'c']);
    expect(new Set(Object.values(ids)).size).toBe(3);
    expect(tidsOfEvents(db, 'a')).toEqual([ids['a'], ids['a'], ids['a']]);
    const summaryIds = db.prepare('SELECT id, gid FROM transactions ORDER BY id').all() as Array<{ id: number; gid: string }>;
    expect(summaryIds).toEqual([{ id: ids['a'], gid: 'a' }, { id: ids['b'], gid: 'b' }, { id: ids['c'], gid: 'c' }]);
  });

  it('keeps the number of a gid numbered before its seq-1 event (a summary written alone)', () => {
    const { append, db } = appendTx();
    append([], [sum('early')]);
    const before = numbers(db)['early'];
    expect(before).toBeTypeOf('number');
    append([rec('early', 1)], [sum('early')]);
    expect(numbers(db)['early']).toBe(before);
    expect(tidsOfEvents(db, 'early')).toEqual([before]);
  });

  it('refuses a second seq-1 event of a gid as a duplicate event, not as a gid clash', () => {
    const { append, db } = appendTx();
    append([rec('twice', 1)], [sum('twice')]);
    expect(() => append([rec('twice', 1)], [sum('twice')])).toThrow(Internal);
    expect(() => append([rec('twice', 1)], [])).toThrow(/duplicate event gid=twice seq=1/);
    expect(Object.keys(numbers(db))).toEqual(['twice']);
  });
});
