import { describe, expect, it } from 'vitest';
import type { TransContext } from '../../../machines/index.js';
import { quorumDueAt, quorumMachine } from '../../../examples/quorum/quorum.machine.js';
import { transType, validateQuorum } from '../../../examples/quorum/index.js';
import { Harness, callKeys, makeAborted, makeCreated, makeCron, makeSpec, makeSubmitted, run, sagaSteps, sec } from '../machines/builders.js';

/**
 * The quorum example type: N actions called at once, success at K, the other branches that may
 * have executed are compensated; an unreachable quorum compensates everything that may have run.
 * Rows are in stored order [c1,a1,c2,a2,...].
 */

const P = 'prepared';
const S = 'succeed';
const F = 'failed';
const quorum = (n: number, k?: number, extra: Parameters<typeof makeSpec>[0] = {}) =>
  makeSpec({ transType: 'quorum', steps: sagaSteps(n), ...(k === undefined ? {} : { customData: { quorum: k } }), ...extra });
const start = (spec: ReturnType<typeof quorum>) => {
  const h = new Harness(quorumMachine);
  const s = h.send(makeCreated(spec, 'submitted', sec(0)));
  return { h, calls: callKeys(s.effects) };
};

describe('quorum reached', () => {
  it('K of N succeed → succeed; the extra success is compensated, the winners are not', () => {
    const { h, calls } = start(quorum(3));
    expect(calls).toEqual(['01:action', '02:action', '03:action']); // concurrently, default K = majority = 2
    expect(callKeys(h.reply('01:action', 'SUCCESS', sec(1)).effects)).toEqual([]);
    expect(callKeys(h.reply('03:action', 'SUCCESS', sec(2)).effects)).toEqual([]);
    expect(h.status).toBe('submitted'); // 02 is still in flight: wait for its answer
    expect(h.ctx.ext).toMatchObject({ quorum: 2, winners: ['01', '03'] });
    expect(callKeys(h.reply('02:action', 'SUCCESS', sec(3)).effects)).toEqual(['02:compensate']);
    h.reply('02:compensate', 'SUCCESS', sec(4));
    expect(h.status).toBe('succeed');
    expect(h.rows).toEqual([P, S, S, S, P, S]);
    expect(h.ctx.finishTime).toBe(sec(4));
  });

  it('compensates extras that may have executed (ONGOING/error) and skips those that failed', () => {
    const { h } = start(quorum(4, 2));
    h.reply('01:action', 'SUCCESS', sec(1));
    h.reply('02:action', 'ERROR', sec(1), 'boom');
    expect(callKeys(h.reply('03:action', 'SUCCESS', sec(2)).effects)).toEqual(['02:compensate']);
    expect(callKeys(h.reply('04:action', 'FAILURE', sec(3)).effects)).toEqual([]);
    expect(h.status).toBe('submitted');
    h.reply('02:compensate', 'SUCCESS', sec(4));
    expect(h.status).toBe('succeed');
    expect(h.rows).toEqual([P, S, S, P, P, S, P, F]);
    expect(h.allCalls.filter((c) => c.op === 'action')).toHaveLength(4); // 02 is never retried once the quorum is reached
  });

  it('retries an action answered ERROR on the next CronFired, with saga backoff', () => {
    const { h } = start(quorum(2, 2));
    h.reply('01:action', 'ERROR', sec(1));
    expect(h.ctx.nextCronInterval).toBe(20);
    expect(h.ctx.nextCronTime).toBe(sec(21));
    const pass = h.send(makeCron(sec(21)));
    expect(pass.effects.map((e) => e.type === 'callBranch' && [e.params.branchId, e.params.attempt])).toEqual([['01', 2]]);
    h.reply('01:action', 'SUCCESS', sec(22));
    h.reply('02:action', 'SUCCESS', sec(23));
    expect(h.status).toBe('succeed');
  });

  it('succeeds inside TransCreated when every URL is empty (no calls)', () => {
    const spec = quorum(2, 1, { steps: [{ action: '', compensate: '' }, { action: '', compensate: '' }] });
    const { h, calls } = start(spec);
    expect(calls).toEqual([]);
    expect(h.status).toBe('succeed');
  });
});

