import { describe, expect, it } from 'vitest';
import { sagaMachine, type TransSpec } from '../../../machines/index.js';
import {
  Harness, LIMITS, actionUrl, answer, callKeys, calls, compensateUrl, makeAborted, makeCreated, makeCron, makeCronReset,
  makeForceStop, makeResult, makeSpec, makeSubmitted, rejectOf, sagaSteps, sec, type StepResult,
} from './builders.js';

/**
 * Saga machine, spec §7.3: the §7.3.3 examples as [snapshot, effects] tables, §7.3.4 retry_limit,
 * scheduling of compensation retries (§8.4), stale answers, and the §5.9 state × call matrix.
 * Rows are in stored order [c1,a1,c2,a2].
 */

type Act = (h: Harness) => StepResult;
interface Expect {
  readonly status: string;
  readonly rows?: readonly string[];
  /** `<branchId>:<op>` of the callBranch effects of this step, in order */
  readonly calls?: readonly string[];
  readonly reason?: string | RegExp;
}
type Row = readonly [Act, Expect];

const P = 'prepared';
const S = 'succeed';
const F = 'failed';

const create = (spec: TransSpec, at = sec(0)): Act => (h) => h.send(makeCreated(spec, 'submitted', at));
const reply = (key: string, type: 'SUCCESS' | 'FAILURE' | 'ONGOING' | 'ERROR', s: number, msg?: string): Act => (h) => h.reply(key, type, sec(s), msg);
const cron = (s: number): Act => (h) => h.send(makeCron(sec(s)));

function runTable(spec: TransSpec, table: readonly Row[]): Harness {
  const h = new Harness(sagaMachine);
  table.forEach(([act, want], i) => {
    const step = act(h);
    const where = `row ${i} (${step.event.type})`;
    expect(step.rejected, where).toBe(false);
    expect(h.status, where).toBe(want.status);
    if (want.rows) expect(h.rows, where).toEqual(want.rows);
    if (want.calls) expect(callKeys(step.effects), where).toEqual(want.calls);
    if (want.reason !== undefined) {
      if (typeof want.reason === 'string') expect(h.ctx.rollbackReason, where).toBe(want.reason);
      else expect(h.ctx.rollbackReason, where).toMatch(want.reason);
    }
  });
  return h;
}

const two = makeSpec({ steps: sagaSteps(2) });
const concurrentOrdered = makeSpec({ steps: sagaSteps(2), customData: { concurrent: true, orders: { '1': [0] } } });

