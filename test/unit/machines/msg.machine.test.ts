import { describe, expect, it } from 'vitest';
import {
  actionUrl, callKeys, calls, makeCron, makeCronReset, makeResult, makeSpec,
  makeSubmitted, msgSteps, sec,
} from './builders.js';
import { P, QUERY, S, prepared, submitted } from './msg-table.js';

/** MSG machine, spec §7.4: query-back (§7.4.2 step 1, §8.6) and the actions in row order, retried forever. */

describe('msg query-back (spec §7.4.2 step 1, §8.6)', () => {
  it('a prepared msg is first due when timeout_to_fail (config 35 s) expires', () => {
    const h = prepared();
    expect(h.ctx.nextCronTime).toBe(sec(35));
  });

  it('CronFired before the timeout does nothing but reschedule to the timeout', () => {
    const h = prepared();
    h.send(makeCronReset(sec(5)));
    expect(h.ctx.nextCronTime).toBe(sec(5));
    const s = h.send(makeCron(sec(5)));
    expect(s.effects).toEqual([]);
    expect(h.status).toBe('prepared');
    expect(h.ctx.nextCronTime).toBe(sec(35));
    expect(h.ctx.sideCall).toBeUndefined();
  });

  it('CronFired after the timeout calls query_prepared: branch 00, op msg, no payload', () => {
    const h = prepared();
    const s = h.send(makeCron(sec(35)));
    expect(calls(s.effects)).toEqual([{ branchId: '00', op: 'msg', url: QUERY, attempt: 1, payload: '' }]);
    expect(h.status).toBe('prepared');
    // the pass holds the cron lease (config RetryInterval)
    expect(h.ctx.nextCronTime).toBe(sec(45));
  });

  it('the trans timeout_to_fail overrides the config one', () => {
    const h = prepared(makeSpec({ transType: 'msg', steps: msgSteps(1), queryPrepared: QUERY, options: { timeoutToFail: 5 } }));
    expect(h.send(makeCron(sec(4))).effects).toEqual([]);
    expect(callKeys(h.send(makeCron(sec(5))).effects)).toEqual(['00:msg']);
  });

  it('query-back SUCCESS → submitted and the actions are called', () => {
    const h = prepared();
    h.send(makeCron(sec(35)));
    const s = h.reply('00:msg', 'SUCCESS', sec(36));
    expect(h.status).toBe('submitted');
    expect(callKeys(s.effects)).toEqual(['01:action']);
  });

  it('query-back FAILURE → failed without any action call', () => {
    const h = prepared();
    h.send(makeCron(sec(35)));
    const s = h.reply('00:msg', 'FAILURE', sec(36), 'not committed');
    expect(h.status).toBe('failed');
    expect(s.effects).toEqual([]);
    expect(h.ctx.rollbackTime).toBe(sec(36));
    expect(h.rows).toEqual([P, P]);
    expect(h.allCalls.filter((c) => c.op === 'action')).toEqual([]);
  });

  it('query-back ONGOING → stays prepared, next query after the reset interval', () => {
    const h = prepared();
    h.send(makeCron(sec(35)));
    const s = h.reply('00:msg', 'ONGOING', sec(36));
    expect(s.effects).toEqual([]);
    expect(h.status).toBe('prepared');
    expect(h.ctx.nextCronInterval).toBe(10);
    expect(h.ctx.nextCronTime).toBe(sec(46));
    const again = h.send(makeCron(sec(46)));
    expect(calls(again.effects)).toEqual([{ branchId: '00', op: 'msg', url: QUERY, attempt: 2, payload: '' }]);
  });

  it('query-back error → backoff', () => {
    const h = prepared();
    h.send(makeCron(sec(35)));
    h.reply('00:msg', 'ERROR', sec(36), 'down');
    expect(h.status).toBe('prepared');
    expect(h.ctx.nextCronInterval).toBe(20);
    expect(h.ctx.nextCronTime).toBe(sec(56));
  });

  it('a stale query-back answer changes nothing', () => {
    const h = prepared();
    h.send(makeCron(sec(35)));
    h.reply('00:msg', 'ONGOING', sec(36));
    const before = h.snapshot;
    const s = h.send(makeResult('SUCCESS', '00', 'msg', 1, sec(37)));
    expect(s.snapshot).toBe(before);
    expect(s.effects).toEqual([]);
  });

  it('an empty query_prepared counts as SUCCESS without a call', () => {
    const h = prepared(makeSpec({ transType: 'msg', steps: msgSteps(1), queryPrepared: '' }));
    const s = h.send(makeCron(sec(35)));
    expect(h.status).toBe('submitted');
    expect(callKeys(s.effects)).toEqual(['01:action']);
  });
});

