import { describe, expect, it } from 'vitest';
import { tccMachine, xaMachine, type TransEvent } from '../../../machines/index.js';
import { Harness, T0, makeAborted, makeCreated, makeCron, makeForceStop, makeSpec, makeSubmitted, rejectOf, sec } from './builders.js';

/** Table tests of the TCC (spec §7.5) and XA (§7.6) machines, driven event by event. */

const URL = 'http://busi.test/api';
const tccSpec = (options = {}) => makeSpec({ transType: 'tcc', steps: [], payloads: [], options });
const xaSpec = (options = {}) => makeSpec({ transType: 'xa', steps: [], payloads: [], options });

function tccBranch(id: string, at = T0, data = '{"amount":30}', type = 'tcc'): TransEvent {
  return { type: 'BranchRegistered', at, requestType: type, branchId: id, fields: { confirm: `${URL}/${id}/confirm`, cancel: `${URL}/${id}/cancel` }, payload: Buffer.from(data).toString('base64') };
}
function xaBranch(id: string, at = T0): TransEvent {
  return { type: 'BranchRegistered', at, requestType: 'xa', branchId: id, fields: { url: `${URL}/${id}/xa` }, payload: '' };
}

function preparedTcc(ids: string[], options = {}): Harness {
  const h = new Harness(tccMachine);
  h.send(makeCreated(tccSpec(options), 'prepared'));
  for (const id of ids) expect(h.send(tccBranch(id)).persisted).toBe(true);
  return h;
}

describe('tcc machine', () => {
  it('registration adds [cancel, confirm] with the data as payload; submit confirms last-registered first', () => {
    const h = preparedTcc(['01', '02']);
    expect(h.ctx.branches.map((r) => `${r.branchId}:${r.op}:${r.status}`)).toEqual(['01:cancel:prepared', '01:confirm:prepared', '02:cancel:prepared', '02:confirm:prepared']);
    expect(h.ctx.branches[0]!.binData).toBe(Buffer.from('{"amount":30}').toString('base64'));
    const s = h.send(makeSubmitted(sec(1)));
    expect(s.effects.map((e) => e.type === 'callBranch' && `${e.params.branchId}:${e.params.op}`)).toEqual(['02:confirm']);
    h.reply('02:confirm', 'SUCCESS', sec(2));
    expect(h.allCalls.map((c) => `${c.branchId}:${c.op}`)).toEqual(['02:confirm', '01:confirm']);
    h.reply('01:confirm', 'SUCCESS', sec(3));
    expect(h.status).toBe('succeed');
    expect(h.rows).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
  });

  it('abort cancels registered branches in reverse order and stores the reason', () => {
    const h = preparedTcc(['01', '02']);
    h.send(makeAborted(sec(1), 'tcc', 'try failed'));
    expect(h.status).toBe('aborting');
    h.reply('02:cancel', 'ONGOING', sec(2));
    expect(h.status).toBe('aborting');
    h.send(makeCron(sec(12)));
    h.reply('02:cancel', 'SUCCESS', sec(13));
    h.reply('01:cancel', 'SUCCESS', sec(14));
    expect(h.status).toBe('failed');
    expect(h.ctx.rollbackReason).toBe('try failed');
    expect(h.rows).toEqual(['succeed', 'prepared', 'succeed', 'prepared']);
  });

  it('a FAILURE of confirm is an error: backoff, retried by the next pass, never cancelled', () => {
    const h = preparedTcc(['01']);
    h.send(makeSubmitted(sec(1)));
    h.reply('01:confirm', 'FAILURE', sec(2), 'no');
    expect(h.status).toBe('submitted');
    expect(h.ctx.nextCronInterval).toBe(20);
    expect(h.ctx.passError).toEqual({ result: 'FAILURE', message: 'no' });
    h.send(makeCron(sec(22)));
    h.reply('01:confirm', 'SUCCESS', sec(23));
    expect(h.status).toBe('succeed');
    expect(h.allCalls.every((c) => c.op === 'confirm')).toBe(true);
  });

  it('prepared timeout: CronFired before the deadline changes nothing; at it, aborting with the effective seconds', () => {
    const h = preparedTcc(['01']);
    expect(h.send(makeCron(sec(34))).persisted).toBe(false);
    h.send(makeCron(sec(35)));
    expect(h.status).toBe('aborting');
    expect(h.ctx.rollbackReason).toBe('Timeout after 35 seconds');
    h.reply('01:cancel', 'SUCCESS', sec(36));
    expect(h.status).toBe('failed');

    const own = preparedTcc([], { timeoutToFail: 3 });
    own.send(makeCron(sec(3)));
    expect(own.status).toBe('failed');
    expect(own.ctx.rollbackReason).toBe('Timeout after 3 seconds');
  });

  it('registration rules: repeated = no-op, conflicting = DTX_DUPLICATE_BRANCH, other type or status = 409', () => {
    const h = preparedTcc(['01']);
    expect(h.send(tccBranch('01', sec(1))).persisted).toBe(false);
    expect(rejectOf(h.send(tccBranch('01', sec(1), '{"amount":1}')).effects)?.code).toBe('DTX_DUPLICATE_BRANCH');
    expect(rejectOf(h.send(tccBranch('02', sec(1), '{}', 'xa')).effects)?.code).toBe('DTX_INVALID_TRANSITION');
    h.send(makeAborted(sec(2), 'tcc'));
    expect(rejectOf(h.send(tccBranch('03', sec(3))).effects)?.message).toBe('no trans with gid: gid-1 status: prepared found FAILURE');
    expect(h.ctx.branches).toHaveLength(2);
  });

  it('abort rules: a saga-typed request is refused; abort while aborting re-runs the cancels; submit while aborting is 409', () => {
    const h = preparedTcc(['01']);
    expect(rejectOf(h.send(makeAborted(sec(1), 'saga')).effects)?.message).toBe("trans type: 'tcc' current status 'prepared', cannot abort. FAILURE");
    h.send(makeAborted(sec(1), 'tcc'));
    h.reply('01:cancel', 'ERROR', sec(2), 'db down');
    const again = h.send(makeAborted(sec(3), 'tcc', 'second reason'));
    expect(again.effects.some((e) => e.type === 'callBranch')).toBe(true);
    expect(h.ctx.rollbackReason).toBe('second reason');
    expect(rejectOf(h.send(makeSubmitted(sec(4))).effects)?.message).toBe("current status 'aborting', cannot sumbmit. FAILURE");
  });

  it('forceStop ends a submitted tcc without cancelling; later calls get dtm texts', () => {
    const h = preparedTcc(['01']);
    h.send(makeSubmitted(sec(1)));
    const s = h.send(makeForceStop(sec(2)));
    expect(h.status).toBe('failed');
    expect(s.effects.filter((e) => e.type === 'callBranch')).toHaveLength(0);
    expect(rejectOf(h.send(tccBranch('02', sec(3))).effects)?.result).toBe('FAILURE');
  });

  it('a submit of a new gid with no branch succeeds at once; empty URLs succeed without a call', () => {
    const h = new Harness(tccMachine);
    h.send(makeCreated(tccSpec(), 'submitted'));
    expect(h.status).toBe('succeed');
    const e = preparedTcc([]);
    e.send({ type: 'BranchRegistered', at: T0, requestType: 'tcc', branchId: '01', fields: {}, payload: '' });
    e.send(makeSubmitted(sec(1)));
    expect(e.status).toBe('succeed');
    expect(e.allCalls).toHaveLength(0);
  });
});

