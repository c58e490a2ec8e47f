import { describe, expect, it } from 'vitest';
import { sagaMachine } from '../../../machines/index.js';
import {
  Harness, actionUrl, answer, calls, compensateUrl, makeCreated, makeResult, makeSpec, sagaSteps, sec,
} from './builders.js';
import { F, P, S, create, cron, reply, runTable, two } from './saga-table.js';

/**
 * Saga machine, spec §7.3: timeout_to_fail (§7.3.3, §8.6), §7.3.4 retry_limit, empty URLs (§7.3.1)
 * and stale or duplicate answers.
 */

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

