/**
 * QUORUM, an example custom transaction type (examples/quorum/README.md): call N branches
 * concurrently, succeed once K of them succeeded, and compensate every other branch that
 * succeeded or may have executed. When success becomes impossible (N - failures < K) or
 * timeout_to_fail expires first, abort: compensate every branch that may have executed, then
 * `failed`. Rows, retries and scheduling follow saga's rules.
 *
 * Pure: imports only the dtx kit. Inside this repository that is `../../machines/index.js`;
 * a type written outside it imports the same names from the package (`from 'dtx'`).
 */
import {
  EMPTY_CONTEXT, createContext, rejectWith, rejections, stepAction, transSetup, update,
  BRANCH_RESULT_EVENTS, cronReset, finishedState, forceStop, idleState, otherBodyRejected,
  type BranchResultEvent, type Step, type TransContext, type TransEvent, type TransStatus,
} from '../../machines/index.js';
import {
  allUndone, beginAbort, cronPass, onResult, parseQuorumExt, pastDeadline, quorumRows, reached, startActions, unreachable,
} from './quorum-steps.machine.js';

type Created = Extract<TransEvent, { type: 'TransCreated' }>;
const created = (_: TransContext, e: TransEvent) => {
  const c = e as Created;
  return createContext(c, quorumRows(c.spec, c.at), { ...parseQuorumExt(c.spec.customData, c.spec.steps.length) });
};
const onBranch = (phase: 'submitted' | 'aborting') =>
  Object.fromEntries(BRANCH_RESULT_EVENTS.map((t) => [t, { actions: stepAction((c, e): Step => onResult(c, e as BranchResultEvent, phase)) }]));

export const quorumMachine = transSetup.createMachine({
  id: 'quorum',
  initial: 'idle',
  context: () => ({ ...EMPTY_CONTEXT, transType: 'quorum' }),
  states: {
    idle: idleState(created),
    prepared: {
      on: {
        TransCreated: otherBodyRejected,
        TransSubmitted: [
          otherBodyRejected,
          { target: 'submitted', actions: update((c, e) => ({ ...c, updateTime: e.at })) },
        ],
        // Nothing has run yet: an abort of a prepared quorum simply fails it.
        TransAborted: { target: 'failed', actions: update((c, e) => ({ ...c, updateTime: e.at, ...(e.type === 'TransAborted' && e.reason ? { rollbackReason: e.reason } : {}) })) },
        TransForceStopped: forceStop,
        CronReset: cronReset,
      },
    },
    submitted: {
      entry: stepAction((c, e) => startActions(c, e.at)),
      always: [
        { guard: ({ context }) => reached(context) && allUndone(context), target: 'succeed' },
        { guard: ({ context, event }) => !reached(context) && context.abortReason === undefined && pastDeadline(context, event.at), target: 'aborting', actions: update((c) => ({ ...c, abortReason: `Timeout after ${c.options.timeoutToFail} seconds` })) },
        { guard: ({ context }) => !reached(context) && (context.abortReason !== undefined || unreachable(context)), target: 'aborting' },
      ],
      on: {
        TransCreated: { actions: rejectWith(() => rejections.prepare('submitted')) },
        // A repeated submit of the same body is accepted and changes nothing.
        TransSubmitted: otherBodyRejected,
        TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, 'submitted')) },
        TransForceStopped: forceStop,
        CronReset: cronReset,
        CronFired: { actions: stepAction((c, e) => cronPass(c, e.at, 'submitted')) },
        ...onBranch('submitted'),
      },
    },
    aborting: {
      entry: stepAction((c, e) => beginAbort(c, e.at)),
      always: [{ guard: ({ context }) => allUndone(context), target: 'failed' }],
      on: {
        TransCreated: { actions: rejectWith(() => rejections.prepare('aborting')) },
        TransSubmitted: { actions: rejectWith(() => rejections.submit('aborting')) },
        TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, 'aborting')) },
        TransForceStopped: forceStop,
        CronReset: cronReset,
        CronFired: { actions: stepAction((c, e) => cronPass(c, e.at, 'aborting')) },
        ...onBranch('aborting'),
      },
    },
    succeed: finishedState('succeed'),
    failed: finishedState('failed'),
  },
});

/** Due time of the next CronFired: none while prepared or finished; the timeout counts until the quorum is reached. */
export function quorumDueAt(ctx: TransContext, status: TransStatus): number | undefined {
  if (status === 'prepared' || status === 'succeed' || status === 'failed') return undefined;
  const deadline = status === 'submitted' && !reached(ctx) && ctx.options.timeoutToFail > 0 ? ctx.createTime + ctx.options.timeoutToFail * 1000 : undefined;
  return deadline === undefined ? ctx.nextCronTime : Math.min(ctx.nextCronTime, deadline);
}
