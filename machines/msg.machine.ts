import type { BranchResultEvent, TransEvent } from './vocabulary.js';
import { EMPTY_CONTEXT, type TransContext } from './trans-context.js';
import { transSetup, stepAction, update, rejectWith } from './machine-kit.js';
import { cronReset, finishedState, forceStop, otherBodyRejected, idleState } from './common-states.js';
import { createContext, rejections } from './trans-lifecycle.js';
import { isStaleResult } from './branch-calls.js';
import {
  isQueryDue, msgCronPass, msgPass, msgRepass, msgRows, onMsgResult, onQueryRetry, parseMsgExt, schedulePrepared, settleQuery, startQueryBack,
} from './msg-steps.js';

/**
 * MSG, the 2-phase message (spec §7.4): prepared → (submit | query-back SUCCESS) → submitted →
 * succeed once every action succeeded; abort or query-back FAILURE → failed. Actions are retried
 * until they succeed: a msg never rolls back after submit.
 */

type Ev<T extends TransEvent['type']> = Extract<TransEvent, { type: T }>;
const created = (_: TransContext, e: TransEvent) => {
  const c = e as Ev<'TransCreated'>;
  const ctx = createContext(c, msgRows(c.spec, c.at), { ...parseMsgExt(c.spec.customData) });
  return c.status === 'prepared' ? schedulePrepared(ctx) : ctx;
};
/** The submit of a prepared msg may carry custom_data (delay) the prepare did not (spec §16.14). */
const submitted = (ctx: TransContext, e: TransEvent) => {
  const spec = (e as Ev<'TransSubmitted'>).spec;
  if (spec === undefined || spec.customData === '' || spec.customData === ctx.customData) return { ...ctx, updateTime: e.at };
  return { ...ctx, customData: spec.customData, ext: { ...parseMsgExt(spec.customData) }, updateTime: e.at };
};
const isQueryAnswer = (ctx: TransContext, e: TransEvent) =>
  'branchId' in e && e.branchId === '00' && !isStaleResult(ctx, e as BranchResultEvent);
const ACTION_RESULTS = ['BranchSucceeded', 'BranchFailed', 'BranchOngoing', 'BranchErrored'] as const;

export const msgMachine = transSetup.createMachine({
  id: 'msg',
  initial: 'idle',
  context: () => ({ ...EMPTY_CONTEXT, transType: 'msg' }),
  states: {
    idle: idleState(created),
    prepared: {
      on: {
        TransCreated: otherBodyRejected,
        TransSubmitted: [
          otherBodyRejected,
          { target: 'submitted', actions: update(submitted) },
        ],
        TransAborted: { target: 'failed' },
        TransForceStopped: forceStop,
        CronReset: cronReset,
        CronFired: [
          { guard: ({ context, event }) => isQueryDue(context, event.at), actions: stepAction((c, e) => startQueryBack(c, e.at)) },
          { actions: update((c) => schedulePrepared(c)) },
        ],
        BranchSucceeded: { guard: ({ context, event }) => isQueryAnswer(context, event), target: 'submitted', actions: update((c) => settleQuery(c)) },
        BranchFailed: { guard: ({ context, event }) => isQueryAnswer(context, event), target: 'failed', actions: update((c) => settleQuery(c)) },
        BranchOngoing: { guard: ({ context, event }) => isQueryAnswer(context, event), actions: stepAction((c, e) => onQueryRetry(c, e as BranchResultEvent)) },
        BranchErrored: { guard: ({ context, event }) => isQueryAnswer(context, event), actions: stepAction((c, e) => onQueryRetry(c, e as BranchResultEvent)) },
      },
      // An empty query_prepared answered SUCCESS without a call.
      always: [{ guard: ({ context }) => context.sideCall !== undefined && !context.sideCall.inflight && context.queryPrepared === '' && context.sideCall.attempt > 0, target: 'submitted' }],
    },
    submitted: {
      entry: stepAction((c, e) => msgPass(c, e.at)),
      always: [{ guard: ({ context }) => context.branches.every((r) => r.status === 'succeed'), target: 'succeed' }],
      on: {
        TransCreated: { actions: rejectWith(() => rejections.prepare('submitted')) },
        TransSubmitted: [
          otherBodyRejected,
          { actions: stepAction((c, e) => msgRepass(c, e.at)) },
        ],
        TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, 'submitted')) },
        TransForceStopped: forceStop,
        CronReset: cronReset,
        CronFired: { actions: stepAction((c, e) => msgCronPass(c, e.at)) },
        ...Object.fromEntries(ACTION_RESULTS.map((t) => [t, { actions: stepAction((c, e) => onMsgResult(c, e as BranchResultEvent)) }])),
      },
    },
    succeed: finishedState('succeed'),
    failed: finishedState('failed'),
  },
});