describe('msg actions (spec §7.4.2 steps 3-5)', () => {
  const three = makeSpec({ transType: 'msg', steps: msgSteps(3), queryPrepared: QUERY });

  it('submit calls the actions in row order, one at a time, then succeed', () => {
    const h = prepared(three);
    const s = h.send(makeSubmitted(sec(1), three));
    expect(h.status).toBe('submitted');
    expect(callKeys(s.effects)).toEqual(['01:action']);
    expect(callKeys(h.reply('01:action', 'SUCCESS', sec(2)).effects)).toEqual(['02:action']);
    expect(callKeys(h.reply('02:action', 'SUCCESS', sec(3)).effects)).toEqual(['03:action']);
    expect(h.reply('03:action', 'SUCCESS', sec(4)).effects).toEqual([]);
    expect(h.status).toBe('succeed');
    expect(h.rows).toEqual([S, S, S]);
    expect(h.ctx.finishTime).toBe(sec(4));
    expect(h.allCalls.map((c) => [c.url, c.payload])).toEqual(three.steps.map((st, i) => [st.action, three.payloads[i]]));
  });

  it('stops at the first non-success and resumes from it on the next pass', () => {
    const h = submitted(three);
    h.reply('01:action', 'SUCCESS', sec(1));
    const s = h.reply('02:action', 'ERROR', sec(2), 'HTTP 500');
    expect(s.effects).toEqual([]);
    expect(h.status).toBe('submitted');
    expect(h.rows).toEqual([S, P, P]);
    expect(h.ctx.nextCronInterval).toBe(20);
    const cron = h.send(makeCron(sec(22)));
    expect(callKeys(cron.effects)).toEqual(['02:action']);
    h.reply('02:action', 'SUCCESS', sec(23));
    h.reply('03:action', 'SUCCESS', sec(24));
    expect(h.status).toBe('succeed');
  });

  it('ONGOING of an action keeps it submitted with a fixed interval', () => {
    const h = submitted(three);
    h.reply('01:action', 'ONGOING', sec(1));
    expect(h.status).toBe('submitted');
    expect(h.ctx.nextCronInterval).toBe(10);
    expect(h.ctx.nextCronTime).toBe(sec(11));
  });

  it('option concurrent: every prepared action at once; the next pass re-calls only the unfinished ones', () => {
    const spec = makeSpec({ transType: 'msg', steps: msgSteps(3), options: { concurrent: true } });
    const h = submitted(spec);
    expect(callKeys(h.steps[0]!.effects)).toEqual(['01:action', '02:action', '03:action']);
    h.reply('02:action', 'SUCCESS', sec(1));
    h.reply('01:action', 'ONGOING', sec(2));
    h.reply('03:action', 'SUCCESS', sec(3));
    expect(h.status).toBe('submitted');
    expect(h.rows).toEqual([P, S, S]);
    const cron = h.send(makeCron(sec(20)));
    expect(callKeys(cron.effects)).toEqual(['01:action']);
    h.reply('01:action', 'SUCCESS', sec(21));
    expect(h.status).toBe('succeed');
  });

  it('a msg action FAILURE is retried (never fails the msg)', () => {
    const h = submitted(makeSpec({ transType: 'msg', steps: msgSteps(1) }));
    for (let i = 0; i < 3; i++) {
      const s = h.reply('01:action', 'FAILURE', sec(1 + 100 * i), 'FAILURE');
      expect(s.effects.filter((e) => e.type === 'callBranch')).toEqual([]);
      expect(h.status).toBe('submitted');
      expect(h.rows).toEqual([P]);
      expect(callKeys(h.send(makeCron(sec(50 + 100 * i))).effects)).toEqual(['01:action']);
    }
    h.reply('01:action', 'SUCCESS', sec(400));
    expect(h.status).toBe('succeed');
    expect(h.rows).toEqual([S]);
  });

  it('action SUCCESS after a backoff resets the interval', () => {
    const h = submitted(makeSpec({ transType: 'msg', steps: msgSteps(2) }));
    h.reply('01:action', 'ERROR', sec(1));
    h.send(makeCron(sec(21)));
    h.reply('01:action', 'SUCCESS', sec(22));
    expect(h.ctx.nextCronInterval).toBe(10);
  });

  it('a stale action answer changes nothing', () => {
    const h = submitted(three);
    h.reply('01:action', 'ERROR', sec(1));
    const before = h.snapshot;
    const s = h.send(makeResult('SUCCESS', '01', 'action', 1, sec(2)));
    expect(s.snapshot).toBe(before);
    expect(s.effects).toEqual([]);
  });

  it('an empty action URL succeeds without a call', () => {
    const spec = makeSpec({ transType: 'msg', steps: [{ action: '' }, { action: actionUrl(1) }] });
    const h = submitted(spec);
    expect(callKeys(h.steps[0]!.effects)).toEqual(['02:action']);
    expect(h.rows).toEqual([S, P]);
  });
});