describe('quorum unreachable', () => {
  it('N − failures < K → aborting: every success and maybe-executed branch is compensated, then failed', () => {
    const { h } = start(quorum(3, 3));
    h.reply('01:action', 'SUCCESS', sec(1));
    const abort = h.reply('02:action', 'FAILURE', sec(2), 'no stock');
    expect(h.status).toBe('aborting');
    expect(callKeys(abort.effects)).toEqual(['01:compensate']); // 03 is in flight: compensated once it answered
    expect(h.ctx.rollbackReason).toBe(`quorum 3 of 3 unreachable: url:${sagaSteps(3)[1]!.action} return failed: no stock FAILURE`);
    expect(callKeys(h.reply('03:action', 'ONGOING', sec(3)).effects)).toEqual(['03:compensate']);
    h.reply('01:compensate', 'SUCCESS', sec(4));
    h.reply('03:compensate', 'ERROR', sec(5));
    expect(h.status).toBe('aborting');
    const retry = h.send(makeCron(h.ctx.nextCronTime));
    expect(callKeys(retry.effects)).toEqual(['03:compensate']);
    h.reply('03:compensate', 'SUCCESS', sec(60));
    expect(h.status).toBe('failed');
    expect(h.rows).toEqual([S, S, P, F, S, P]);
    expect(h.ctx.rollbackTime).toBe(sec(60));
  });

  it('fails without compensations when nothing succeeded', () => {
    const { h } = start(quorum(2, 2));
    h.reply('01:action', 'FAILURE', sec(1));
    expect(h.status).toBe('aborting'); // 02 still in flight
    h.reply('02:action', 'FAILURE', sec(2));
    expect(h.status).toBe('failed');
    expect(h.allCalls.filter((c) => c.op === 'compensate')).toEqual([]);
  });

  it('aborts at timeout_to_fail when the quorum is not reached', () => {
    const { h } = start(quorum(2, 2, { options: { timeoutToFail: 5 } }));
    h.reply('01:action', 'SUCCESS', sec(1));
    h.reply('02:action', 'ONGOING', sec(2));
    expect(quorumDueAt(h.ctx, 'submitted')).toBe(sec(5));
    const t = h.send(makeCron(sec(5)));
    expect(h.status).toBe('aborting');
    expect(h.ctx.rollbackReason).toBe('Timeout after 5 seconds');
    expect(callKeys(t.effects).sort()).toEqual(['01:compensate', '02:compensate']);
  });
});

describe('quorum lifecycle', () => {
  it('ignores stale and duplicate answers', () => {
    const { h } = start(quorum(2));
    const first = h.outstanding.get('01:action')!;
    h.reply('01:action', 'SUCCESS', sec(1));
    const dup = h.send({ type: 'BranchSucceeded', at: sec(2), branchId: '01', op: 'action', attempt: first.attempt });
    expect(dup.persisted).toBe(false);
  });

  it('waits while prepared; submit starts it, abort of a prepared quorum fails it', () => {
    const spec = quorum(2);
    const h = new Harness(quorumMachine);
    h.send(makeCreated(spec, 'prepared', sec(0)));
    expect(quorumDueAt(h.ctx, 'prepared')).toBeUndefined();
    expect(callKeys(h.send(makeSubmitted(sec(1), spec)).effects)).toEqual(['01:action', '02:action']);
    const other = new Harness(quorumMachine);
    other.send(makeCreated(spec, 'prepared', sec(0)));
    other.send(makeAborted(sec(1), 'quorum', 'changed my mind'));
    expect(other.status).toBe('failed');
    expect(other.ctx.rollbackReason).toBe('changed my mind');
  });

  it('replaying the persisted events rebuilds the live snapshot exactly', () => {
    const { h } = start(quorum(4, 2));
    h.reply('01:action', 'ERROR', sec(1));
    h.send(makeCron(h.ctx.nextCronTime));
    h.reply('02:action', 'SUCCESS', sec(30));
    h.reply('03:action', 'FAILURE', sec(31));
    h.reply('01:action', 'SUCCESS', sec(32));
    h.reply('04:action', 'SUCCESS', sec(33));
    h.reply('04:compensate', 'SUCCESS', sec(34));
    expect(h.status).toBe('succeed');
    const replayed = run(quorumMachine, h.persisted).snapshot;
    expect(replayed.value).toEqual(h.snapshot.value);
    expect(replayed.context as TransContext).toEqual(h.ctx);
  });
});

describe('quorum type definition', () => {
  it('validates steps, payloads and custom_data.quorum', () => {
    expect(validateQuorum(quorum(3, 2))).toBeUndefined();
    expect(validateQuorum(quorum(3))).toBeUndefined();
    expect(validateQuorum(quorum(0))).toBe('a quorum transaction needs at least one step');
    expect(validateQuorum(quorum(3, 4))).toBe('custom_data.quorum must be an integer 1..3 (the number of steps)');
    expect(validateQuorum(quorum(3, undefined, { customData: '[1]' }))).toBe('custom_data must be a JSON object');
    expect(validateQuorum(quorum(3, undefined, { customData: '{' }))).toBe('custom_data is not valid JSON');
    expect(validateQuorum(quorum(2, undefined, { payloads: ['e30='] }))).toContain('every step needs a payload');
  });

  it('is named quorum, with its own due times', () => {
    expect(transType.name).toBe('quorum');
    expect(transType.dueAt).toBe(quorumDueAt);
  });
});
