import { describe, expect, it } from 'vitest';
import { outstandingCalls, workflowMachine } from '../../../machines/index.js';
import { Harness, calls, makeAborted, makeCreated, makeCron, makeCronReset, makeForceStop, makeResult, rejectOf, sec } from './builders.js';
import { DATA, RESUME, custom, end, prepared, progress, workflowSpec } from './workflow-builders.js';

/** WORKFLOW machine, spec §7.7 (progress rows, the resume callback on the cron lease), §5.4 and §5.8. */

describe('workflow: creation (prepareWorkflow, spec §5.8)', () => {
  it('is prepared with no rows, the name and input from custom_data, and first due after the reset interval', () => {
    const h = prepared(workflowSpec({ options: { retryInterval: 2 } }));
    expect(h.ctx.branches).toEqual([]);
    expect(h.ctx.ext).toEqual({ name: 'transfer', data: DATA });
    expect(h.ctx.nextCronTime).toBe(sec(2));
  });

  it('a submit of an unknown gid creates nothing: not found (dtm: 500 storage: NotFound, spec §16.10)', () => {
    const h = new Harness(workflowMachine);
    const s = h.send(makeCreated(workflowSpec({ reqExtra: { status: 'succeed' } }), 'submitted', sec(0)));
    expect(s.persisted).toBe(false);
    expect(rejectOf(s.effects)).toMatchObject({ result: 'ERROR', code: 'DTX_TRANS_NOT_FOUND' });
  });

  it.each([
    ['', /^custom_data: a workflow needs/],
    ['[]', /custom_data must be a JSON object/],
    ['{"data":null}', /^custom_data\.name must be/],
    ['{"name":""}', /^custom_data\.name must be/],
    [`{"name":"${'n'.repeat(129)}"}`, /^custom_data\.name must be/],
    ['{"name":"a\\u0007b"}', /^custom_data\.name must be/],
    ['{"name":"x","data":"not base64!"}', /^custom_data\.data must be standard base64/],
    ['{"name":"x","data":12}', /^custom_data\.data must be standard base64/],
  ])('custom_data %s is refused with 400 naming the field', (customData, message) => {
    const h = new Harness(workflowMachine);
    const s = h.send(makeCreated(workflowSpec({ customData }), 'prepared', sec(0)));
    expect(s.persisted).toBe(false);
    expect(rejectOf(s.effects)).toMatchObject({ code: 'DTX_BAD_REQUEST', message: expect.stringMatching(message) as unknown });
  });

  it('Go-style keys: matched case-insensitively; data may be null; a gRPC name is printable ASCII', () => {
    expect(prepared(workflowSpec({ customData: '{"Name":"W","DATA":null}' })).ctx.ext).toEqual({ name: 'W', data: '' });
    const h = new Harness(workflowMachine);
    expect(rejectOf(h.send(makeCreated(workflowSpec({ customData: custom('转账'), protocol: 'grpc' }), 'prepared', sec(0))).effects)?.code).toBe('DTX_BAD_REQUEST');
    expect(prepared(workflowSpec({ customData: custom('转账') })).ctx.ext).toMatchObject({ name: '转账' });
  });
});

describe('workflow: progresses (registerBranch, spec §3.3.5, §5.5)', () => {
  it('each registration adds one row with its op, the reported status and the data; url empty', () => {
    const h = prepared();
    expect(h.send(progress('01', 'action', 'succeed', '{"ok":1}')).persisted).toBe(true);
    expect(h.send(progress('02', 'action', 'failed', 'Insufficient balance')).persisted).toBe(true);
    expect(h.send(progress('01', 'rollback', 'succeed')).persisted).toBe(true);
    expect(h.ctx.branches.map((r) => `${r.branchId}:${r.op}:${r.status}:${r.url}`)).toEqual(['01:action:succeed:', '02:action:failed:', '01:rollback:succeed:']);
    expect(h.ctx.branches[1]!.binData).toBe(Buffer.from('Insufficient balance').toString('base64'));
  });

  it('the same outcome again changes nothing; another outcome for a recorded (branch_id, op) is 409 DTX_DUPLICATE_BRANCH', () => {
    const h = prepared();
    h.send(progress('01', 'action', 'succeed', 'x'));
    expect(h.send(progress('01', 'action', 'succeed', 'x'))).toMatchObject({ persisted: false, rejected: false });
    const other = h.send(progress('01', 'action', 'failed', 'x'));
    expect(rejectOf(other.effects)).toMatchObject({ result: 'FAILURE', code: 'DTX_DUPLICATE_BRANCH' });
    expect(h.ctx.branches).toHaveLength(1);
  });

  it.each([
    [progress('01', '', 'succeed'), 'DTX_BAD_REQUEST', /^op: /],
    [progress('01', 'act ion', 'succeed'), 'DTX_BAD_REQUEST', /^op: /],
    [progress('01', 'action', 'prepared'), 'DTX_BAD_REQUEST', /^status: /],
    [progress('01', 'action', 'succeed', '', sec(1), 'tcc'), 'DTX_INVALID_TRANSITION', /a tcc branch cannot be registered in workflow/],
  ])('a bad registration is refused: %#', (event, code, message) => {
    const h = prepared();
    expect(rejectOf(h.send(event).effects)).toMatchObject({ code, message: expect.stringMatching(message) as unknown });
  });

  it('after the end a registration gets dtm’s 409 text', () => {
    const h = prepared();
    h.send(end(sec(2), { status: 'succeed' }));
    expect(rejectOf(h.send(progress('02', 'action', 'succeed')).effects)?.message).toBe('no trans with gid: gid-1 status: prepared found FAILURE');
  });
});

