import { describe, expect, it } from 'vitest';
import { DtmFailure, DtmOngoing, type Workflow } from '../../src/index.js';
import type { BusiPair, BusiSide } from './busi-pair.js';
import { newTestGid, statuses, waitStatus, waitUntil, type Coordinator } from './coordinators.js';
import type { WorkflowApps } from './workflow-apps.js';

/** Workflow over HTTP and gRPC against `env().coordinator`: commit, rollback, resume through the callback. */
export function workflowSuite(env: () => { coordinator: Coordinator; busi: BusiPair; apps: WorkflowApps }): void {
  describe.each(['http', 'grpc'] as const)('workflow over %s', (protocol) => {
    const side = () => env().busi.side(protocol, env().coordinator);
    const workflows = () => (protocol === 'http' ? env().apps.http : env().apps.grpc);
    /** A branch call of the workflow: an HTTP request or a gRPC call to the busi service. */
    const call = async (wf: Workflow, b: BusiSide, method: 'TransOut' | 'TransIn' | 'TransOutRevert' | 'TransInRevert' | 'TransOutConfirm', body: object) =>
      protocol === 'http' ? (await wf.request(b.url(method), { body: body as never })).text() : new TextDecoder().decode(await wf.callGrpc(b.url(method), body as never));

    /** transfer: branch 01 debits (compensation TransOutRevert, confirmation TransOutConfirm), branch 02 credits. */
    const register = (name: string, b: BusiSide) =>
      workflows().register(name, async (wf, data) => {
        const req = JSON.parse(new TextDecoder().decode(data)) as { amount: number };
        wf.newBranch().onRollback(async () => void (await call(wf, b, 'TransOutRevert', req)));
        wf.onCommit(async () => void (await call(wf, b, 'TransOutConfirm', req)));
        await call(wf, b, 'TransOut', req);
        wf.newBranch().onRollback(async () => void (await call(wf, b, 'TransInRevert', req)));
        await call(wf, b, 'TransIn', req);
        return new TextEncoder().encode(`moved ${req.amount}`);
      }, { trans: { retry_interval: 1 } });

    it('runs the branches, commits and records the result', async () => {
      const b = side();
      const gid = newTestGid(`wf-${protocol}`);
      register(`transfer-ok-${gid}`, b);
      const result = await workflows().execute(`transfer-ok-${gid}`, gid, { amount: 30 });
      expect(new TextDecoder().decode(result)).toBe('moved 30');
      const q = await waitStatus(env().coordinator.api, gid, 'succeed');
      expect(b.trace(gid)).toEqual(['TransOut:action', 'TransIn:action', 'TransOutConfirm:commit']);
      expect(statuses(q).every((s) => s === 'succeed')).toBe(true);
      expect(q.branches.map((r) => `${r.branch_id}:${r.op}`)).toEqual(['01:action', '02:action', '01:commit']);
      if (protocol === 'http') {
        // executing a finished workflow answers its stored result without running anything
        expect(new TextDecoder().decode(await workflows().execute(`transfer-ok-${gid}`, gid, { amount: 30 }))).toBe('moved 30');
        expect(b.trace(gid)).toHaveLength(3);
      }
    });

    it('rolls back on a FAILURE: compensations of the branches that ran, last first; the failed branch is not compensated', async () => {
      const b = side();
      const gid = newTestGid(`wf-rb-${protocol}`);
      b.on(gid, 'TransIn', 'FAILURE');
      register(`transfer-rb-${gid}`, b);
      await expect(workflows().execute(`transfer-rb-${gid}`, gid, { amount: 30 })).rejects.toBeInstanceOf(DtmFailure);
      const q = await waitStatus(env().coordinator.api, gid, 'failed');
      expect(b.trace(gid)).toEqual(['TransOut:action', 'TransIn:action', 'TransOutRevert:rollback']);
      expect(q.transaction?.rollback_reason).toContain('Insufficient balance');
      await expect(workflows().execute(`transfer-rb-${gid}`, gid, { amount: 30 })).rejects.toBeInstanceOf(DtmFailure);
    });

    it('an ONGOING step leaves the workflow prepared; the server resumes it through the callback, recorded steps are not run again', async () => {
      const b = side();
      const gid = newTestGid(`wf-resume-${protocol}`);
      b.on(gid, 'TransIn', (nth) => (nth === 1 ? 'ONGOING' : 'SUCCESS'));
      register(`transfer-resume-${gid}`, b);
      await expect(workflows().execute(`transfer-resume-${gid}`, gid, { amount: 5 })).rejects.toBeInstanceOf(DtmOngoing);
      await waitUntil(() => env().apps.resumed.some((r) => r.gid === gid), `the server to call ${gid}'s resume callback`, 30_000);
      expect(env().apps.resumed.find((r) => r.gid === gid)).toEqual({ protocol, gid, op: `transfer-resume-${gid}` });
      await waitStatus(env().coordinator.api, gid, 'succeed', 30_000);
      expect(b.trace(gid)).toEqual(['TransOut:action', 'TransIn:action', 'TransIn:action', 'TransOutConfirm:commit']);
    });
  });
}
