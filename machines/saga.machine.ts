import type { BranchResultEvent, TransEvent } from './vocabulary.js';
import { EMPTY_CONTEXT, type TransContext } from './trans-context.js';
import { transSetup, stepAction, update, rejectWith } from './machine-kit.js';
import { cronReset, finishedState, forceStop, otherBodyRejected, idleState } from './common-states.js';
import { createContext, rejections } from './trans-lifecycle.js';
import { allActionsSucceeded, allRolledBack, anyActionFailed, parseSagaExt } from './saga-plan.js';
import { beginRollback, cronPass, onForwardResult, onRollbackResult, sagaRows, startCompensations, startForward } from './saga-steps.js';
import { timeoutDeadline } from './schedule.js';
import { hasInflight, unblockAll } from './branch-calls.js';

/**
 * SAGA (spec §7.3): submitted → succeed when every action succeeded; an action FAILURE, the
 * timeout or an exhausted retry_limit turns it into aborting → failed once the executed steps
 * are compensated in reverse order (respecting custom_data.orders).
 */

type Ev<T extends TransEvent['type']> = Extract<TransEvent, { type: T }>;
const created = (ctx: TransContext, e: TransEvent) => {
  const c = e as Ev<'TransCreated'>;
  return createContext(c, sagaRows(c.spec, c.at), { ...parseSagaExt(c.spec.customData) });
};
const timedOut = (ctx: TransContext, e: TransEvent) => {
  const deadline = timeoutDeadline(ctx, ctx.options.timeoutToFail);
  return deadline !== undefined && e.at >= deadline;
};
/** abort is honoured only when the request's trans_type is tcc/xa (spec §5.6 step 2, §16.9). */
const abortHonoured = (e: TransEvent) => e.type === 'TransAborted' && (e.requestType === 'tcc' || e.requestType === 'xa');
const abortReasonOf = (e: TransEvent) => (e.type === 'TransAborted' ? e.reason : '');
const BRANCH_EVENTS = ['BranchSucceeded', 'BranchFailed', 'BranchOngoing', 'BranchErrored'] as const;
const onBranch = (fn: (ctx: TransContext, e: BranchResultEvent) => ReturnType<typeof onForwardResult>) =>
  Object.fromEntries(BRANCH_EVENTS.map((t) => [t, { actions: stepAction((c, e) => fn(c, e as BranchResultEvent)) }]));

export const sagaMachine = transSetup.createMachine({
  id: 'saga',
  initial: 'idle',
  context: () => ({ ...EMPTY_CONTEXT, transType: 'saga' }),
  states: {
    idle: idleState(created),
    prepared: {
      on: {
        TransCreated: otherBodyRejected,
        TransSubmitted: [
          otherBodyRejected,
          { target: 'submitted', actions: update((c, e) => ({ ...c, updateTime: e.at })) },
        ],
        TransAborted: [
          { guard: ({ event }) => abortHonoured(event), target: 'aborting', actions: update((c, e) => ({ ...c, updateTime: e.at, ...(abortReasonOf(e) ? { abortReason: abortReasonOf(e) } : {}) })) },
          { actions: rejectWith((c) => rejections.abort(c.transType, 'prepared')) },
        ],
        TransForceStopped: forceStop,
        CronReset: cronReset,
      },
    },
    submitted: {
      entry: stepAction((c, e) => startForward(c, e.at)),
      always: [
        // Every action succeeded wins over an expired timeout (spec §7.3.3: step 3 before step 4).
        { guard: ({ context }) => allActionsSucceeded(context), target: 'succeed' },
        { guard: ({ context, event }) => context.abortReason === undefined && timedOut(context, event), target: 'aborting', actions: update((c) => ({ ...c, abortReason: `Timeout after ${c.options.timeoutToFail} seconds` })) },
        { guard: ({ context }) => context.abortReason !== undefined || anyActionFailed(context), target: 'aborting' },
      ],
      on: {
        TransCreated: { actions: rejectWith(() => rejections.prepare('submitted')) },
        TransSubmitted: [
          otherBodyRejected,
          // A repeated submit re-runs a pass on the stored rows (fix of spec §16.1).
          { actions: stepAction((c, e) => cronPassWithoutLease(c, e.at)) },
        ],
        TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, 'submitted')) },
        TransForceStopped: forceStop,
        CronReset: cronReset,
        CronFired: { actions: stepAction((c, e) => cronPass(c, e.at, 'forward')) },
        ...onBranch(onForwardResult),
      },
    },
    aborting: {
      entry: stepAction((c, e) => beginRollback(c, e.at)),
      always: [{ guard: ({ context }) => allRolledBack(context) && !hasInflight(context), target: 'failed' }],
      on: {
        TransCreated: { actions: rejectWith(() => rejections.prepare('aborting')) },
        TransSubmitted: { actions: rejectWith(() => rejections.submit('aborting')) },
        TransAborted: [
          // Re-process: retry the compensations now (spec §5.6 step 3, §5.9 "re-process").
          { guard: ({ event }) => abortHonoured(event), actions: stepAction((c, e) => startCompensations(unblockAll(abortReasonOf(e) ? { ...c, rollbackReason: abortReasonOf(e) } : c), e.at)) },
          { actions: rejectWith((c) => rejections.abort(c.transType, 'aborting')) },
        ],
        TransForceStopped: forceStop,
        CronReset: cronReset,
        CronFired: { actions: stepAction((c, e) => cronPass(c, e.at, 'rollback')) },
        ...onBranch(onRollbackResult),
      },
    },
    succeed: finishedState('succeed'),
    failed: finishedState('failed'),
  },
});

function cronPassWithoutLease(ctx: TransContext, at: number) {
  return startForward(unblockAll(ctx), at);
}
