import { describe, expect, it } from 'vitest';
import { DtmFailure, tccFromBranch, tccGlobalTransaction } from '../../src/index.js';
import type { BusiPair } from './busi-pair.js';
import { newTestGid, statuses, waitStatus, type Coordinator } from './coordinators.js';

/** tcc over HTTP and gRPC against `env().coordinator`: confirm on success, cancel on a try FAILURE. */
export function tccSuite(env: () => { coordinator: Coordinator; busi: BusiPair }): void {
  describe.each(['http', 'grpc'] as const)('tcc over %s', (protocol) => {
    const side = () => env().busi.side(protocol, env().coordinator);

    it('tries every branch, then the server confirms them (last registered first)', async () => {
      const b = side();
      const gid = newTestGid(`tcc-${protocol}`);
      const result = await tccGlobalTransaction(b.dtm, gid, async (tcc) => {
        const out = await tcc.callBranch({ amount: 30 }, b.url('TransOut'), b.url('TransOutConfirm'), b.url('TransOutRevert'));
        await tcc.callBranch({ amount: 30 }, b.url('TransIn'), b.url('TransInConfirm'), b.url('TransInRevert'));
        return out.json<{ ok?: boolean }>();
      });
      if (protocol === 'grpc') expect(result).toEqual({ ok: true });
      const q = await waitStatus(env().coordinator.api, gid, 'succeed');
      expect(statuses(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
      expect(b.trace(gid)).toEqual(['TransOut:try', 'TransIn:try', 'TransInConfirm:confirm', 'TransOutConfirm:confirm']);
      expect(b.bodies('TransOutConfirm', gid)).toEqual(['{"amount":30}']);
    });

    it('aborts when a try answers FAILURE: the server cancels every registered branch, the error is rethrown', async () => {
      const b = side();
      const gid = newTestGid(`tcc-rb-${protocol}`);
      b.on(gid, 'TransIn', 'FAILURE');
      const run = tccGlobalTransaction(b.dtm, gid, async (tcc) => {
        await tcc.callBranch({ amount: 30 }, b.url('TransOut'), b.url('TransOutConfirm'), b.url('TransOutRevert'));
        await tcc.callBranch({ amount: 30 }, b.url('TransIn'), b.url('TransInConfirm'), b.url('TransInRevert'));
      });
      await expect(run).rejects.toBeInstanceOf(DtmFailure);
      const q = await waitStatus(env().coordinator.api, gid, 'failed');
      expect(statuses(q)).toEqual(['succeed', 'prepared', 'succeed', 'prepared']);
      expect(b.trace(gid)).toEqual(['TransOut:try', 'TransIn:try', 'TransInRevert:cancel', 'TransOutRevert:cancel']);
      expect(String(q.transaction?.rollback_reason)).toContain('Insufficient balance');
    });

    // HTTP only: the gRPC busi service answers from synchronous scripts
    if (protocol === 'http') it('a try registers nested branches (tccFromBranch): ids 0101.., confirmed with the rest', async () => {
      const b = side();
      const gid = newTestGid(`tcc-nested-${protocol}`);
      const h = env().busi.http;
      h.on(gid, '/TransOut', async (call): Promise<'SUCCESS'> => {
        // inside the try of branch 01: a sub-branch of this transaction, registered by the branch itself
        await tccFromBranch(b.dtm, call.ctx).callBranch({ amount: 5 }, b.url('Step'), b.url('TransInConfirm'), b.url('TransInRevert'));
        return 'SUCCESS';
      });
      await tccGlobalTransaction(b.dtm, gid, async (tcc) => {
        await tcc.callBranch({ amount: 5 }, b.url('TransOut'), b.url('TransOutConfirm'), b.url('TransOutRevert'));
      });
      const q = await waitStatus(env().coordinator.api, gid, 'succeed');
      expect(q.branches.map((r) => `${r.branch_id}:${r.op}:${r.status}`).sort()).toEqual(['0101:cancel:prepared', '0101:confirm:succeed', '01:cancel:prepared', '01:confirm:succeed']);
      expect(h.callsTo('/Step', gid).map((c) => `${c.ctx.branch_id}:${c.ctx.op}`)).toEqual(['0101:try']);
      expect(b.trace(gid).filter((t) => t.includes(':confirm')).sort()).toEqual(['TransInConfirm:confirm', 'TransOutConfirm:confirm']);
    });

    it('aborts when the transaction function throws, with its message as the rollback reason', async () => {
      const b = side();
      const gid = newTestGid(`tcc-throw-${protocol}`);
      const run = tccGlobalTransaction(b.dtm, gid, async (tcc) => {
        await tcc.callBranch({ amount: 1 }, b.url('TransOut'), b.url('TransOutConfirm'), b.url('TransOutRevert'));
        throw new Error('business rule broken');
      });
      await expect(run).rejects.toThrow('business rule broken');
      const q = await waitStatus(env().coordinator.api, gid, 'failed');
      expect(q.transaction?.rollback_reason).toBe('business rule broken');
      expect(b.trace(gid)).toEqual(['TransOut:try', 'TransOutRevert:cancel']);
    });
  });
}
