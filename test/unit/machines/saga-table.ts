import { expect } from 'vitest';
import { sagaMachine, type TransSpec } from '../../../machines/index.js';
import { Harness, callKeys, makeCreated, makeCron, makeSpec, sagaSteps, sec, type StepResult } from './builders.js';

/**
 * The saga machine's tests as [snapshot, effects] tables: each row acts on a Harness and states the
 * status, the rows (stored order [c1,a1,c2,a2]), the callBranch effects and the rollback reason
 * expected after it.
 */

export type Act = (h: Harness) => StepResult;
export interface Expect {
  readonly status: string;
  readonly rows?: readonly string[];
  /** `<branchId>:<op>` of the callBranch effects of this step, in order */
  readonly calls?: readonly string[];
  readonly reason?: string | RegExp;
}
export type Row = readonly [Act, Expect];

export const P = 'prepared';
export const S = 'succeed';
export const F = 'failed';

export const create = (spec: TransSpec, at = sec(0)): Act => (h) => h.send(makeCreated(spec, 'submitted', at));
export const reply = (key: string, type: 'SUCCESS' | 'FAILURE' | 'ONGOING' | 'ERROR', s: number, msg?: string): Act => (h) => h.reply(key, type, sec(s), msg);
export const cron = (s: number): Act => (h) => h.send(makeCron(sec(s)));

export function runTable(spec: TransSpec, table: readonly Row[]): Harness {
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

export const two = makeSpec({ steps: sagaSteps(2) });
export const concurrentOrdered = makeSpec({ steps: sagaSteps(2), customData: { concurrent: true, orders: { '1': [0] } } });
