import { describe, expect, it } from 'vitest';
import { msgMachine, sagaMachine, type Limits, type TransOptions } from '../../../machines/index.js';
import { EMPTY_CONTEXT, type TransContext } from '../../../machines/trans-context.js';
import { alertAfterBackoff, lease, resetInterval, timeoutDeadline, touch } from '../../../machines/schedule.js';
import { Harness, LIMITS, OPTIONS, actionUrl, makeCreated, makeCron, makeSpec, msgSteps, sagaSteps, sec } from './builders.js';

/** Scheduling rules, spec §8.3 (interval formula), §8.4 (touch), §8.5 (alert), §16.2 (capped backoff). */

function ctx(options: Partial<TransOptions> = {}, limits: Partial<Limits> = {}, nextCronInterval?: number): TransContext {
  const base: TransContext = { ...EMPTY_CONTEXT, gid: 'g', options: { ...OPTIONS, ...options }, limits: { ...LIMITS, ...limits } };
  return { ...base, nextCronInterval: nextCronInterval ?? resetInterval(base) };
}

describe('reset interval (spec §8.3)', () => {
  it.each([
    ['retry_interval 15', { retryInterval: 15 }, {}, 15],
    ['retry_interval 0 → config RetryInterval', {}, {}, 10],
    ['config RetryInterval 20', {}, { retryInterval: 20 }, 20],
    ['timeout_to_fail 3 (< RetryInterval)', { timeoutToFail: 3 }, {}, 3],
    ['timeout_to_fail 10 (not < RetryInterval)', { timeoutToFail: 10 }, {}, 10],
    ['timeout_to_fail 35', { timeoutToFail: 35 }, {}, 10],
    ['retry_interval wins over a short timeout_to_fail', { retryInterval: 15, timeoutToFail: 3 }, {}, 15],
  ] as const)('%s → %i', (_name, options, limits, want) => {
    expect(resetInterval(ctx(options, limits))).toBe(want);
  });

  it('creation sets next_cron_interval = reset and next_cron_time = now + reset', () => {
    const h = new Harness(sagaMachine);
    h.send(makeCreated(makeSpec({ options: { retryInterval: 15 } }), 'prepared', sec(0)));
    expect(h.ctx.nextCronInterval).toBe(15);
    expect(h.ctx.nextCronTime).toBe(sec(15));
  });
});

describe('touch (spec §8.4)', () => {
  it('reset / keep / backoff set the interval and the next time from the event time', () => {
    const c = ctx({}, {}, 40);
    expect(touch(c, 'reset', sec(1))).toMatchObject({ nextCronInterval: 10, nextCronTime: sec(11), updateTime: sec(1) });
    expect(touch(c, 'keep', sec(1))).toMatchObject({ nextCronInterval: 40, nextCronTime: sec(41) });
    expect(touch(c, 'backoff', sec(1))).toMatchObject({ nextCronInterval: 80, nextCronTime: sec(81) });
  });

  it('backoff from the 10 s default: 20, 40, 80', () => {
    let c = ctx();
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      c = touch(c, 'backoff', sec(0));
      seen.push(c.nextCronInterval);
    }
    expect(seen).toEqual([20, 40, 80]);
  });

  it('a delay sets the next time without changing the interval', () => {
    expect(touch(ctx({}, {}, 40), 'keep', sec(0), 7)).toMatchObject({ nextCronInterval: 40, nextCronTime: sec(7) });
  });

  it('backoff is capped at limits.maxRetryInterval (dtx fix of spec §16.2)', () => {
    let c = ctx();
    for (let i = 0; i < 100; i++) c = touch(c, 'backoff', sec(0));
    expect(c.nextCronInterval).toBe(3600);
    expect(Number.isFinite(c.nextCronTime)).toBe(true);
    let d = ctx({}, { maxRetryInterval: 100 });
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      d = touch(d, 'backoff', sec(0));
      seen.push(d.nextCronInterval);
    }
    expect(seen).toEqual([20, 40, 80, 100, 100]);
  });

  it('the cap never goes below the reset interval', () => {
    const c = touch(ctx({ retryInterval: 15 }, { maxRetryInterval: 5 }), 'backoff', sec(0));
    expect(c.nextCronInterval).toBe(15);
  });

  it('the cron lease is config RetryInterval, not the trans retry_interval (spec §8.2)', () => {
    expect(lease(ctx({ retryInterval: 150 }), sec(3))).toMatchObject({ nextCronTime: sec(13), updateTime: sec(3) });
  });

  it('timeout deadline is create_time + seconds; 0 = none', () => {
    const c = { ...ctx(), createTime: sec(5) };
    expect(timeoutDeadline(c, 30)).toBe(sec(35));
    expect(timeoutDeadline(c, 0)).toBeUndefined();
  });
});