describe('saga §7.3.3 examples', () => {
  it('normal: actions in order, succeed, rows [prepared,succeed,prepared,succeed]', () => {
    const h = runTable(two, [
      [create(two), { status: 'submitted', rows: [P, P, P, P], calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 1), { status: 'submitted', rows: [P, S, P, P], calls: ['02:action'] }],
      [reply('02:action', 'SUCCESS', 2), { status: 'succeed', rows: [P, S, P, S], calls: [], reason: '' }],
    ]);
    expect(h.allCalls.map((c) => [c.branchId, c.op, c.url, c.attempt, c.payload])).toEqual([
      ['01', 'action', actionUrl(0), 1, two.payloads[0]],
      ['02', 'action', actionUrl(1), 1, two.payloads[1]],
    ]);
    expect(h.ctx.finishTime).toBe(sec(2));
    expect(h.ctx.rollbackTime).toBeUndefined();
  });

  it('step-2 FAILURE: compensations 02 then 01, rows [succeed,succeed,succeed,failed], dtm reason text', () => {
    const reason = `url:${actionUrl(1)} return failed: Insufficient balance FAILURE`;
    const h = runTable(two, [
      [create(two), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 1), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'FAILURE', 2, 'Insufficient balance'), { status: 'aborting', rows: [P, S, P, F], calls: ['02:compensate'], reason }],
      [reply('02:compensate', 'SUCCESS', 3), { status: 'aborting', rows: [P, S, S, F], calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 4), { status: 'failed', rows: [S, S, S, F], calls: [], reason }],
    ]);
    expect(h.allCalls.filter((c) => c.op === 'compensate').map((c) => c.url)).toEqual([compensateUrl(1), compensateUrl(0)]);
    expect(h.ctx.rollbackTime).toBe(sec(4));
  });

  it('a FAILURE message already ending in FAILURE is not suffixed twice', () => {
    const h = runTable(two, [
      [create(two), { status: 'submitted' }],
      [reply('01:action', 'FAILURE', 1, 'no money FAILURE'), { status: 'aborting', rows: [P, F, P, P], calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 2), { status: 'failed', rows: [S, F, P, P] }],
    ]);
    expect(h.ctx.rollbackReason).toBe(`url:${actionUrl(0)} return failed: no money FAILURE`);
  });

  it('step-1 ONGOING: stays submitted with all rows prepared, no call until CronFired, then succeeds', () => {
    const h = runTable(two, [
      [create(two), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'ONGOING', 1), { status: 'submitted', rows: [P, P, P, P], calls: [] }],
      // nothing else calls the branch: a reset of the due time and a stale answer are not a pass
      [(x) => x.send(makeResult('SUCCESS', '01', 'action', 1, sec(2))), { status: 'submitted', rows: [P, P, P, P], calls: [] }],
      [cron(11), { status: 'submitted', rows: [P, P, P, P], calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 12), { status: 'submitted', rows: [P, S, P, P], calls: ['02:action'] }],
      [reply('02:action', 'SUCCESS', 13), { status: 'succeed', rows: [P, S, P, S], calls: [] }],
    ]);
    expect(h.allCalls.filter((c) => c.branchId === '01').map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('ONGOING keeps the interval (fixed polling): next cron at +retry interval', () => {
    const h = runTable(two, [
      [create(two), { status: 'submitted' }],
      [reply('01:action', 'ONGOING', 1), { status: 'submitted' }],
    ]);
    expect(h.ctx.nextCronInterval).toBe(10);
    expect(h.ctx.nextCronTime).toBe(sec(11));
  });

  it('a second submit while submitted re-runs a pass on the stored rows (TestSagaAbnormal)', () => {
    const h = runTable(two, [
      [create(two), { status: 'submitted' }],
      [reply('01:action', 'ERROR', 1), { status: 'submitted', calls: [] }],
      [(x) => x.send(makeSubmitted(sec(2), two)), { status: 'submitted', rows: [P, P, P, P], calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 3), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'SUCCESS', 4), { status: 'succeed', rows: [P, S, P, S] }],
    ]);
    const again = h.send(makeSubmitted(sec(5), two));
    expect(rejectOf(again.effects)?.message).toBe("current status 'succeed', cannot sumbmit. FAILURE");
  });

  it('concurrent without orders: both actions at once; step-1 ONGOING while step-2 succeeds → [prepared,prepared,prepared,succeed], cron → succeed', () => {
    const spec = makeSpec({ steps: sagaSteps(2), customData: { concurrent: true } });
    runTable(spec, [
      [create(spec), { status: 'submitted', calls: ['01:action', '02:action'] }],
      [reply('02:action', 'SUCCESS', 1), { status: 'submitted', rows: [P, P, P, S], calls: [] }],
      [reply('01:action', 'ONGOING', 2), { status: 'submitted', rows: [P, P, P, S], calls: [] }],
      [cron(12), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 13), { status: 'succeed', rows: [P, S, P, S] }],
    ]);
  });

  it('concurrent with orders {"1":[0]} and step-1 FAILURE → [succeed,failed,prepared,prepared], failed', () => {
    runTable(concurrentOrdered, [
      [create(concurrentOrdered), { status: 'submitted', rows: [P, P, P, P], calls: ['01:action'] }],
      [reply('01:action', 'FAILURE', 1, 'no'), { status: 'aborting', rows: [P, F, P, P], calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 2), { status: 'failed', rows: [S, F, P, P], calls: [] }],
    ]);
  });

  it('concurrent with orders {"1":[0]} and step-2 FAILURE → compensations in reverse order, [succeed,succeed,succeed,failed]', () => {
    runTable(concurrentOrdered, [
      [create(concurrentOrdered), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 1), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'FAILURE', 2, 'no'), { status: 'aborting', rows: [P, S, P, F], calls: ['02:compensate'] }],
      [reply('02:compensate', 'SUCCESS', 3), { status: 'aborting', calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 4), { status: 'failed', rows: [S, S, S, F] }],
    ]);
  });

  it('concurrent rollback waits for an in-flight action before compensating it', () => {
    const spec = makeSpec({ steps: sagaSteps(2), customData: { concurrent: true } });
    runTable(spec, [
      [create(spec), { status: 'submitted', calls: ['01:action', '02:action'] }],
      [reply('01:action', 'FAILURE', 1, 'no'), { status: 'aborting', calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 2), { status: 'aborting', rows: [S, F, P, P], calls: [] }],
      // the late answer of step 2 settles it and makes its compensation runnable
      [reply('02:action', 'SUCCESS', 3), { status: 'aborting', rows: [S, F, P, S], calls: ['02:compensate'] }],
      [reply('02:compensate', 'SUCCESS', 4), { status: 'failed', rows: [S, F, S, S] }],
    ]);
  });
});

