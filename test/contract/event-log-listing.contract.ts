/**
 * Listing part of the EventLog contract: `list` (dtm `all`, spec §3.3.4) and `listScheduledAfter`
 * (dtm `resetCronTime`, spec §3.3.6). Registered inside describeEventLog's describe block.
 */
import { describe, expect, it } from 'vitest';
import type { EventLog, TransSummary } from '../../src/log/event-log.js';
import { expectRejectCode, rec, summary } from './event-log-builders.js';

const T0 = 1_700_000_000_000;

async function insertOnePerBatch(log: EventLog, sums: TransSummary[]): Promise<void> {
  for (const s of sums) await log.append([rec(s.gid, 1)], [s]);
}

export function describeListing(getLog: () => EventLog): void {
  describe('list', () => {
    it('pages newest first with an opaque cursor (spec §3.3.4 paging test)', async () => {
      const log = getLog();
      await insertOnePerBatch(log, ['l1', 'l2', 'l3', 'l4'].map((g) => summary(g)));
      const p1 = await log.list({ limit: 1 });
      expect(p1.items.map((s) => s.gid)).toEqual(['l4']);
      expect(p1.nextPosition).not.toBe('');
      const p2 = await log.list({ limit: 1, position: p1.nextPosition });
      expect(p2.items.map((s) => s.gid)).toEqual(['l3']);
      expect(p2.nextPosition).not.toBe('');
      expect(p2.nextPosition).not.toBe(p1.nextPosition);
      const rest = await log.list({ limit: 100, position: p2.nextPosition });
      expect(rest.items.map((s) => s.gid)).toEqual(['l2', 'l1']);
      expect(rest.nextPosition).toBe('');
      const all = await log.list({ limit: 100 });
      expect(all.items.map((s) => s.gid)).toEqual(['l4', 'l3', 'l2', 'l1']);
      expect(all.nextPosition).toBe('');
      expect(all.items[0]).toEqual(summary('l4'));
    });

    it('returns a cursor when exactly `limit` rows come back, then an empty last page', async () => {
      const log = getLog();
      await insertOnePerBatch(log, ['e1', 'e2'].map((g) => summary(g)));
      const p1 = await log.list({ limit: 2 });
      expect(p1.items).toHaveLength(2);
      expect(p1.nextPosition).not.toBe('');
      expect(await log.list({ limit: 2, position: p1.nextPosition })).toEqual({ items: [], nextPosition: '' });
      expect(await log.list({ limit: 2, position: '' })).toEqual(p1);
    });

    it('keeps a transaction in place when its summary is updated', async () => {
      const log = getLog();
      await insertOnePerBatch(log, ['u1', 'u2', 'u3'].map((g) => summary(g)));
      await log.append([rec('u1', 2)], [summary('u1', { status: 'succeed', finished: true })]);
      const page = await log.list({ limit: 10 });
      expect(page.items.map((s) => `${s.gid}:${s.status}`)).toEqual(['u3:submitted', 'u2:submitted', 'u1:succeed']);
    });

    it('filters by status, transType and an inclusive createTime range, also across pages', async () => {
      const log = getLog();
      await insertOnePerBatch(log, [
        summary('f1', { transType: 'saga', status: 'succeed', createTime: T0 + 1000 }),
        summary('f2', { transType: 'tcc', status: 'succeed', createTime: T0 + 2000 }),
        summary('f3', { transType: 'saga', status: 'failed', createTime: T0 + 3000 }),
        summary('f4', { transType: 'saga', status: 'succeed', createTime: T0 + 4000 }),
        summary('f5', { transType: 'msg', status: 'prepared', createTime: T0 + 5000 }),
      ]);
      const gids = async (f: Omit<Parameters<EventLog['list']>[0], 'limit'>): Promise<string[]> =>
        (await log.list({ ...f, limit: 100 })).items.map((s) => s.gid);
      expect(await gids({ status: 'succeed' })).toEqual(['f4', 'f2', 'f1']);
      expect(await gids({ transType: 'saga' })).toEqual(['f4', 'f3', 'f1']);
      expect(await gids({ status: 'succeed', transType: 'saga' })).toEqual(['f4', 'f1']);
      expect(await gids({ createTimeStart: T0 + 2000, createTimeEnd: T0 + 4000 })).toEqual(['f4', 'f3', 'f2']);
      expect(await gids({ createTimeStart: T0 + 4000 })).toEqual(['f5', 'f4']);
      expect(await gids({ createTimeEnd: T0 + 1000 })).toEqual(['f1']);
      expect(await gids({ status: 'nope' })).toEqual([]);
      const p1 = await log.list({ status: 'succeed', limit: 2 });
      expect(p1.items.map((s) => s.gid)).toEqual(['f4', 'f2']);
      const p2 = await log.list({ status: 'succeed', limit: 2, position: p1.nextPosition });
      expect(p2).toEqual({ items: [expect.objectContaining({ gid: 'f1' })], nextPosition: '' });
    });

    it('rejects a malformed cursor with DTX_BAD_REQUEST', async () => {
      await expectRejectCode(getLog().list({ limit: 1, position: 'not-a-cursor' }), 'DTX_BAD_REQUEST');
    });
  });

  describe('listScheduledAfter', () => {
    it('returns unfinished transactions due after the bound, earliest first (spec §3.3.6 scenario)', async () => {
      const log = getLog();
      const now = T0 + 1_000_000;
      const far = Array.from({ length: 10 }, (_, i) => summary(`s${i}`, { nextCronTime: now + 110_000 + (9 - i) }));
      await log.append(
        far.map((s) => rec(s.gid, 1)).concat(rec('near', 1), rec('done', 1), rec('idle', 1)),
        [
          ...far,
          summary('near', { nextCronTime: now + 90_000 }),
          summary('done', { nextCronTime: now + 200_000, finished: true, status: 'succeed' }),
          summary('idle', { nextCronTime: undefined }),
        ],
      );
      const nine = await log.listScheduledAfter(now + 100_000, 9);
      expect(nine.map((s) => s.gid)).toEqual(['s9', 's8', 's7', 's6', 's5', 's4', 's3', 's2', 's1']);
      expect((await log.listScheduledAfter(now + 100_000, 100)).map((s) => s.gid)).toHaveLength(10);
      const after88 = await log.listScheduledAfter(now + 88_000, 100);
      expect(after88.map((s) => s.gid)).toEqual(['near', ...far.map((s) => s.gid).reverse()]);
      expect(await log.listScheduledAfter(now + 90_000, 100)).toHaveLength(10); // bound is exclusive
      expect(await log.listScheduledAfter(now + 300_000, 100)).toEqual([]);
      // once rescheduled to "now" (resetCronTime), a transaction leaves the far-future set
      await log.append([rec('s0', 2)], [summary('s0', { nextCronTime: now })]);
      expect(await log.listScheduledAfter(now + 100_000, 100)).toHaveLength(9);
      expect((await log.listScheduledAfter(now - 1, 1))[0]).toEqual(summary('s0', { nextCronTime: now }));
    });
  });
}