describe('alert webhook (spec §8.5)', () => {
  it('fires when floor(log2(interval / reset)) ≥ AlertRetryLimit: the 3rd consecutive failure with a 10 s base', () => {
    let c = ctx();
    const fired: Array<number | undefined> = [];
    for (let i = 0; i < 4; i++) {
      c = touch(c, 'backoff', sec(0));
      fired.push(alertAfterBackoff(c, 'submitted', 'http://b/x', 'boom')?.retry_count);
    }
    expect(fired).toEqual([undefined, undefined, 3, 4]);
    expect(alertAfterBackoff(c, 'aborting', 'http://b/x', 'boom')).toEqual({ gid: 'g', status: 'aborting', branch: 'http://b/x', error: 'boom', retry_count: 4 });
  });

  it('uses the reset interval of the trans as base and the configured limit', () => {
    expect(alertAfterBackoff(ctx({ retryInterval: 15 }, {}, 60), 's', 'u', 'e')).toBeUndefined(); // log2(4) = 2
    expect(alertAfterBackoff(ctx({ retryInterval: 15 }, {}, 120), 's', 'u', 'e')?.retry_count).toBe(3);
    expect(alertAfterBackoff(ctx({}, { alertRetryLimit: 1 }, 20), 's', 'u', 'e')?.retry_count).toBe(1);
    expect(alertAfterBackoff(ctx({}, {}, 10), 's', 'u', 'e')).toBeUndefined();
  });

  it('a saga action error backs off (TestSagaOptionsRetryError: retry_interval 150 → 300) and alerts on the 3rd', () => {
    const h = new Harness(sagaMachine);
    h.send(makeCreated(makeSpec({ steps: sagaSteps(1), options: { retryInterval: 150 } }), 'submitted', sec(0)));
    const s1 = h.reply('01:action', 'ERROR', sec(1), 'HTTP 500');
    expect(h.ctx.nextCronInterval).toBe(300);
    expect(h.ctx.nextCronTime).toBe(sec(301));
    expect(s1.effects).toEqual([]);
    h.send(makeCron(sec(301)));
    h.reply('01:action', 'ERROR', sec(302), 'HTTP 500');
    h.send(makeCron(sec(902)));
    const s3 = h.reply('01:action', 'ERROR', sec(903), 'HTTP 500');
    expect(h.ctx.nextCronInterval).toBe(1200);
    expect(s3.effects).toEqual([{ type: 'notify', params: { gid: 'gid-1', status: 'submitted', branch: actionUrl(0), error: 'HTTP 500', retry_count: 3 } }]);
  });

  it('a msg action error alerts the same way', () => {
    const h = new Harness(msgMachine);
    h.send(makeCreated(makeSpec({ transType: 'msg', steps: msgSteps(1) }), 'submitted', sec(0)));
    const notes: number[] = [];
    let now = 1;
    for (let i = 0; i < 3; i++) {
      const s = h.reply('01:action', 'ERROR', sec(now), 'x');
      notes.push(s.effects.filter((e) => e.type === 'notify').length);
      now += h.ctx.nextCronInterval;
      h.send(makeCron(sec(now)));
    }
    expect(notes).toEqual([0, 0, 1]);
  });
});