describe('saga compensation retries (spec §7.3.3 step 8, §8.4)', () => {
  it('compensation error: stays aborting, backoff doubles up to limits.maxRetryInterval, cron retries it → failed', () => {
    const limits = { ...LIMITS, maxRetryInterval: 60 };
    const h = new Harness(sagaMachine);
    h.send(makeCreated(two, 'submitted', sec(0), limits));
    h.reply('01:action', 'SUCCESS', sec(1));
    h.reply('02:action', 'FAILURE', sec(2), 'no');
    expect(h.ctx.nextCronInterval).toBe(10);

    const intervals: number[] = [];
    let now = 3;
    for (let i = 0; i < 4; i++) {
      const s = h.reply('02:compensate', 'ERROR', sec(now), 'HTTP 500');
      expect(s.effects.filter((e) => e.type === 'callBranch')).toEqual([]);
      expect(h.status).toBe('aborting');
      expect(h.rows).toEqual([P, S, P, F]);
      intervals.push(h.ctx.nextCronInterval);
      expect(h.ctx.nextCronTime).toBe(sec(now + h.ctx.nextCronInterval));
      now += h.ctx.nextCronInterval;
      const c = h.send(makeCron(sec(now)));
      expect(callKeys(c.effects)).toEqual(['02:compensate']);
      now += 1;
    }
    expect(intervals).toEqual([20, 40, 60, 60]);

    // ONGOING keeps the grown interval; SUCCESS resets it
    h.reply('02:compensate', 'ONGOING', sec(now));
    expect(h.ctx.nextCronInterval).toBe(60);
    now += 60;
    expect(callKeys(h.send(makeCron(sec(now))).effects)).toEqual(['02:compensate']);
    const ok = h.reply('02:compensate', 'SUCCESS', sec(now + 1));
    expect(h.ctx.nextCronInterval).toBe(10);
    expect(callKeys(ok.effects)).toEqual(['01:compensate']);
    h.reply('01:compensate', 'SUCCESS', sec(now + 2));
    expect(h.status).toBe('failed');
    expect(h.rows).toEqual([S, S, S, F]);
    expect(h.allCalls.filter((c) => c.branchId === '02' && c.op === 'compensate').map((c) => c.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a compensation FAILURE is only an error: retried, never marks the row failed', () => {
    const h = runTable(two, [
      [create(two), { status: 'submitted' }],
      [reply('01:action', 'FAILURE', 1, 'no'), { status: 'aborting', calls: ['01:compensate'] }],
      [reply('01:compensate', 'FAILURE', 2, 'cannot'), { status: 'aborting', rows: [P, F, P, P], calls: [] }],
      [cron(30), { status: 'aborting', calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 31), { status: 'failed', rows: [S, F, P, P] }],
    ]);
    expect(h.ctx.rollbackReason).toBe(`url:${actionUrl(0)} return failed: no FAILURE`);
  });

  it('alert webhook (notify) after the 3rd consecutive backoff with a 10 s base (spec §8.5)', () => {
    const h = new Harness(sagaMachine);
    h.send(makeCreated(two, 'submitted', sec(0)));
    h.reply('01:action', 'FAILURE', sec(1), 'no');
    const notes: unknown[] = [];
    let now = 2;
    for (let i = 0; i < 3; i++) {
      const s = h.reply('01:compensate', 'ERROR', sec(now), 'boom');
      notes.push(s.effects.filter((e) => e.type === 'notify').map((e) => e.params));
      now += h.ctx.nextCronInterval;
      h.send(makeCron(sec(now)));
    }
    expect(notes).toEqual([
      [],
      [],
      [{ gid: 'gid-1', status: 'aborting', branch: compensateUrl(0), error: 'boom', retry_count: 3 }],
    ]);
  });
});

describe('saga timeout_to_fail (spec §7.3.3 steps 1-4, §8.6)', () => {
  const timed = makeSpec({ steps: sagaSteps(2), options: { timeoutToFail: 30 } });

  it('step-1 ONGOING, CronFired after the deadline → [succeed,prepared,prepared,prepared], failed, Timeout reason', () => {
    runTable(timed, [
      [create(timed), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'ONGOING', 1), { status: 'submitted', calls: [] }],
      [cron(11), { status: 'submitted', calls: ['01:action'] }], // before the deadline: an ordinary retry
      [reply('01:action', 'ONGOING', 12), { status: 'submitted', calls: [] }],
      // after the deadline: no action is called any more, the may-have-executed step 1 is compensated
      [cron(31), { status: 'aborting', rows: [P, P, P, P], calls: ['01:compensate'], reason: 'Timeout after 30 seconds' }],
      [reply('01:compensate', 'SUCCESS', 32), { status: 'failed', rows: [S, P, P, P], reason: /^Timeout after \d+ seconds$/ }],
    ]);
  });

  it('an action in flight at the deadline is awaited before its compensation', () => {
    runTable(timed, [
      [create(timed), { status: 'submitted', calls: ['01:action'] }],
      [cron(30), { status: 'aborting', calls: [] }],
      [reply('01:action', 'SUCCESS', 31), { status: 'aborting', rows: [P, S, P, P], calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 32), { status: 'failed', rows: [S, S, P, P], reason: 'Timeout after 30 seconds' }],
    ]);
  });

  it('a result after the deadline starts no further action; the now-runnable step counts as may-have-executed', () => {
    runTable(timed, [
      [create(timed), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 35), { status: 'aborting', rows: [P, S, P, P], calls: ['02:compensate'], reason: 'Timeout after 30 seconds' }],
      [reply('02:compensate', 'SUCCESS', 36), { status: 'aborting', calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 37), { status: 'failed', rows: [S, S, S, P] }],
    ]);
  });

  it('the last action succeeding after the deadline still makes the saga succeed (step 3 before step 4)', () => {
    runTable(timed, [
      [create(timed), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 1), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'SUCCESS', 40), { status: 'succeed', rows: [P, S, P, S], calls: [], reason: '' }],
    ]);
  });

  it('retry_limit does not re-invoke an action past the deadline: the timeout aborts instead', () => {
    const spec = makeSpec({ steps: sagaSteps(2), options: { timeoutToFail: 30, retryLimit: 3 } });
    runTable(spec, [
      [create(spec), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'ERROR', 10), { status: 'submitted', calls: ['01:action'] }], // before: retried at once
      [reply('01:action', 'ERROR', 30), { status: 'aborting', calls: ['01:compensate'], reason: 'Timeout after 30 seconds' }],
      [reply('01:compensate', 'SUCCESS', 31), { status: 'failed', rows: [S, P, P, P] }],
    ]);
  });

  it('timeout_to_fail 0 never times out (config default is not applied to saga)', () => {
    runTable(two, [
      [create(two), { status: 'submitted' }],
      [reply('01:action', 'ONGOING', 1), { status: 'submitted' }],
      [cron(100_000), { status: 'submitted', calls: ['01:action'] }],
    ]);
  });
});

