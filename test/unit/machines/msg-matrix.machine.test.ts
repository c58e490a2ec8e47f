import { describe, expect, it } from 'vitest';
import { msgMachine } from '../../../machines/index.js';
import {
  Harness, callKeys, makeAborted, makeCreated, makeCron, makeForceStop, makeSpec,
  makeSubmitted, msgSteps, rejectOf, sec,
} from './builders.js';
import { QUERY, prepared, submitted } from './msg-table.js';

/** MSG machine, spec §7.4: delay (custom_data.delay), abort, forceStop and the §5.6/§5.9 state × call matrix. */

describe('msg delay (custom_data.delay, spec §7.4.2 step 3)', () => {
  const delayed = makeSpec({ transType: 'msg', steps: msgSteps(1), customData: { delay: 10 } });

  it('no call before createTime + delay, the actions are called after it', () => {
    const h = new Harness(msgMachine);
    const created = h.send(makeCreated(delayed, 'submitted', sec(0)));
    expect(created.effects).toEqual([]);
    expect(h.ctx.nextCronTime).toBe(sec(10));
    expect(h.send(makeCron(sec(0))).effects).toEqual([]);
    expect(h.send(makeCron(sec(8))).effects).toEqual([]);
    expect(h.status).toBe('submitted');
    expect(h.ctx.nextCronTime).toBe(sec(10));
    expect(callKeys(h.send(makeCron(sec(12))).effects)).toEqual(['01:action']);
    h.reply('01:action', 'SUCCESS', sec(13));
    expect(h.status).toBe('succeed');
  });

  it('the delay may come with the submit of a prepared msg (spec §16.14)', () => {
    const plain = makeSpec({ transType: 'msg', steps: msgSteps(1), queryPrepared: QUERY });
    const h = prepared(plain);
    const s = h.send(makeSubmitted(sec(1), { ...plain, customData: '{"delay":10}' }));
    expect(h.status).toBe('submitted');
    expect(s.effects).toEqual([]);
    expect(callKeys(h.send(makeCron(sec(10))).effects)).toEqual(['01:action']);
  });
});

describe('msg abort, forceStop and the §5.9 matrix', () => {
  const spec = makeSpec({ transType: 'msg', steps: msgSteps(2), queryPrepared: QUERY });

  it('abort of a prepared msg → failed, no processing', () => {
    const h = prepared(spec);
    const s = h.send(makeAborted(sec(3), 'msg', ''));
    expect(s.effects).toEqual([]);
    expect(h.status).toBe('failed');
    expect(h.ctx.rollbackTime).toBe(sec(3));
  });

  it('abort of a submitted msg → rejected with dtm text', () => {
    const h = submitted(spec);
    const before = h.snapshot;
    const s = h.send(makeAborted(sec(3), 'msg', ''));
    expect(rejectOf(s.effects)).toEqual({ result: 'FAILURE', message: "trans type: 'msg' current status 'submitted', cannot abort. FAILURE", code: 'DTX_INVALID_TRANSITION' });
    expect(h.snapshot).toBe(before);
  });

  it('abort, prepare and submit of a finished msg are rejected', () => {
    const h = submitted(makeSpec({ transType: 'msg', steps: msgSteps(1) }));
    h.reply('01:action', 'SUCCESS', sec(1));
    expect(h.status).toBe('succeed');
    expect(rejectOf(h.send(makeAborted(sec(2), 'msg', '')).effects)?.message).toBe("trans type: 'msg' current status 'succeed', cannot abort. FAILURE");
    expect(rejectOf(h.send(makeSubmitted(sec(2))).effects)?.message).toBe("current status 'succeed', cannot sumbmit. FAILURE");
    expect(rejectOf(h.send(makeCreated(spec, 'prepared', sec(2))).effects)?.message).toBe("current status 'succeed', cannot prepare. FAILURE");
    expect(rejectOf(h.send(makeForceStop(sec(2))).effects)?.message).toBe('global transaction force stop error. status: succeed. error: FAILURE');
  });

  it('prepare of a prepared msg is a no-op; with a different body it is DTX_DUPLICATE_GID', () => {
    const h = prepared(spec);
    const before = h.snapshot;
    const same = h.send(makeCreated(spec, 'prepared', sec(1)));
    expect(same.snapshot).toBe(before);
    expect(same.effects).toEqual([]);
    const diff = h.send(makeCreated(makeSpec({ transType: 'msg', steps: msgSteps(3) }), 'prepared', sec(1)));
    expect(rejectOf(diff.effects)?.code).toBe('DTX_DUPLICATE_GID');
  });

  it('forceStop of a submitted msg → failed without calls', () => {
    const h = submitted(spec);
    const s = h.send(makeForceStop(sec(2)));
    expect(s.effects).toEqual([]);
    expect(h.status).toBe('failed');
  });

  it('a second submit while submitted re-runs the pass on the stored rows', () => {
    const h = submitted(spec);
    h.reply('01:action', 'ERROR', sec(1));
    const s = h.send(makeSubmitted(sec(2), spec));
    expect(callKeys(s.effects)).toEqual(['01:action']);
  });
});
