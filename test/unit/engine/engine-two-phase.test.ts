import { describe, expect, it } from 'vitest';
import { EMPTY_OPTIONS, type BranchRegistration, type TransSpec } from '../../../machines/index.js';
import type { Command } from '../../../src/engine/command.js';
import { MemoryLogStore } from '../../../src/log/memory/memory-event-log.js';
import { settle } from '../../support/simulated-clock.js';
import { SUCCESS, cmdId, startEngine } from './engine-harness.js';
import { MAX_BRANCH_ROWS } from '../../../src/engine/branch-rows.js';

/** tcc/xa in the engine: the prepared timeout on the timer wheel, exactly-once registration, recovery. */

const spec = (gid: string, transType: 'tcc' | 'xa', options: Partial<TransSpec['options']> = {}): TransSpec => ({
  gid, transType, protocol: 'http', steps: [], payloads: [], customData: '', queryPrepared: '', options: { ...EMPTY_OPTIONS, ...options }, rollbackReason: '',
});
const prepare = (s: TransSpec): Command => ({ id: cmdId('prepare'), gid: s.gid, kind: 'prepare', spec: s });
const register = (gid: string, branchId: string, transType = 'tcc'): Command => {
  const fields: Record<string, string> = transType === 'tcc' ? { confirm: `http://b/${branchId}/confirm`, cancel: `http://b/${branchId}/cancel` } : { url: `http://b/${branchId}/xa` };
  const registration: BranchRegistration = { requestType: transType, branchId, fields, payload: Buffer.from('{}').toString('base64') };
  return { id: cmdId('register'), gid, kind: 'registerBranch', registration };
};

