/**
 * Contract suite of the EventLog port (STYLE L14): every adapter runs it through its own
 * `*.test.ts` with a factory that returns a fresh, empty log.
 *
 * Conventions the suite relies on (stated by the port or by src/errors.ts):
 * - duplicate (gid, seq) rejects with `DTX_INTERNAL` (fencing/seq bug) and the batch writes nothing;
 * - a closed log rejects with `DTX_LOG_UNAVAILABLE`; a malformed cursor with `DTX_BAD_REQUEST`;
 * - seq contiguity is the caller's job: the suite always appends 1..n per gid.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventLog } from '../../src/log/event-log.js';
import { collectOpen, expectRejectCode, rec, recs, summary } from './event-log-builders.js';
import type { EventLogFactory, EventLogFixture } from './event-log-builders.js';
import { describeListing } from './event-log-listing.contract.js';
import { describeProperties } from './event-log-property.contract.js';
import { describeKv } from './event-log-kv.contract.js';
import { describeStates } from './event-log-states.contract.js';

export type { EventLogFactory, EventLogFixture } from './event-log-builders.js';

export function describeEventLog(name: string, factory: EventLogFactory): void {
  describe(`EventLog contract: ${name}`, () => {
    let fx: EventLogFixture;
    let log: EventLog;
    beforeEach(async () => {
      fx = await factory();
      log = fx.log;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('reads back appended records per gid in seq order, across batches', async () => {
      await log.append([rec('a', 1), rec('b', 1), rec('a', 2)], [summary('a'), summary('b')]);
      await log.append([rec('b', 2), rec('a', 3), rec('b', 3)], [summary('a'), summary('b')]);
      expect(await log.read('a')).toEqual(recs('a', 1, 3));
      expect(await log.read('b')).toEqual(recs('b', 1, 3));
      expect(await log.read('unknown')).toEqual([]);
    });

    it('round-trips record data as JSON and drops nothing else', async () => {
      const data = { s: 'ü ☃ \u0000 "x"', n: -12.5, big: 2 ** 53 - 1, list: [1, 'two', null, { deep: true }] };
      const r = rec('g', 1, { type: 'TransCreated', at: 1_711_111_111_111, data, cmd: '' });
      await log.append([r], [summary('g')]);
      expect(await log.read('g')).toEqual([r]);
      expect((await log.read('g'))[0]?.v).toBe(1);
    });

    it('treats an empty batch as a no-op', async () => {
      await log.append([], []);
      expect((await log.list({ limit: 10 })).items).toEqual([]);
    });

    it('rejects a batch repeating a stored (gid, seq) and writes nothing of it', async () => {
      await log.append(recs('a', 1, 2), [summary('a', { status: 'prepared' })]);
      const batch = [rec('b', 1), rec('a', 3), rec('a', 2, { type: 'Other' })];
      const sums = [summary('a', { status: 'aborting' }), summary('b')];
      await expectRejectCode(log.append(batch, sums), 'DTX_INTERNAL');
      expect(await log.read('a')).toEqual(recs('a', 1, 2));
      expect(await log.read('b')).toEqual([]);
      expect(await log.getSummary('a')).toEqual(summary('a', { status: 'prepared' }));
      expect(await log.getSummary('b')).toBeUndefined();
      // the log stays usable after the rejected batch
      await log.append([rec('a', 3)], [summary('a', { status: 'succeed', finished: true })]);
      expect(await log.read('a')).toEqual(recs('a', 1, 3));
    });

    it('rejects a batch repeating a (gid, seq) inside itself', async () => {
      await expectRejectCode(log.append([rec('c', 1), rec('c', 1)], [summary('c')]), 'DTX_INTERNAL');
      expect(await log.read('c')).toEqual([]);
      expect(await log.getSummary('c')).toBeUndefined();
    });

    it('upserts summaries and returns the latest one', async () => {
      expect(await log.getSummary('t')).toBeUndefined();
      await log.append([rec('t', 1)], [summary('t', { status: 'prepared', nextCronTime: undefined })]);
      expect(await log.getSummary('t')).toEqual(summary('t', { status: 'prepared', nextCronTime: undefined }));
      const later = summary('t', { status: 'submitted', updateTime: 1_700_000_009_000, nextCronTime: 1_700_000_099_000 });
      await log.append([rec('t', 2)], [later]);
      expect(await log.getSummary('t')).toEqual(later);
      const done = summary('t', { status: 'succeed', finished: true, nextCronTime: undefined, view: '{"x":1}' });
      await log.append([rec('t', 3)], [done]);
      expect(await log.getSummary('t')).toEqual(done);
      // a summary can also be written without events (e.g. a projection refresh)
      const touched = { ...done, updateTime: done.updateTime + 1 };
      await log.append([], [touched]);
      expect(await log.getSummary('t')).toEqual(touched);
    });

    it('scanOpen yields every unfinished transaction with all its events, and only those', async () => {
      await log.append([...recs('o1', 1, 2), ...recs('f1', 1, 2), rec('o2', 1)], [summary('o1'), summary('f1'), summary('o2')]);
      await log.append([rec('o1', 3), rec('f1', 3), rec('o2', 2)], [summary('f1', { status: 'succeed', finished: true })]);
      const open = await collectOpen(log);
      expect([...open.keys()].sort()).toEqual(['o1', 'o2']);
      expect(open.get('o1')).toEqual(recs('o1', 1, 3));
      expect(open.get('o2')).toEqual(recs('o2', 1, 2));
    });

    it('scanAll yields every transaction created since a time, finished or not, with its summary', async () => {
      await log.append([...recs('x1', 1, 2), rec('x2', 1), rec('x3', 1)], [
        summary('x1', { createTime: 1000, status: 'succeed', finished: true }),
        summary('x2', { createTime: 2000 }),
        summary('x3', { createTime: 3000 }),
      ]);
      const all: string[] = [];
      for await (const t of log.scanAll(0)) {
        all.push(t.gid);
        expect(t.records).toEqual(await log.read(t.gid));
        expect(t.summary).toEqual(await log.getSummary(t.gid));
      }
      expect(all.sort()).toEqual(['x1', 'x2', 'x3']);
      const since: string[] = [];
      for await (const t of log.scanAll(2000)) since.push(t.gid);
      expect(since.sort()).toEqual(['x2', 'x3']);
      expect(await log.countAll(0)).toBe(3);
      expect(await log.countAll(2001)).toBe(1);
    });

    it('scanOpen streams many transactions (several chunks)', async () => {
      const records = [];
      const sums = [];
      for (let i = 0; i < 700; i++) {
        records.push(...recs(`m${i}`, 1, 2));
        sums.push(summary(`m${i}`, { finished: i % 3 === 0 }));
      }
      await log.append(records, sums);
      const open = await collectOpen(log);
      expect(open.size).toBe(700 - Math.ceil(700 / 3));
      expect(open.get('m1')).toEqual(recs('m1', 1, 2));
      expect(open.has('m3')).toBe(false);
    });

    it('keeps data across a reopen (durability)', async (ctx) => {
      if (fx.reopen === undefined) return ctx.skip('adapter has no reopen');
      await log.append([...recs('d1', 1, 2), rec('d2', 1)], [summary('d1'), summary('d2', { finished: true })]);
      const before = await log.list({ limit: 10 });
      log = await fx.reopen();
      expect(await log.read('d1')).toEqual(recs('d1', 1, 2));
      expect(await log.read('d2')).toEqual([rec('d2', 1)]);
      expect(await log.getSummary('d2')).toEqual(summary('d2', { finished: true }));
      expect(await log.list({ limit: 10 })).toEqual(before);
      expect([...(await collectOpen(log)).keys()]).toEqual(['d1']);
      await log.append([rec('d1', 3)], [summary('d1', { status: 'succeed' })]);
      await expectRejectCode(log.append([rec('d1', 3)], []), 'DTX_INTERNAL');
      expect(await log.read('d1')).toEqual(recs('d1', 1, 3));
    });

    it('rejects calls after close with DTX_LOG_UNAVAILABLE; close is idempotent', async () => {
      await log.close();
      await log.close();
      await expectRejectCode(log.append([rec('z', 1)], [summary('z')]), 'DTX_LOG_UNAVAILABLE');
      await expectRejectCode(log.read('z'), 'DTX_LOG_UNAVAILABLE');
    });

    describeListing(() => log);
    describeProperties(() => log);
    describeKv(() => log, () => fx);
    describeStates(() => log, () => fx);
  });
}
