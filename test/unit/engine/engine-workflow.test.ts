import { describe, expect, it } from 'vitest';
import { EMPTY_OPTIONS, type BranchRegistration, type TransSpec } from '../../../machines/index.js';
import type { Command, Reply } from '../../../src/engine/command.js';
import { MemoryLogStore } from '../../../src/log/memory/memory-event-log.js';
import { settle } from '../../support/simulated-clock.js';
import { ERROR, FAILURE, cmdId, sagaSpec, startEngine, submit } from './engine-harness.js';

/**
 * workflow in the engine on the simulated clock (spec §7.7): prepareWorkflow answers the stored
 * state, the resume callback is retried on the cron lease (config RetryInterval, 10 s: a fixed
 * interval whatever the answer), the client's submit ends it, and a callback in flight at a crash
 * is re-driven by the next process.
 */
const DATA = Buffer.from('{"amount":30}').toString('base64');
const spec = (gid: string, over: Partial<TransSpec> = {}): TransSpec => ({
  gid, transType: 'workflow', protocol: 'http', steps: [], payloads: [], customData: JSON.stringify({ data: DATA, name: 'wf' }),
  queryPrepared: 'http://client/resume', options: EMPTY_OPTIONS, rollbackReason: '', ...over,
});
const prepareWorkflow = (s: TransSpec): Command => ({ id: cmdId('pw'), gid: s.gid, kind: 'prepareWorkflow', spec: s });
const progress = (gid: string, branchId: string, op: string, status: string): Command => {
  const registration: BranchRegistration = { requestType: 'workflow', branchId, fields: { op, status }, payload: Buffer.from(`${op} done`).toString('base64') };
  return { id: cmdId('register'), gid, kind: 'registerBranch', registration };
};
const finish = (gid: string, status: string): Command => ({ id: cmdId('submit'), gid, kind: 'submit', spec: { ...spec(gid, { customData: '', queryPrepared: '' }), reqExtra: { status, result: 'b2s=' } } });

interface View {
  transaction: { gid: string; status: string; result?: string };
  branches: Array<{ branch_id: string; op: string; status: string; bin_data?: string }>;
}
const viewOf = (r: Reply): View => {
  if (!r.ok || r.view === undefined) throw new Error(`no view in ${JSON.stringify(r)}`);
  return JSON.parse(r.view) as View;
};

