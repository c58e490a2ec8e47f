import { describe, expect, it } from 'vitest';
import { DtmFailure, Saga } from '../../src/index.js';
import type { BusiPair } from './busi-pair.js';
import { newTestGid, statuses, waitStatus, type Coordinator } from './coordinators.js';

/** Saga over HTTP and gRPC against `env().coordinator` (dtx or dtm): normal, rollback, options, concurrency. */
export function sagaSuite(env: () => { coordinator: Coordinator; busi: BusiPair }): void {
  describe.each(['http', 'grpc'] as const)('saga over %s', (protocol) => {
    const side = () => env().busi.side(protocol, env().coordinator);

    it('runs the actions in order with the payloads and succeeds', async () => {
      const b = side();
      const gid = newTestGid(`saga-${protocol}`);
      await new Saga(b.dtm, gid).add(b.url('TransOut'), b.url('TransOutRevert'), { amount: 30 }).add(b.url('TransIn'), b.url('TransInRevert'), { amount: 30 }).submit();
      const q = await waitStatus(env().coordinator.api, gid, 'succeed');
      expect(statuses(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
      expect(b.trace(gid)).toEqual(['TransOut:action', 'TransIn:action']);
      expect(b.bodies('TransIn', gid)).toEqual(['{"amount":30}']);
    });

    it('rolls back when an action answers FAILURE: compensations in reverse, wait_result rejects with DtmFailure', async () => {
      const b = side();
      const gid = newTestGid(`saga-rb-${protocol}`);
      b.on(gid, 'TransIn', 'FAILURE');
      const saga = new Saga(b.dtm, gid, { wait_result: true }).add(b.url('TransOut'), b.url('TransOutRevert'), { amount: 30 }).add(b.url('TransIn'), b.url('TransInRevert'), { amount: 30 });
      const err = await saga.submit().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DtmFailure);
      expect((err as Error).message).toContain('Insufficient balance');
      const q = await waitStatus(env().coordinator.api, gid, 'failed');
      expect(statuses(q)).toEqual(['succeed', 'succeed', 'succeed', 'failed']);
      expect(b.trace(gid)).toEqual(['TransOut:action', 'TransIn:action', 'TransInRevert:compensate', 'TransOutRevert:compensate']);
    });

    it('sends the options: wait_result, retry_limit, branch_headers, request_timeout, timeout_to_fail, retry_interval', async () => {
      const b = side();
      const gid = newTestGid(`saga-opt-${protocol}`);
      b.on(gid, 'TransOut', (nth) => (nth <= 2 ? 'ERROR' : 'SUCCESS'));
      const saga = new Saga(b.dtm, gid, { wait_result: true, retry_limit: 3, request_timeout: 5, timeout_to_fail: 600, retry_interval: 30, branch_headers: { 'x-dtx-test': 'yes' } });
      await saga.add(b.url('TransOut'), b.url('TransOutRevert'), { amount: 1 }).submit();
      // wait_result: the pass is over when submit resolves
      const q = await waitStatus(env().coordinator.api, gid, 'succeed', 1_000);
      expect(statuses(q)).toEqual(['prepared', 'succeed']);
      expect(b.trace(gid)).toEqual(['TransOut:action', 'TransOut:action', 'TransOut:action']);
      expect(b.header('TransOut', gid, 'x-dtx-test')).toEqual(['yes', 'yes', 'yes']);
      const options = JSON.parse(String(q.transaction?.options ?? '{}')) as Record<string, unknown>;
      expect(options).toMatchObject({ wait_result: true, retry_limit: 3, request_timeout: 5, timeout_to_fail: 600, retry_interval: 30 });
    });

    it('runs a concurrent saga respecting the branch orders', async () => {
      const b = side();
      const gid = newTestGid(`saga-con-${protocol}`);
      const saga = new Saga(b.dtm, gid, { wait_result: true })
        .add(b.url('TransOut'), b.url('TransOutRevert'), { n: 0 })
        .add(b.url('TransIn'), b.url('TransInRevert'), { n: 1 })
        .add(b.url('Step'), '', { n: 2 })
        .addBranchOrder(2, [0, 1])
        .enableConcurrent();
      await saga.submit();
      await waitStatus(env().coordinator.api, gid, 'succeed', 1_000);
      const trace = b.trace(gid);
      expect(trace).toHaveLength(3);
      expect(trace[2]).toBe('Step:action');
    });

    it('refuses what dtm cannot take before sending anything', () => {
      const b = side();
      expect(() => new Saga(b.dtm, '')).toThrow(/gid/);
      expect(() => new Saga(b.dtm, 'g', { retry_limit: -1 })).toThrow(/retry_limit/);
      expect(() => new Saga(b.dtm, 'g').add('a', 'b', {}).addBranchOrder(0, [1])).toThrow(/addBranchOrder/);
    });
  });
}