describe('xa machine', () => {
  it('commits in registration order with forcePost and no payload', () => {
    const h = new Harness(xaMachine);
    h.send(makeCreated(xaSpec(), 'prepared'));
    h.send(xaBranch('01'));
    h.send(xaBranch('02'));
    expect(h.ctx.branches.map((r) => `${r.branchId}:${r.op}:${r.url}`)).toEqual([`01:rollback:${URL}/01/xa`, `01:commit:${URL}/01/xa`, `02:rollback:${URL}/02/xa`, `02:commit:${URL}/02/xa`]);
    h.send(makeSubmitted(sec(1)));
    h.reply('01:commit', 'SUCCESS', sec(2));
    h.reply('02:commit', 'SUCCESS', sec(3));
    expect(h.allCalls.map((c) => `${c.branchId}:${c.op}:${c.forcePost}:${c.payload}`)).toEqual(['01:commit:true:', '02:commit:true:']);
    expect(h.status).toBe('succeed');
  });

  it('rolls back only registered branches, forward; no branch → failed at once; timeout reason', () => {
    const h = new Harness(xaMachine);
    h.send(makeCreated(xaSpec(), 'prepared'));
    h.send(xaBranch('01'));
    h.send(makeAborted(sec(1), 'xa'));
    h.reply('01:rollback', 'SUCCESS', sec(2));
    expect(h.status).toBe('failed');
    expect(h.rows).toEqual(['succeed', 'prepared']);

    const t = new Harness(xaMachine);
    t.send(makeCreated(xaSpec({ timeoutToFail: 2 }), 'prepared'));
    t.send(makeCron(sec(2)));
    expect(t.status).toBe('failed');
    expect(t.ctx.rollbackReason).toMatch(/^Timeout after \d+ seconds$/);
    expect(t.ctx.branches).toEqual([]);
  });
});