describe('saga retry_limit (spec §7.3.4)', () => {
  it('limit 3: a branch failing 3× then succeeding is retried immediately and the saga succeeds', () => {
    const spec = makeSpec({ steps: sagaSteps(2), options: { retryLimit: 3 } });
    const h = runTable(spec, [
      [create(spec), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 1), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'ERROR', 2), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'ONGOING', 3), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'ERROR', 4), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'SUCCESS', 5), { status: 'succeed', rows: [P, S, P, S], calls: [] }],
    ]);
    expect(h.allCalls.filter((c) => c.branchId === '02').map((c) => c.attempt)).toEqual([1, 2, 3, 4]);
  });

  it('limit 1: exhausted → failed, exact reason, rows [succeed,succeed,succeed,prepared]', () => {
    const spec = makeSpec({ steps: sagaSteps(2), options: { retryLimit: 1 } });
    const reason = 'RetryCount is greater than RetryLimit, RetryLimit: 1';
    runTable(spec, [
      [create(spec), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 1), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'ERROR', 2), { status: 'submitted', calls: ['02:action'] }],
      // the retried action may have executed: its compensation runs first
      [reply('02:action', 'ERROR', 3), { status: 'aborting', rows: [P, S, P, P], calls: ['02:compensate'], reason }],
      [reply('02:compensate', 'SUCCESS', 4), { status: 'aborting', calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 5), { status: 'failed', rows: [S, S, S, P], calls: [], reason }],
    ]);
  });

  it('limit 1 exhausted on step 1: step 2 was never runnable, only step 1 is compensated', () => {
    const spec = makeSpec({ steps: sagaSteps(2), options: { retryLimit: 1 } });
    runTable(spec, [
      [create(spec), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'ONGOING', 1), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'ONGOING', 2), { status: 'aborting', calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 3), { status: 'failed', rows: [S, P, P, P] }],
    ]);
  });

  it('the retry counter is shared by all actions', () => {
    const spec = makeSpec({ steps: sagaSteps(2), options: { retryLimit: 2 } });
    runTable(spec, [
      [create(spec), { status: 'submitted' }],
      [reply('01:action', 'ERROR', 1), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 2), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'ERROR', 3), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'ERROR', 4), { status: 'aborting', calls: ['02:compensate'], reason: 'RetryCount is greater than RetryLimit, RetryLimit: 2' }],
    ]);
  });

  it('a FAILURE is not retried by retry_limit', () => {
    const spec = makeSpec({ steps: sagaSteps(2), options: { retryLimit: 3 } });
    runTable(spec, [
      [create(spec), { status: 'submitted' }],
      [reply('01:action', 'FAILURE', 1, 'no'), { status: 'aborting', calls: ['01:compensate'], reason: `url:${actionUrl(0)} return failed: no FAILURE` }],
    ]);
  });
});