describe('workflow: submit with req_extra (spec §5.4)', () => {
  it('succeed: the result is stored, finish_time set, no call', () => {
    const h = prepared();
    const s = h.send(end(sec(3), { status: 'succeed', rollback_reason: '', result: 'b2s=' }));
    expect(s.effects).toEqual([]);
    expect(h.status).toBe('succeed');
    expect([h.ctx.result, h.ctx.finishTime, h.ctx.rollbackReason]).toEqual(['b2s=', sec(3), '']);
  });

  it('failed: rollback_reason stored, rollback_time set', () => {
    const h = prepared();
    h.send(end(sec(3), { status: 'failed', rollback_reason: 'Insufficient balance FAILURE', result: '' }));
    expect(h.status).toBe('failed');
    expect([h.ctx.rollbackReason, h.ctx.rollbackTime, h.ctx.result]).toEqual(['Insufficient balance FAILURE', sec(3), '']);
  });

  it('a submit that names no end is refused; one of another type is a reused gid; after the end dtm’s 409', () => {
    const h = prepared();
    expect(rejectOf(h.send(end(sec(1), { result: 'x' })).effects)).toMatchObject({ code: 'DTX_BAD_REQUEST', message: expect.stringMatching(/^req_extra\.status/) as unknown });
    expect(rejectOf(h.send({ type: 'TransSubmitted', at: sec(1), spec: { ...workflowSpec(), transType: 'saga' } }).effects)?.code).toBe('DTX_DUPLICATE_GID');
    h.send(end(sec(2), { status: 'failed' }));
    expect(rejectOf(h.send(end(sec(3), { status: 'succeed' })).effects)?.message).toBe("current status 'failed', cannot sumbmit. FAILURE");
    expect(h.status).toBe('failed');
  });

  it('abort is refused (the client rolls back itself); forceStop fails it', () => {
    const h = prepared();
    expect(rejectOf(h.send(makeAborted(sec(1), 'tcc')).effects)?.message).toBe("trans type: 'workflow' current status 'prepared', cannot abort. FAILURE");
    h.send(makeForceStop(sec(2)));
    expect(h.status).toBe('failed');
  });
});

describe('workflow: the resume callback (spec §7.7, §6.6, §16.13)', () => {
  it('a cron pass takes the lease and calls query_prepared: branch 00, op = name, payload = the input', () => {
    const h = prepared();
    const s = h.send(makeCron(sec(10)));
    expect(calls(s.effects)).toEqual([{ branchId: '00', op: 'transfer', url: RESUME, attempt: 1, payload: DATA }]);
    expect(h.ctx.nextCronTime).toBe(sec(20));
    expect(h.status).toBe('prepared');
  });

  it('a gRPC workflow asks for the input wrapped as workflow.WorkflowData', () => {
    const h = prepared(workflowSpec({ protocol: 'grpc', queryPrepared: '127.0.0.1:5/workflow.Workflow/Execute' }));
    expect(calls(h.send(makeCron(sec(10))).effects)[0]).toMatchObject({ op: 'transfer', wrapIn: 'workflow.WorkflowData' });
    expect(outstandingCalls(h.ctx)).toEqual([{ type: 'callBranch', params: expect.objectContaining({ branchId: '00', wrapIn: 'workflow.WorkflowData' }) as unknown }]);
  });

  it.each(['SUCCESS', 'FAILURE', 'ONGOING', 'ERROR'] as const)('an answer %s only settles the call: no touch, no backoff, no alert', (result) => {
    const h = prepared();
    h.send(makeCron(sec(10)));
    const s = h.reply('00:transfer', result, sec(11), 'x');
    expect(s.persisted).toBe(true);
    expect(s.effects).toEqual([]);
    expect(h.status).toBe('prepared');
    expect([h.ctx.nextCronTime, h.ctx.nextCronInterval, h.ctx.sideCall?.inflight]).toEqual([sec(20), 10, false]);
    // the next pass calls again, one lease later: a fixed interval
    expect(calls(h.send(makeCron(sec(20))).effects)).toMatchObject([{ attempt: 2 }]);
    expect(h.ctx.nextCronTime).toBe(sec(30));
  });

  it('while a call is out a pass only renews the lease; stale and duplicated answers change nothing', () => {
    const h = prepared();
    h.send(makeCron(sec(10)));
    expect(h.send(makeCron(sec(20))).effects).toEqual([]);
    expect(h.send(makeResult('SUCCESS', '00', 'transfer', 7, sec(21))).persisted).toBe(false);
    expect(h.reply('00:transfer', 'ONGOING', sec(22)).persisted).toBe(true);
    expect(h.send(makeResult('ONGOING', '00', 'transfer', 1, sec(23))).persisted).toBe(false);
  });

  it('an empty query_prepared is never called; resetNextCronTime makes the next pass due now', () => {
    const h = prepared(workflowSpec({ queryPrepared: '' }));
    expect(h.send(makeCron(sec(10))).effects).toEqual([]);
    h.send(makeCronReset(sec(12)));
    expect(h.ctx.nextCronTime).toBe(sec(12));
  });

  it('an answer after the end changes nothing', () => {
    const h = prepared();
    h.send(makeCron(sec(10)));
    h.send(end(sec(11), { status: 'succeed' }));
    expect(h.reply('00:transfer', 'SUCCESS', sec(12)).persisted).toBe(false);
    expect(h.send(makeCron(sec(30))).persisted).toBe(false);
  });
});
