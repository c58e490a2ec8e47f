import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { workflowMachine, type CallBranchParams, type CallResult, type TransEvent } from '../../../machines/index.js';
import { Driver, T0, answer, calls, ctxOf, makeCreated, makeCron, makeCronReset, makeForceStop, run, statusOf } from './builders.js';
import { DATA, RESUME, end, progress, workflowSpec } from './workflow-builders.js';

/**
 * Property tests of the workflow machine: a client recording progresses in any order (repeats and
 * conflicts included), cron passes at any interval, a callback answering anything (late, twice,
 * never), resets, submits with any end and force stops. The machine must only ever call the resume
 * callback, one call at a time, on the fixed cron lease, and end exactly as the client says.
 */

type Move =
  | { readonly kind: 'register'; readonly id: string; readonly op: string; readonly status: string; readonly data: string }
  | { readonly kind: 'cron'; readonly dt: number }
  | { readonly kind: 'answer'; readonly outcome: CallResult; readonly dup: boolean; readonly dt: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'submit'; readonly status: string }
  | { readonly kind: 'forceStop' };

const moveArb: fc.Arbitrary<Move> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('register' as const), id: fc.constantFrom('01', '02', '03'), op: fc.constantFrom('action', 'commit', 'rollback'), status: fc.constantFrom('succeed', 'failed'), data: fc.constantFrom('', 'a', 'b') }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('cron' as const), dt: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), outcome: fc.constantFrom<CallResult>('SUCCESS', 'FAILURE', 'ONGOING', 'ERROR'), dup: fc.boolean(), dt: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('submit' as const), status: fc.constantFrom('succeed', 'failed', '') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'forceStop' as const }) },
);

describe('workflow machine: properties', () => {
  it('only the resume callback is called, one at a time, on the fixed lease; rows and the end are the client’s', () => {
    fc.assert(
      fc.property(fc.constantFrom('http', 'grpc'), fc.array(moveArb, { maxLength: 60 }), (protocol, moves) => {
        const d = new Driver(workflowMachine);
        let now = T0;
        d.send(makeCreated(workflowSpec({ protocol, queryPrepared: protocol === 'grpc' ? '127.0.0.1:9/workflow.Workflow/Execute' : RESUME }), 'prepared', now));
        const model = new Map<string, { status: string; data: string }>();
        let ended: string | undefined;
        let out: CallBranchParams | undefined;
        for (const m of moves) {
          const before = d.status;
          let event: TransEvent;
          if (m.kind === 'register') event = progress(m.id, m.op, m.status, m.data, now);
          else if (m.kind === 'cron') event = makeCron((now += m.dt * 1000));
          else if (m.kind === 'reset') event = makeCronReset(now);
          else if (m.kind === 'submit') event = end(now, m.status ? { status: m.status } : { result: 'eA==' });
          else if (m.kind === 'forceStop') event = makeForceStop(now);
          else if (out !== undefined) event = answer(out, m.outcome, (now += m.dt * 1000));
          else continue;
          const s = d.send(event);
          const ctx = ctxOf(s.snapshot);
          expect(s.effects.filter((e) => e.type === 'notify')).toEqual([]);
          for (const c of calls(s.effects)) {
            // only a cron pass of a prepared workflow calls, and only when no call is out
            expect([event.type, before, out]).toEqual(['CronFired', 'prepared', undefined]);
            expect(c).toEqual({ branchId: '00', op: 'transfer', url: protocol === 'grpc' ? '127.0.0.1:9/workflow.Workflow/Execute' : RESUME, attempt: c.attempt, payload: DATA, ...(protocol === 'grpc' ? { wrapIn: 'workflow.WorkflowData' } : {}) });
            out = c;
          }
          if (event.type === 'CronFired' && before === 'prepared') expect(ctx.nextCronTime).toBe(event.at + 10_000); // the lease: no backoff
          if (m.kind === 'answer' && out !== undefined && !d.steps.at(-1)!.rejected) {
            expect(s.persisted).toBe(before === 'prepared');
            expect([statusOf(s.snapshot), ctx.nextCronTime, ctx.nextCronInterval]).toEqual([before, ctxOf(s.before).nextCronTime, ctxOf(s.before).nextCronInterval]);
            out = undefined;
            if (m.dup) expect(d.send(event).persisted).toBe(false);
          }
          if (m.kind === 'register' && before === 'prepared') {
            const key = `${m.id}:${m.op}`;
            const known = model.get(key);
            if (known === undefined) model.set(key, { status: m.status, data: m.data });
            expect(s.rejected).toBe(known !== undefined && (known.status !== m.status || known.data !== m.data));
          }
          if (before === 'prepared' && ended === undefined) {
            if (m.kind === 'submit' && m.status !== '') ended = m.status;
            if (m.kind === 'forceStop') ended = 'failed';
          }
          if (['succeed', 'failed'].includes(before)) out = undefined; // an answer after the end is ignored
        }
        expect(d.status).toBe(ended ?? 'prepared');
        const rows = ctxOf(d.snapshot).branches.map((r) => `${r.branchId}:${r.op}:${r.status}:${Buffer.from(r.binData, 'base64').toString()}`);
        expect(rows).toEqual([...model].map(([k, v]) => `${k}:${v.status}:${v.data}`));
        // replay: the stored events fold to the same state
        const replayed = run(workflowMachine, d.persisted);
        expect([statusOf(replayed.snapshot), ctxOf(replayed.snapshot)]).toEqual([d.status, ctxOf(d.snapshot)]);
      }),
      { numRuns: 400 },
    );
  });
});
