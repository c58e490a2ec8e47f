import { describe, expect, it } from 'vitest';
import { DtmFailure, Msg } from '../../src/index.js';
import type { BusiPair } from './busi-pair.js';
import { newTestGid, statuses, waitStatus, type Coordinator } from './coordinators.js';

/** msg over HTTP and gRPC against `env().coordinator`: prepare/submit, doAndSubmit and its query-back, the server's query-back. */
export function msgSuite(env: () => { coordinator: Coordinator; busi: BusiPair }): void {
  describe.each(['http', 'grpc'] as const)('msg over %s', (protocol) => {
    const side = () => env().busi.side(protocol, env().coordinator);

    it('prepare then submit: the server calls every action', async () => {
      const b = side();
      const gid = newTestGid(`msg-${protocol}`);
      const msg = new Msg(b.dtm, gid).add(b.url('TransOut'), { amount: 7 }).add(b.url('TransIn'), { amount: 7 });
      await msg.prepare(b.url('QueryPrepared'));
      await msg.submit();
      const q = await waitStatus(env().coordinator.api, gid, 'succeed');
      expect(statuses(q)).toEqual(['succeed', 'succeed']);
      expect(b.trace(gid)).toEqual(['TransOut:action', 'TransIn:action']);
      expect(b.bodies('TransIn', gid)).toEqual(['{"amount":7}']);
    });

    it('doAndSubmit: business done, then submitted', async () => {
      const b = side();
      const gid = newTestGid(`msg-do-${protocol}`);
      let barrierOp = '';
      await new Msg(b.dtm, gid).add(b.url('TransIn'), { amount: 3 }).doAndSubmit(b.url('QueryPrepared'), async (bb) => {
        barrierOp = `${bb.ctx.branch_id}/${bb.ctx.op}`;
      });
      expect(barrierOp).toBe('00/msg');
      await waitStatus(env().coordinator.api, gid, 'succeed');
      expect(b.trace(gid)).toEqual(['TransIn:action']);
    });

    it('doAndSubmit: a business FAILURE aborts the message and is rethrown', async () => {
      const b = side();
      const gid = newTestGid(`msg-fail-${protocol}`);
      const msg = new Msg(b.dtm, gid).add(b.url('TransIn'), { amount: 3 });
      await expect(msg.doAndSubmit(b.url('QueryPrepared'), async () => Promise.reject(new DtmFailure('no stock')))).rejects.toThrow('no stock');
      await waitStatus(env().coordinator.api, gid, 'failed');
      expect(b.trace(gid)).toEqual([]);
    });

    it('doAndSubmit: another business error asks queryPrepared; SUCCESS submits, the error is rethrown', async () => {
      const b = side();
      const gid = newTestGid(`msg-err-${protocol}`);
      const msg = new Msg(b.dtm, gid).add(b.url('TransIn'), { amount: 3 });
      await expect(msg.doAndSubmit(b.url('QueryPrepared'), async () => Promise.reject(new Error('connection lost after commit')))).rejects.toThrow('connection lost');
      await waitStatus(env().coordinator.api, gid, 'succeed');
      expect(b.trace(gid)).toEqual(['QueryPrepared:msg', 'TransIn:action']);
    });

    it('doAndSubmit: another business error and queryPrepared FAILURE aborts', async () => {
      const b = side();
      const gid = newTestGid(`msg-qf-${protocol}`);
      b.on(gid, 'QueryPrepared', 'FAILURE');
      const msg = new Msg(b.dtm, gid).add(b.url('TransIn'), { amount: 3 });
      await expect(msg.doAndSubmit(b.url('QueryPrepared'), async () => Promise.reject(new Error('timeout')))).rejects.toThrow('timeout');
      await waitStatus(env().coordinator.api, gid, 'failed');
      expect(b.trace(gid)).toEqual(['QueryPrepared:msg']);
    });

    it('a prepared message never submitted is queried back by the server after timeout_to_fail', async () => {
      const b = side();
      const gid = newTestGid(`msg-qb-${protocol}`);
      await new Msg(b.dtm, gid, { timeout_to_fail: 2 }).add(b.url('TransIn'), { amount: 1 }).prepare(b.url('QueryPrepared'));
      await waitStatus(env().coordinator.api, gid, 'succeed', 30_000);
      expect(b.trace(gid)).toEqual(['QueryPrepared:msg', 'TransIn:action']);
    });
  });
}