describe('saga empty URLs (spec §7.3.1)', () => {
  it('all URLs empty: succeed inside the creating event, without any callBranch', () => {
    const spec = makeSpec({ steps: [{ action: '', compensate: '' }, { action: '', compensate: '' }] });
    const h = new Harness(sagaMachine);
    const s = h.send(makeCreated(spec, 'submitted', sec(0)));
    expect(s.effects).toEqual([]);
    expect(h.status).toBe('succeed');
    expect(h.rows).toEqual([P, S, P, S]);
  });

  it('missing URL keys behave like empty ones', () => {
    const spec = makeSpec({ steps: [{}, { action: actionUrl(1), compensate: compensateUrl(1) }] });
    runTable(spec, [
      [create(spec), { status: 'submitted', rows: [P, S, P, P], calls: ['02:action'] }],
      [reply('02:action', 'SUCCESS', 1), { status: 'succeed', rows: [P, S, P, S] }],
    ]);
  });

  it('an empty compensation succeeds without a call during rollback', () => {
    const spec = makeSpec({ steps: [{ action: actionUrl(0), compensate: compensateUrl(0) }, { action: actionUrl(1), compensate: '' }] });
    runTable(spec, [
      [create(spec), { status: 'submitted', calls: ['01:action'] }],
      [reply('01:action', 'SUCCESS', 1), { status: 'submitted', calls: ['02:action'] }],
      [reply('02:action', 'FAILURE', 2, 'x'), { status: 'aborting', rows: [P, S, S, F], calls: ['01:compensate'] }],
      [reply('01:compensate', 'SUCCESS', 3), { status: 'failed', rows: [S, S, S, F] }],
    ]);
  });
});

