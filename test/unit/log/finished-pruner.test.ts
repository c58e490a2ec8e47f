import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { finishedTimeIndex } from '../../../src/log/sqlite/finished-prune.js';
import { FinishedPruner, pruneIntervalMs } from '../../../src/log/sqlite/finished-pruner.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { recs, summary } from '../../contract/event-log-builders.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * Store.PruneFinishedAfter on a running embedded log (with background fsyncs, as `dtx serve` runs it):
 * rounds delete finished transactions older than the retention, each whole, between commits that
 * go on meanwhile; open and recent ones stay whole, and nothing committed is lost.
 */
const T = 1_700_000_000_000;
const RETENTION = 60_000;
const silent = pino({ level: 'silent' });
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close().catch(() => undefined);
});

function running(writer: 'inline' | 'background'): { log: SqliteEventLog; pruner: FinishedPruner; clock: { now: number } } {
  const log = SqliteEventLog.open({ dir: tempDir('dtx-pruner-'), syncCommit: writer === 'background', writer });
  const clock = { now: T };
  const pruner = new FinishedPruner(log, RETENTION, silent, () => clock.now, 3_600_000);
  open.push(log, pruner);
  return { log, pruner, clock };
}

describe('FinishedPruner', () => {
  it('a round deletes what finished before the retention, whole; open and recent transactions stay', async () => {
    const { log, pruner, clock } = running('inline');
    await log.append(recs('old', 1, 3), [summary('old', { status: 'succeed', finished: true, updateTime: T })]);
    await log.append(recs('open', 1, 2), [summary('open', { status: 'submitted', updateTime: T })]);
    await log.append(recs('recent', 1, 2), [summary('recent', { status: 'failed', finished: true, updateTime: T + 50_000 })]);
    clock.now = T + RETENTION + 1;
    expect(await pruner.round()).toEqual({ transactions: 1, events: 3, states: 0 });
    expect(await log.read('old')).toEqual([]);
    expect(await log.getSummary('old')).toBeUndefined();
    expect(await log.read('open')).toEqual(recs('open', 1, 2));
    expect(await log.read('recent')).toEqual(recs('recent', 1, 2));
    clock.now = T + 50_000 + RETENTION + 1;
    expect((await pruner.round()).transactions).toBe(1);
    expect((await log.list({ limit: 10 })).items.map((t) => t.gid)).toEqual(['open']);
    // a pruned gid starts anew
    await log.append(recs('old', 1, 1), [summary('old', { status: 'submitted', updateTime: clock.now })]);
    expect(await log.read('old')).toEqual(recs('old', 1, 1));
  });

  it('with background fsyncs: commits made during the rounds are all kept, the old finished ones all go', async () => {
    const { log, pruner, clock } = running('background');
    const old = Array.from({ length: 3000 }, (_, i) => `old-${i}`);
    for (let i = 0; i < old.length; i += 500) {
      const batch = old.slice(i, i + 500);
      await log.append(batch.flatMap((g) => recs(g, 1, 2)), batch.map((g) => summary(g, { status: 'succeed', finished: true, updateTime: T })));
    }
    clock.now = T + RETENTION + 1;
    const fresh: string[] = [];
    const writing = (async () => {
      for (let i = 0; i < 200; i += 1) {
        const gid = `new-${i}`;
        fresh.push(gid);
        await log.append(recs(gid, 1, 2), [summary(gid, { status: i % 2 === 0 ? 'succeed' : 'submitted', finished: i % 2 === 0, updateTime: clock.now })]);
      }
    })();
    const [pruned] = await Promise.all([pruner.round(), writing]);
    expect(pruned.transactions + (await pruner.round()).transactions).toBe(old.length);
    for (const gid of fresh) expect(await log.read(gid)).toEqual(recs(gid, 1, 2));
    for (const gid of ['old-0', 'old-1499', 'old-2999']) expect(await log.readTail(gid)).toEqual({ records: [] });
    expect(await log.countAll(0)).toBe(fresh.length);
  });

  it('reads the index of finished transactions by finish time, which its first round makes and finishedTimeIndex off drops', async () => {
    const { log, pruner, clock } = running('inline');
    const indexes = () => log.writeWhenIdle((db) => db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index'`).all().map((r) => r.name));
    expect(indexes()).not.toContain('transactions_finished_time');
    const old = Array.from({ length: 250 }, (_, i) => `old-${i}`);
    await log.append(old.flatMap((g) => recs(g, 1, 1)), old.map((g, i) => summary(g, { status: 'succeed', finished: true, updateTime: T + i })));
    clock.now = T + 100 + RETENTION; // those that finished before T + 100
    expect((await pruner.round()).transactions).toBe(100);
    expect(indexes()).toContain('transactions_finished_time');
    // what is due comes from the index alone: no table row is read
    const plan = log.writeWhenIdle((db) => JSON.stringify(db.prepare('EXPLAIN QUERY PLAN SELECT min(id), max(id) FROM (SELECT id FROM transactions WHERE finished = 1 AND update_time < 0 ORDER BY update_time LIMIT 5)').all()));
    expect(plan).toMatch(/USING COVERING INDEX transactions_finished_time/);
    clock.now = T + 1000 + RETENTION;
    expect((await pruner.round()).transactions).toBe(150);
    log.writeWhenIdle((db) => finishedTimeIndex(db, false));
    expect(indexes()).not.toContain('transactions_finished_time');
  });

  it('stops with close: no round runs after it', async () => {
    const { log, pruner, clock } = running('inline');
    await log.append(recs('old', 1, 1), [summary('old', { status: 'succeed', finished: true, updateTime: T })]);
    clock.now = T + RETENTION + 1;
    await pruner.close();
    expect(await pruner.round()).toEqual({ transactions: 0, events: 0, states: 0 });
    expect(await log.read('old')).toEqual(recs('old', 1, 1));
  });

  it('rounds start every quarter of the retention, between 1 s and a minute', () => {
    expect(pruneIntervalMs(1000)).toBe(1000);
    expect(pruneIntervalMs(120_000)).toBe(30_000);
    expect(pruneIntervalMs(86_400_000)).toBe(60_000);
  });
});
