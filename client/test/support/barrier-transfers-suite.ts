import { describe, expect, it } from 'vitest';
import { BranchBarrier, DtmFailure } from '../../src/index.js';
import { Bank } from './bank.js';
import type { TestDatabase } from './databases.js';

const ACCOUNTS = 20;
const START_BALANCE = 1_000;

interface Transfer {
  readonly gid: string;
  readonly from: number;
  readonly to: number;
  readonly amount: number;
  /** The credit answers FAILURE (an injected business failure). */
  readonly inFails: boolean;
  /** The credit was "lost" (timed out): rolled back with its compensation first, the action arrives late. */
  readonly inLost: boolean;
}

/** A seeded PRNG (mulberry32), so that a failing run can be replayed with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A saga transfer (branch 01 debits `from`, branch 02 credits `to`) delivered to barrier-protected
 * branch handlers the way dtm may deliver it: every call at least once (retried on errors such as
 * deadlocks), duplicates at the same time or after the transaction ended, compensations before
 * their action (a lost call) and actions after their compensation (late). Resolves with whether
 * the transfer committed.
 */
async function runTransfer(db: TestDatabase, bank: Bank, t: Transfer, rnd: () => number, late: Array<Promise<unknown>>): Promise<boolean> {
  const handle = (branch: '01' | '02', op: 'action' | 'compensate') => {
    const ctx = { gid: t.gid, trans_type: 'saga', branch_id: branch, op };
    return BranchBarrier.from(ctx).callWithPool(db.pool, async (conn) => {
      if (branch === '02' && op === 'action' && t.inFails) throw new DtmFailure('credit refused');
      const sign = op === 'action' ? 1 : -1;
      if (branch === '01') await bank.adjust(conn, ctx, t.from, -t.amount * sign, op === 'action');
      else await bank.adjust(conn, ctx, t.to, t.amount * sign, false);
    });
  };
  /** One call until it answers SUCCESS or FAILURE, as dtm retries errors. */
  const deliver = async (branch: '01' | '02', op: 'action' | 'compensate'): Promise<'SUCCESS' | 'FAILURE'> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await handle(branch, op);
        return 'SUCCESS';
      } catch (err) {
        if (err instanceof DtmFailure) return 'FAILURE';
        if (attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 5 * attempt)); // dtm's retry interval, shortened
      }
    }
  };
  /** The official call plus, at random, a duplicate now and one after the end (their results are ignored). */
  const call = async (branch: '01' | '02', op: 'action' | 'compensate') => {
    if (rnd() < 0.3) late.push(deliver(branch, op));
    const result = await deliver(branch, op);
    if (rnd() < 0.3) late.push(Promise.resolve().then(() => deliver(branch, op)));
    return result;
  };
  if ((await call('01', 'action')) === 'FAILURE') {
    await call('01', 'compensate'); // dtm compensates a failed action too: an empty compensation here
    return false;
  }
  if (t.inLost) {
    await call('02', 'compensate');
    late.push(deliver('02', 'action')); // the lost action arrives after its compensation
  } else if ((await call('02', 'action')) === 'SUCCESS') {
    return true;
  } else {
    await call('02', 'compensate');
  }
  await call('01', 'compensate');
  return false;
}

/** 1,000 concurrent transfers with random failures and injected duplicate, reordered and late calls. */
export function barrierTransfersSuite(open: () => Promise<TestDatabase>): void {
  describe('1,000 concurrent transfers through the barrier', () => {
    it('conserves money and applies each business effect exactly once', { timeout: 240_000 }, async () => {
      const seed = Number(process.env.DTX_TEST_SEED ?? Date.now() % 1_000_000);
      const rnd = random(seed);
      const db = await open();
      const bank = await Bank.create(db, ACCOUNTS, START_BALANCE);
      try {
        const transfers: Transfer[] = Array.from({ length: 1_000 }, (_, i) => {
          const from = Math.floor(rnd() * ACCOUNTS);
          const inFails = rnd() < 0.15;
          return { gid: `xfer-${seed}-${process.pid}-${i}`, from, to: (from + 1 + Math.floor(rnd() * (ACCOUNTS - 1))) % ACCOUNTS, amount: 1 + Math.floor(rnd() * 300), inFails, inLost: !inFails && rnd() < 0.1 };
        });
        const late: Array<Promise<unknown>> = [];
        const committed = await Promise.all(transfers.map((t) => runTransfer(db, bank, t, rnd, late)));
        await Promise.all(late);

        const expected = new Map<number, number>(Array.from({ length: ACCOUNTS }, (_, i) => [i, START_BALANCE]));
        transfers.forEach((t, i) => {
          if (!committed[i]) return;
          expected.set(t.from, expected.get(t.from)! - t.amount);
          expected.set(t.to, expected.get(t.to)! + t.amount);
        });
        const balances = await bank.balances();
        const total = [...balances.values()].reduce((a, b) => a + b, 0);
        expect(total, `seed ${seed}`).toBe(ACCOUNTS * START_BALANCE);
        expect(balances, `seed ${seed}`).toEqual(expected);

        const counts = await bank.effectCounts();
        const n = (gid: string, branch: string, op: string) => counts.get(`${gid}/${branch}/${op}`) ?? 0;
        transfers.forEach((t, i) => {
          const effects = ['01', '02'].flatMap((b) => [n(t.gid, b, 'action'), n(t.gid, b, 'compensate')]);
          if (committed[i]) expect(effects, `${t.gid} committed (seed ${seed})`).toEqual([1, 0, 1, 0]);
          else {
            // rolled back: every branch either did nothing, or did its action and its compensation once
            expect([effects[0] === effects[1], effects[2] === effects[3]], `${t.gid} rolled back (seed ${seed})`).toEqual([true, true]);
            expect(Math.max(...effects), `${t.gid} (seed ${seed})`).toBeLessThanOrEqual(1);
            if (t.inFails || t.inLost) expect(effects.slice(2), `${t.gid}: the refused or lost credit never applied`).toEqual([0, 0]);
          }
        });
        // the run exercised both outcomes and every injected path
        expect(committed.filter(Boolean).length).toBeGreaterThan(100);
        expect(committed.filter((c) => !c).length).toBeGreaterThan(100);
      } finally {
        await bank.drop();
        await db.end();
      }
    });
  });
}
