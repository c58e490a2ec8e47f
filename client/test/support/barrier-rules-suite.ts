import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BranchBarrier, DtmDuplicated, DtmFailure } from '../../src/index.js';
import { Bank } from './bank.js';
import { newTestGid } from './coordinators.js';
import type { TestDatabase } from './databases.js';

/** dtm's barrier rules on a real database: duplicate request, empty compensation, hanging, msg check. */
export function barrierRulesSuite(open: () => Promise<TestDatabase>): void {
  describe('branch barrier rules', () => {
    let db: TestDatabase;
    let bank: Bank;
    beforeAll(async () => {
      db = await open();
      bank = await Bank.create(db, 2, 100);
    });
    afterAll(async () => {
      await bank?.drop();
      await db?.end();
    });

    /** One delivery of `op` of branch 01 of `gid`: +10 on account 0 for the action/try, -10 for its compensation. */
    const deliver = (gid: string, transType: string, op: string) => {
      const ctx = { gid, trans_type: transType, branch_id: '01', op };
      const delta = ['action', 'try', 'confirm'].includes(op) ? 10 : -10;
      return BranchBarrier.from(ctx).callWithPool(db.pool, (conn) => bank.adjust(conn, ctx, 0, delta, false));
    };
    const count = async (gid: string, op: string) => (await bank.effectCounts()).get(`${gid}/01/${op}`) ?? 0;

    it('a duplicated action runs its business once, also when the copies arrive together', async () => {
      const gid = newTestGid('dup');
      await Promise.all([deliver(gid, 'saga', 'action'), deliver(gid, 'saga', 'action'), deliver(gid, 'saga', 'action')]);
      await deliver(gid, 'saga', 'action');
      expect(await count(gid, 'action')).toBe(1);
    });

    it('a compensation after its action runs once; duplicates do nothing', async () => {
      const gid = newTestGid('comp');
      await deliver(gid, 'saga', 'action');
      await Promise.all([deliver(gid, 'saga', 'compensate'), deliver(gid, 'saga', 'compensate')]);
      expect([await count(gid, 'action'), await count(gid, 'compensate')]).toEqual([1, 1]);
    });

    it('an empty compensation (before its action) does nothing, and the late (hanging) action then does nothing', async () => {
      const gid = newTestGid('empty');
      await deliver(gid, 'saga', 'compensate');
      await deliver(gid, 'saga', 'action');
      expect([await count(gid, 'action'), await count(gid, 'compensate')]).toEqual([0, 0]);
    });

    it('tcc: a cancel before its try is empty, the late try hangs; a confirm after a try runs once', async () => {
      const gid = newTestGid('tcc');
      await deliver(gid, 'tcc', 'cancel');
      await deliver(gid, 'tcc', 'try');
      expect([await count(gid, 'try'), await count(gid, 'cancel')]).toEqual([0, 0]);
      const gid2 = newTestGid('tcc2');
      await deliver(gid2, 'tcc', 'try');
      await Promise.all([deliver(gid2, 'tcc', 'confirm'), deliver(gid2, 'tcc', 'confirm')]);
      expect([await count(gid2, 'try'), await count(gid2, 'confirm')]).toEqual([1, 1]);
    });

    it('a business error rolls the barrier back: the retried call runs the business', async () => {
      const gid = newTestGid('retry');
      const ctx = { gid, trans_type: 'saga', branch_id: '01', op: 'action' };
      const failing = BranchBarrier.from(ctx).callWithPool(db.pool, async (conn) => {
        await bank.adjust(conn, ctx, 0, 10, false);
        throw new Error('crash after the update');
      });
      await expect(failing).rejects.toThrow('crash after the update');
      expect(await count(gid, 'action')).toBe(0);
      await deliver(gid, 'saga', 'action');
      expect(await count(gid, 'action')).toBe(1);
    });

    it('msg: the doAndSubmit barrier refuses a second run (DtmDuplicated); queryPrepared says whether it committed', async () => {
      const committed = newTestGid('msg');
      const ctx = { gid: committed, trans_type: 'msg', branch_id: '00', op: 'msg' };
      await BranchBarrier.from(ctx).callWithPool(db.pool, (conn) => bank.adjust(conn, ctx, 1, 5, false));
      await expect(BranchBarrier.from(ctx).callWithPool(db.pool, (conn) => bank.adjust(conn, ctx, 1, 5, false))).rejects.toBeInstanceOf(DtmDuplicated);
      await BranchBarrier.from(ctx).queryPrepared(db.pool);
      const never = newTestGid('msg-never');
      const late = { gid: never, trans_type: 'msg', branch_id: '00', op: 'msg' };
      await expect(BranchBarrier.from(late).queryPrepared(db.pool)).rejects.toBeInstanceOf(DtmFailure);
      // the query-back decided: the business can no longer run afterwards
      await expect(BranchBarrier.from(late).callWithPool(db.pool, (conn) => bank.adjust(conn, late, 1, 5, false))).rejects.toBeInstanceOf(DtmDuplicated);
      const counts = await bank.effectCounts();
      expect([counts.get(`${committed}/00/msg`), counts.get(`${never}/00/msg`)]).toEqual([1, undefined]);
    });
  });
}