describe('saga stale and duplicate answers', () => {
  function started() {
    const h = new Harness(sagaMachine);
    const created = h.send(makeCreated(two, 'submitted', sec(0)));
    return { h, call: calls(created.effects)[0]! };
  }

  it.each([
    ['wrong attempt', makeResult('SUCCESS', '01', 'action', 2, sec(1))],
    ['attempt 0', makeResult('FAILURE', '01', 'action', 0, sec(1))],
    ['wrong op', makeResult('SUCCESS', '01', 'compensate', 1, sec(1))],
    ['unknown branch', makeResult('SUCCESS', '09', 'action', 1, sec(1))],
    ['not yet called branch', makeResult('SUCCESS', '02', 'action', 1, sec(1))],
    ['query-back id', makeResult('SUCCESS', '00', 'msg', 1, sec(1))],
  ])('%s: same snapshot object, no effects', (_name, event) => {
    const { h } = started();
    const before = h.snapshot;
    const s = h.send(event);
    expect(s.snapshot).toBe(before);
    expect(s.effects).toEqual([]);
    expect(s.persisted).toBe(false);
  });

  it('a duplicate of an answer already folded changes nothing', () => {
    const { h, call } = started();
    h.send(answer(call, 'SUCCESS', sec(1)));
    for (const type of ['SUCCESS', 'FAILURE', 'ONGOING', 'ERROR'] as const) {
      const before = h.snapshot;
      const s = h.send(answer(call, type, sec(2)));
      expect(s.snapshot).toBe(before);
      expect(s.effects).toEqual([]);
    }
    expect(h.rows).toEqual([P, S, P, P]);
  });

  it('an ONGOING row answered again before the next pass changes nothing', () => {
    const { h, call } = started();
    h.send(answer(call, 'ONGOING', sec(1)));
    const before = h.snapshot;
    expect(h.send(answer(call, 'SUCCESS', sec(2))).snapshot).toBe(before);
  });
});