describe('engine: tcc and xa', () => {
  it('a prepared tcc turns aborting exactly at the config TimeoutToFail (35 s) on the simulated clock and cancels', async () => {
    const h = await startEngine();
    await h.send(prepare(spec('tt', 'tcc')));
    expect(await h.send(register('tt', '01'))).toEqual({ ok: true });
    expect(await h.send(register('tt', '02'))).toEqual({ ok: true });
    await h.clock.advance(34_999);
    expect(await h.status('tt')).toBe('prepared');
    expect(h.invoker.callsTo('tt')).toHaveLength(0);
    await h.clock.advance(1);
    await settle();
    expect(await h.status('tt')).toBe('failed');
    expect(h.invoker.callsTo('tt').map((c) => `${c.branchId}/${c.op}`)).toEqual(['02/cancel', '01/cancel']);
    expect(await h.events('tt')).toEqual(['TransCreated', 'BranchRegistered', 'BranchRegistered', 'CronFired', 'BranchSucceeded', 'BranchSucceeded']);
    const view = JSON.parse((await h.engine.queryView('tt'))!) as { transaction: { rollback_reason: string } };
    expect(view.transaction.rollback_reason).toBe('Timeout after 35 seconds');
  });

  it('a submit before the deadline wins: no timeout once submitted', async () => {
    const h = await startEngine();
    await h.send(prepare(spec('ts', 'tcc', { timeoutToFail: 5 })));
    await h.send(register('ts', '01'));
    await h.send({ id: cmdId('submit'), gid: 'ts', kind: 'submit', spec: spec('ts', 'tcc', { timeoutToFail: 5 }) });
    await h.clock.advance(10_000);
    expect(await h.status('ts')).toBe('succeed');
    expect(h.invoker.callsTo('ts').map((c) => c.op)).toEqual(['confirm']);
  });

  it('an abort waits for the cancel pass when the tcc was stored with wait_result (spec §5.6), and only then', async () => {
    const h = await startEngine();
    await h.send(prepare(spec('aw', 'tcc', { waitResult: true })));
    await h.send(register('aw', '01'));
    const release = h.invoker.hold('01/cancel');
    let answered: unknown;
    const abort = h.engine.dispatch({ id: cmdId('abort'), gid: 'aw', kind: 'abort', requestType: 'tcc', reason: 'no' }, true).then((r) => (answered = r));
    await settle();
    expect(h.invoker.callsTo('aw', '01/cancel')).toHaveLength(1);
    expect(answered).toBeUndefined(); // the cancel is still out
    // Kafka's follow-up under the same request (the owner may have changed) is answered as an abort too
    const followUp = h.engine.dispatch({ id: cmdId('await'), gid: 'aw', kind: 'awaitResult', call: 'abort' }, true);
    const asSubmit = h.engine.dispatch({ id: cmdId('await'), gid: 'aw', kind: 'awaitResult' }, true);
    release(SUCCESS);
    await abort;
    expect(answered).toEqual({ ok: true });
    expect(await followUp).toEqual({ ok: true });
    expect(await asSubmit).toMatchObject({ ok: false, result: 'FAILURE' }); // a submit's wait: rolled back is a failure
    expect(await h.status('aw')).toBe('failed');

    await h.send(prepare(spec('an', 'tcc')));
    await h.send(register('an', '01'));
    h.invoker.hold('01/cancel');
    const quick = await h.send({ id: cmdId('abort'), gid: 'an', kind: 'abort', requestType: 'tcc', reason: '' }, true);
    expect(quick).toEqual({ ok: true }); // stored without wait_result: answered once aborting is durable
    expect(await h.status('an')).toBe('aborting');
  });

  it('registrations of the same branch in one batch are applied once', async () => {
    const h = await startEngine();
    await h.send(prepare(spec('tr', 'tcc')));
    const replies = await Promise.all(Array.from({ length: 8 }, () => h.engine.dispatch(register('tr', '01'))));
    await settle();
    expect(replies.every((r) => r.ok)).toBe(true);
    expect((await h.events('tr')).filter((t) => t === 'BranchRegistered')).toHaveLength(1);
  });

  it('registrations count against MaxOpenPayloadBytes: beyond it a registration is DTX_OVERLOADED, nothing stored', async () => {
    const h = await startEngine({ settings: { maxOpenPayloadBytes: 100 } });
    await h.send(prepare(spec('tb', 'tcc')));
    expect(await h.send(register('tb', '01'))).toEqual({ ok: true });
    expect(await h.send(register('tb', '02'))).toEqual({ ok: true });
    const over = await h.send(register('tb', '03'));
    expect(over).toMatchObject({ ok: false, code: 'DTX_OVERLOADED' });
    expect((await h.events('tb')).filter((t) => t === 'BranchRegistered')).toHaveLength(2);
    expect(h.engine.openPayloadBytes()).toBeGreaterThan(60);
  });

  it('a branch whose URL the transaction\'s protocol cannot call is refused, naming the field; a gRPC transaction takes both', async () => {
    const h = await startEngine();
    await h.send(prepare(spec('tp', 'tcc')));
    const grpcUrls = (gid: string, transType = 'tcc', fields: Record<string, string> = { confirm: '127.0.0.1:5/busi.Busi/Confirm', cancel: 'http://b/cancel' }): Command =>
      ({ id: cmdId('register'), gid, kind: 'registerBranch', registration: { requestType: transType, branchId: '01', fields, payload: '' } });
    expect(await h.send(grpcUrls('tp'))).toEqual({ ok: false, result: 'ERROR', message: 'confirm: the transaction calls its branches over HTTP (protocol http); register an http:// or https:// URL', code: 'DTX_BAD_REQUEST' });
    await h.send(prepare(spec('tx', 'xa')));
    expect(await h.send(grpcUrls('tx', 'xa', { url: 'localhost:5/busi.Busi/Xa' }))).toMatchObject({ ok: false, code: 'DTX_BAD_REQUEST', message: expect.stringMatching(/^url: /) });
    expect(await h.events('tp')).toEqual(['TransCreated']);
    await h.send(prepare({ ...spec('tg', 'tcc'), protocol: 'grpc' }));
    expect(await h.send(grpcUrls('tg'))).toEqual({ ok: true });
  });

  it('a tcc takes branches up to maxBranchRows (two rows each): the next registration is refused, nothing stored', async () => {
    const h = await startEngine();
    await h.send(prepare(spec('tm', 'tcc')));
    for (let i = 1; i <= MAX_BRANCH_ROWS / 2; i += 1) expect(await h.send(register('tm', String(i).padStart(4, '0')))).toEqual({ ok: true });
    const over = await h.send(register('tm', 'over'));
    expect(over).toMatchObject({ ok: false, code: 'DTX_BAD_REQUEST', message: `branch_id: at most ${MAX_BRANCH_ROWS} branch rows per transaction (this would make ${MAX_BRANCH_ROWS + 2})` });
    expect((await h.events('tm')).length).toBe(1 + MAX_BRANCH_ROWS / 2);
  });

  it('a registration that would render a view past maxViewChars (the Kafka log\'s bound) is 413 DTX_PAYLOAD_TOO_LARGE, nothing stored; in a batch with others, each may retry', async () => {
    const h = await startEngine({ settings: { maxViewChars: 4000 } });
    await h.send(prepare(spec('tv', 'tcc')));
    const big = (): Command => {
      const cmd = register('tv', '02');
      return cmd.kind === 'registerBranch' ? { ...cmd, registration: { ...cmd.registration, payload: Buffer.from('x'.repeat(3000)).toString('base64') } } : cmd;
    };
    expect(await h.send(big())).toMatchObject({ ok: false, code: 'DTX_PAYLOAD_TOO_LARGE', message: expect.stringMatching(/^transaction tv would render a view of \d+ characters, more than the log takes \(4000\); its change is refused$/) });
    expect(await h.events('tv')).toEqual(['TransCreated']);
    // together with a small one in one batch: which of them is too large is not known
    const [small, over] = await Promise.all([h.send(register('tv', '01')), h.send(big())]);
    expect([small, over]).toMatchObject([{ ok: false, code: 'DTX_OVERLOADED' }, { ok: false, code: 'DTX_OVERLOADED', message: expect.stringContaining('2 commands changed it in one batch: retry each alone') }]);
    expect(await h.send(register('tv', '01'))).toEqual({ ok: true });
    expect(await h.events('tv')).toEqual(['TransCreated', 'BranchRegistered']);
  });

  it('a commit in flight when the process stops is re-driven as POST after recovery', async () => {
    const store = new MemoryLogStore();
    const first = await startEngine({ store });
    first.invoker.hold('01/commit'); // the first process never sees the answer
    await first.send(prepare(spec('xr', 'xa')));
    await first.send(register('xr', '01', 'xa'));
    await first.send({ id: cmdId('submit'), gid: 'xr', kind: 'submit', spec: spec('xr', 'xa') });
    expect(first.invoker.callsTo('xr', '01/commit')).toHaveLength(1);
    const second = await startEngine({ store });
    await settle();
    const redriven = second.invoker.callsTo('xr', '01/commit');
    expect(redriven).toHaveLength(1);
    expect(redriven[0]!.forcePost).toBe(true);
    expect(await second.status('xr')).toBe('succeed');
    expect(await second.events('xr')).toEqual(['TransCreated', 'BranchRegistered', 'TransSubmitted', 'BranchSucceeded']);
  });
});