describe('engine: workflow', () => {
  it('prepareWorkflow creates once and then answers the stored transaction and progresses, recording nothing', async () => {
    const h = await startEngine();
    const first = viewOf(await h.send(prepareWorkflow(spec('w1'))));
    expect(first.transaction).toMatchObject({ gid: 'w1', status: 'prepared' });
    expect(first.branches).toEqual([]);
    await h.send(progress('w1', '01', 'action', 'succeed'));
    const again = prepareWorkflow(spec('w1'));
    const second = viewOf(await h.send(again));
    expect(second.branches.map((b) => [b.branch_id, b.op, b.status, b.bin_data])).toEqual([['01', 'action', 'succeed', Buffer.from('action done').toString('base64')]]);
    // the same command delivered twice still gets the view
    expect(viewOf(await h.send(again)).branches).toHaveLength(1);
    expect(await h.events('w1')).toEqual(['TransCreated', 'BranchRegistered']);
    // any type, any status: a finished saga's state
    await h.send(submit(sagaSpec('s1', [['', '']])));
    expect(viewOf(await h.send(prepareWorkflow(spec('s1')))).transaction).toMatchObject({ gid: 's1', status: 'succeed' });
    expect(await h.events('s1')).toEqual(['TransCreated']);
  });

  it('the resume callback runs on the cron lease: first after the reset interval, then every RetryInterval, errors or not', async () => {
    const h = await startEngine();
    let n = 0;
    h.invoker.on('00/wf', () => (++n % 2 === 0 ? ERROR : FAILURE));
    await h.send(prepareWorkflow(spec('w2', { options: { ...EMPTY_OPTIONS, retryInterval: 3 } })));
    await h.clock.advance(2999);
    expect(h.invoker.callsTo('w2')).toHaveLength(0);
    await h.clock.advance(1);
    const first = h.invoker.callsTo('w2');
    expect(first.map((c) => [c.branchId, c.op, c.url, Buffer.from(c.payload).toString(), c.wrapIn])).toEqual([['00', 'wf', 'http://client/resume', '{"amount":30}', undefined]]);
    for (let pass = 2; pass <= 5; pass++) {
      await h.clock.advance(9999);
      expect(h.invoker.callsTo('w2')).toHaveLength(pass - 1);
      await h.clock.advance(1);
      expect(h.invoker.callsTo('w2')).toHaveLength(pass);
    }
    expect(await h.status('w2')).toBe('prepared');
    // the client's submit ends it: no call after that
    expect(await h.send(finish('w2', 'succeed'))).toEqual({ ok: true });
    await h.clock.advance(60_000);
    expect(h.invoker.callsTo('w2')).toHaveLength(5);
    expect(await h.status('w2')).toBe('succeed');
    expect(viewOf(await h.send(prepareWorkflow(spec('w2')))).transaction.result).toBe('b2s=');
  });

  it('a callback still out when its pass lease ends is not called twice; resetNextCronTime runs a pass now', async () => {
    const h = await startEngine();
    const release = h.invoker.hold('00/wf');
    await h.send(prepareWorkflow(spec('w3')));
    await h.clock.advance(10_000);
    await h.clock.advance(30_000);
    expect(h.invoker.callsTo('w3')).toHaveLength(1);
    release({ result: 'ONGOING', message: '' });
    await settle();
    h.invoker.on('00/wf', { result: 'SUCCESS', message: '' });
    await h.send({ id: cmdId('reset'), gid: 'w3', kind: 'resetNextCronTime' });
    await h.clock.advance(0);
    expect(h.invoker.callsTo('w3')).toHaveLength(2);
  });

  it('a workflow submit of an unknown gid creates nothing (500 not found, spec §5.4)', async () => {
    const h = await startEngine();
    expect(await h.send(finish('w4', 'succeed'))).toMatchObject({ ok: false, code: 'DTX_TRANS_NOT_FOUND' });
    expect(await h.events('w4')).toEqual([]);
  });

  it('a gRPC workflow’s callback in flight at a crash is re-driven by the next process, still wrapped', async () => {
    const store = new MemoryLogStore();
    const first = await startEngine({ store });
    first.invoker.hold('00/wf'); // the first process never sees the answer
    await first.send(prepareWorkflow(spec('w5', { protocol: 'grpc', queryPrepared: '127.0.0.1:9/workflow.Workflow/Execute' })));
    await first.clock.advance(10_000);
    expect(first.invoker.callsTo('w5')).toHaveLength(1);
    const second = await startEngine({ store });
    await settle();
    const redriven = second.invoker.callsTo('w5');
    expect(redriven.map((c) => [c.op, c.wrapIn, Buffer.from(c.payload).toString()])).toEqual([['wf', 'workflow.WorkflowData', '{"amount":30}']]);
    expect(await second.events('w5')).toEqual(['TransCreated', 'CronFired', 'BranchSucceeded']);
    expect(await second.status('w5')).toBe('prepared');
  });

  it('nothing is called before actAfter (the ingress listens): a callback due at recovery waits, then runs unless its workflow ended', async () => {
    const store = new MemoryLogStore();
    const first = await startEngine({ store });
    await first.send(prepareWorkflow(spec('w6')));
    await first.send(prepareWorkflow(spec('w7')));
    let listening: () => void = () => undefined;
    const second = await startEngine({ store, actAfter: new Promise<void>((r) => (listening = r)) });
    await second.clock.advance(10_000); // both are due: their passes are recorded, their calls wait
    expect(await second.events('w6')).toEqual(['TransCreated', 'CronFired']);
    // w7 ends meanwhile: its held call is dropped
    await second.send(finish('w7', 'succeed'));
    expect(second.invoker.calls).toEqual([]);
    listening();
    await settle();
    expect(second.invoker.callsTo('w6').map((c) => c.op)).toEqual(['wf']);
    expect(second.invoker.callsTo('w7')).toEqual([]);
  });
});