describe('saga §5.9 state × call matrix', () => {
  type Status = 'prepared' | 'submitted' | 'aborting' | 'succeed' | 'failed';
  const reach: Record<Status, () => Harness> = {
    prepared: () => {
      const h = new Harness(sagaMachine);
      h.send(makeCreated(two, 'prepared', sec(0)));
      return h;
    },
    submitted: () => {
      const h = new Harness(sagaMachine);
      h.send(makeCreated(two, 'submitted', sec(0)));
      return h;
    },
    aborting: () => {
      const h = reach.submitted();
      h.reply('01:action', 'FAILURE', sec(1), 'no');
      h.reply('01:compensate', 'ERROR', sec(2), 'down');
      return h;
    },
    succeed: () => {
      const h = reach.submitted();
      h.reply('01:action', 'SUCCESS', sec(1));
      h.reply('02:action', 'SUCCESS', sec(2));
      return h;
    },
    failed: () => {
      const h = reach.submitted();
      h.reply('01:action', 'FAILURE', sec(1), 'no');
      h.reply('01:compensate', 'SUCCESS', sec(2));
      return h;
    },
  };
  const STATUSES = Object.keys(reach) as Status[];
  for (const s of STATUSES) {
    it(`reaches ${s}`, () => expect(reach[s]().status).toBe(s));
  }

  const at = sec(50);
  /** What each call does in each status: 'noop' = accepted, nothing recorded; a status = accepted, moved there; a string with FAILURE = rejected with that text. */
  const matrix: Record<string, { event: () => Parameters<Harness['send']>[0]; want: Record<Status, string> }> = {
    prepare: {
      event: () => makeCreated(two, 'prepared', at),
      want: {
        prepared: 'noop',
        submitted: "current status 'submitted', cannot prepare. FAILURE",
        aborting: "current status 'aborting', cannot prepare. FAILURE",
        succeed: "current status 'succeed', cannot prepare. FAILURE",
        failed: "current status 'failed', cannot prepare. FAILURE",
      },
    },
    submit: {
      event: () => makeSubmitted(at, two),
      want: {
        prepared: 'submitted',
        submitted: 'noop', // 01 is still in flight: the re-run pass has nothing to start
        aborting: "current status 'aborting', cannot sumbmit. FAILURE",
        succeed: "current status 'succeed', cannot sumbmit. FAILURE",
        failed: "current status 'failed', cannot sumbmit. FAILURE",
      },
    },
    'abort (request saga)': {
      event: () => makeAborted(at, 'saga', 'user abort'),
      want: {
        prepared: "trans type: 'saga' current status 'prepared', cannot abort. FAILURE",
        submitted: "trans type: 'saga' current status 'submitted', cannot abort. FAILURE",
        aborting: "trans type: 'saga' current status 'aborting', cannot abort. FAILURE",
        succeed: "trans type: 'saga' current status 'succeed', cannot abort. FAILURE",
        failed: "trans type: 'saga' current status 'failed', cannot abort. FAILURE",
      },
    },
    'abort (request tcc)': {
      event: () => makeAborted(at, 'tcc', 'user abort'),
      want: {
        prepared: 'aborting',
        submitted: "trans type: 'saga' current status 'submitted', cannot abort. FAILURE",
        aborting: 'aborting', // re-process: the blocked compensation is called again
        succeed: "trans type: 'saga' current status 'succeed', cannot abort. FAILURE",
        failed: "trans type: 'saga' current status 'failed', cannot abort. FAILURE",
      },
    },
    forceStop: {
      event: () => makeForceStop(at),
      want: {
        prepared: 'failed',
        submitted: 'failed',
        aborting: 'failed',
        succeed: 'global transaction force stop error. status: succeed. error: FAILURE',
        failed: 'global transaction force stop error. status: failed. error: FAILURE',
      },
    },
  };

  for (const [call, { event, want }] of Object.entries(matrix)) {
    for (const s of STATUSES) {
      const expected = want[s];
      it(`${call} in ${s} → ${expected}`, () => {
        const h = reach[s]();
        const before = h.snapshot;
        const step = h.send(event());
        const rej = rejectOf(step.effects);
        if (expected.endsWith('FAILURE')) {
          expect(rej).toEqual({ result: 'FAILURE', message: expected, code: 'DTX_INVALID_TRANSITION' });
          expect(step.effects).toHaveLength(1);
          expect(h.snapshot).toBe(before);
        } else if (expected === 'noop') {
          expect(rej).toBeUndefined();
          expect(step.snapshot).toBe(before);
          expect(step.effects).toEqual([]);
        } else {
          expect(rej).toBeUndefined();
          expect(step.persisted).toBe(true);
          expect(h.status).toBe(expected);
        }
      });
    }
  }

  it('submit of a prepared saga runs the first pass', () => {
    const h = reach.prepared();
    const s = h.send(makeSubmitted(sec(3), two));
    expect(callKeys(s.effects)).toEqual(['01:action']);
  });

  it('forceStop runs no compensation and stops scheduling work', () => {
    const h = reach.aborting();
    const s = h.send(makeForceStop(sec(3)));
    expect(s.effects).toEqual([]);
    expect(h.status).toBe('failed');
    expect(h.ctx.rollbackTime).toBe(sec(3));
    expect(h.send(makeCron(sec(100))).effects).toEqual([]);
  });

  it('abort (tcc request) of a prepared saga stores the reason and compensates the may-have-executed first step', () => {
    const h = reach.prepared();
    const s = h.send(makeAborted(sec(3), 'tcc', 'client gave up'));
    expect(callKeys(s.effects)).toEqual(['01:compensate']);
    h.reply('01:compensate', 'SUCCESS', sec(4));
    expect(h.status).toBe('failed');
    expect(h.ctx.rollbackReason).toBe('client gave up');
  });

  it('abort (tcc request) of an aborting saga re-calls the blocked compensation', () => {
    const h = reach.aborting();
    const s = h.send(makeAborted(sec(3), 'xa', ''));
    expect(callKeys(s.effects)).toEqual(['01:compensate']);
    expect(h.ctx.rollbackReason).toBe(`url:${actionUrl(0)} return failed: no FAILURE`);
  });

  it.each(STATUSES)('resetNextCronTime in %s is accepted, never rejected', (s) => {
    const h = reach[s]();
    const step = h.send(makeCronReset(sec(7)));
    expect(rejectOf(step.effects)).toBeUndefined();
    expect(step.effects).toEqual([]);
    if (s !== 'succeed' && s !== 'failed') expect(h.ctx.nextCronTime).toBe(sec(7));
  });

  describe('duplicate gid with a different body → DTX_DUPLICATE_GID', () => {
    const other = makeSpec({ steps: sagaSteps(3) });
    const otherType = { ...two, transType: 'msg' };
    const otherPayload = makeSpec({ steps: sagaSteps(2), payloads: ['YQ==', 'Yg=='] });
    const cases: Array<[string, Status, () => Parameters<Harness['send']>[0]]> = [
      ['prepare, other steps', 'prepared', () => makeCreated(other, 'prepared', at)],
      ['prepare, other trans_type', 'prepared', () => makeCreated(otherType, 'prepared', at)],
      ['submit, other payloads', 'prepared', () => makeSubmitted(at, otherPayload)],
      ['submit, other steps', 'submitted', () => makeSubmitted(at, other)],
    ];
    it.each(cases)('%s while %s', (_n, s, ev) => {
      const h = reach[s]();
      const before = h.snapshot;
      const step = h.send(ev());
      expect(rejectOf(step.effects)).toEqual({
        result: 'FAILURE',
        code: 'DTX_DUPLICATE_GID',
        message: "gid 'gid-1' already exists with a different trans_type, steps or payloads FAILURE",
      });
      expect(h.snapshot).toBe(before);
    });

    it('a submit without steps (prepared earlier with steps) is the same body', () => {
      const h = reach.prepared();
      const step = h.send(makeSubmitted(at, { ...two, steps: [], payloads: [] }));
      expect(rejectOf(step.effects)).toBeUndefined();
      expect(h.status).toBe('submitted');
    });
  });
});
