import { describe, expect, it } from 'vitest';
import { sagaMachine } from '../../../machines/index.js';
import {
  Harness, actionUrl, callKeys, makeAborted, makeCreated, makeCron, makeCronReset,
  makeForceStop, makeSpec, makeSubmitted, rejectOf, sagaSteps, sec,
} from './builders.js';
import { two } from './saga-table.js';

/**
 * Saga machine, spec §7.3: the §5.9 state × call matrix and duplicate gids.
 */

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
