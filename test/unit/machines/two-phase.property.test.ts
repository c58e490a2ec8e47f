import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tccMachine, xaMachine, type CallBranchParams, type CallResult, type TransEvent } from '../../../machines/index.js';
import { Driver, T0, answer, calls, ctxOf, makeAborted, makeCreated, makeCron, makeSpec, makeSubmitted } from './builders.js';

/**
 * Property tests of the two-phase machines: random registrations (some with empty URLs), a submit
 * or an abort or a timeout, then an adversarial resource manager (any result for the call out, in
 * any order, duplicated answers, cron passes, repeated client calls, late registrations).
 */

type Kind = 'tcc' | 'xa';
type Move =
  | { readonly kind: 'answer'; readonly outcome: CallResult; readonly dup: boolean }
  | { readonly kind: 'cron'; readonly dt: number }
  | { readonly kind: 'client'; readonly call: 'submit' | 'abort' | 'register' };

const moveArb: fc.Arbitrary<Move> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('answer' as const), outcome: fc.constantFrom<CallResult>('SUCCESS', 'FAILURE', 'ONGOING', 'ERROR'), dup: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('cron' as const), dt: fc.integer({ min: 0, max: 90 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('client' as const), call: fc.constantFrom('submit' as const, 'abort' as const, 'register' as const) }) },
);

const scenarioArb = fc.record({
  kind: fc.constantFrom<Kind>('tcc', 'xa'),
  empty: fc.array(fc.integer({ min: 0, max: 4 }).map((x) => x === 0), { minLength: 0, maxLength: 5 }),
  end: fc.constantFrom('submit' as const, 'abort' as const, 'timeout' as const),
  moves: fc.array(moveArb, { maxLength: 40 }),
});

const FORWARD = { tcc: 'confirm', xa: 'commit' } as const;
const BACKWARD = { tcc: 'cancel', xa: 'rollback' } as const;
const idOf = (i: number) => String(i + 1).padStart(2, '0');

function registration(kind: Kind, id: string, empty: boolean, at: number): TransEvent {
  const url = empty ? '' : `http://busi.test/${id}`;
  const fields: Record<string, string> = kind === 'tcc' ? { confirm: url && `${url}/confirm`, cancel: url && `${url}/cancel` } : { url };
  return { type: 'BranchRegistered', at, requestType: kind, branchId: id, fields, payload: '' };
}

describe('two-phase machines: properties', () => {
  it('only registered branches are called, one call at a time, in the type order; no confirm after a cancel; ends once answered', () => {
    fc.assert(
      fc.property(scenarioArb, ({ kind, empty, end, moves }) => {
        const d = new Driver(kind === 'tcc' ? tccMachine : xaMachine);
        let now = T0;
        d.send(makeCreated(makeSpec({ transType: kind, steps: [], payloads: [], options: { timeoutToFail: 60 } }), 'prepared', now));
        const ids = empty.map((_, i) => idOf(i));
        empty.forEach((e, i) => d.send(registration(kind, ids[i]!, e, now)));
        const emitted: CallBranchParams[] = [];
        let out: CallBranchParams | undefined;
        const send = (e: TransEvent) => {
          const s = d.send(e);
          for (const c of calls(s.effects)) {
            // one call at a time: the new call is the only row in flight
            expect(ctxOf(s.snapshot).branches.filter((r) => r.inflight).map((r) => `${r.branchId}:${r.op}`)).toEqual([`${c.branchId}:${c.op}`]);
            // the pass order: every row of the op before this one (tcc: registered later) is done
            const rowsOfOp = ctxOf(s.snapshot).branches.filter((r) => r.op === c.op);
            const ordered = kind === 'tcc' ? [...rowsOfOp].reverse() : rowsOfOp;
            const at = ordered.findIndex((r) => r.branchId === c.branchId);
            for (const r of ordered.slice(0, at)) expect(r.status).toBe('succeed');
            emitted.push(c);
            out = c;
          }
          return s;
        };
        if (end === 'submit') send(makeSubmitted(now));
        else if (end === 'abort') send(makeAborted(now, kind, 'client abort'));
        else send(makeCron((now += 60_000)));
        for (const m of moves) {
          if (m.kind === 'cron') send(makeCron((now += m.dt * 1000)));
          else if (m.kind === 'client') {
            if (m.call === 'submit') send(makeSubmitted(now));
            else if (m.call === 'abort') send(makeAborted(now, kind));
            else expect(send(registration(kind, '99', false, now)).persisted).toBe(false);
          } else if (out !== undefined) {
            const call = out;
            out = undefined;
            expect(send(answer(call, m.outcome, (now += 1000))).persisted).toBe(true);
            // a duplicated answer is stale: nothing changes
            if (m.dup) expect(send(answer(call, m.outcome, now)).persisted).toBe(false);
          }
        }
        // answer SUCCESS to everything, with cron passes, until it ends
        for (let i = 0; i < 50 && !['succeed', 'failed'].includes(d.status); i++) {
          if (out !== undefined) {
            const call = out;
            out = undefined;
            send(answer(call, 'SUCCESS', (now += 1000)));
          } else send(makeCron((now += 3_600_000)));
        }
        expect(d.status).toBe(end === 'submit' ? 'succeed' : 'failed');
        const ops = emitted.map((c) => c.op);
        const firstBackward = ops.indexOf(BACKWARD[kind]);
        if (firstBackward >= 0) expect(ops.slice(firstBackward)).not.toContain(FORWARD[kind]);
        expect(ops.every((op) => op === (end === 'submit' ? FORWARD[kind] : BACKWARD[kind]))).toBe(true);
        for (const c of emitted) {
          const i = ids.indexOf(c.branchId);
          expect(i).toBeGreaterThanOrEqual(0); // only registered branches, never '99'
          expect(empty[i]).toBe(false); // an empty URL is never called
          if (kind === 'xa') expect(c.forcePost).toBe(true);
        }
        const final = ctxOf(d.snapshot).branches.filter((r) => r.op === (end === 'submit' ? FORWARD[kind] : BACKWARD[kind]));
        expect(final.every((r) => r.status === 'succeed')).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
