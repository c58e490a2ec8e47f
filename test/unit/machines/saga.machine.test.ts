import { describe, expect, it } from 'vitest';
import { sagaMachine } from '../../../machines/index.js';
import {
  Harness, LIMITS, actionUrl, callKeys, compensateUrl, makeCreated, makeCron, makeResult, makeSpec, makeSubmitted, rejectOf, sagaSteps, sec,
} from './builders.js';
import { F, P, S, concurrentOrdered, create, cron, reply, runTable, two } from './saga-table.js';

/**
 * Saga machine, spec §7.3: the §7.3.3 examples as [snapshot, effects] tables and the scheduling of
 * compensation retries (§8.4).
 */

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

