import type { BranchResultEvent, TransEvent } from './vocabulary.js';
import { EMPTY_CONTEXT, type TransContext } from './trans-context.js';
import { transSetup, stepAction, update, rejectWith } from './machine-kit.js';
import { BRANCH_RESULT_EVENTS, cronReset, finishedState, forceStop, otherBodyRejected, idleState } from './common-states.js';
import { createContext, rejections } from './trans-lifecycle.js';
import { hasInflight } from './branch-calls.js';
import {
  allDone, beginBackward, beginForward, effectiveTimeout, isConflictingRegistration, isPreparedTimedOut, isRepeatedRegistration, onTwoPhaseResult,
  registerRows, twoPhaseCronPass, twoPhaseRepass, type TwoPhaseRules,
} from './two-phase-steps.js';

/**
 * The machine of a two-phase type (spec §7.2 "tcc/xa"): prepared → (submit) submitted → succeed
 * once every forward op succeeded; prepared → (abort of a tcc/xa request, or timeout_to_fail on
 * the timer wheel) aborting → failed once every backward op succeeded. Branches are registered
 * only while prepared; a repeated identical registration changes nothing (exactly once).
 */

const created = (_: TransContext, e: TransEvent) => {
  const c = e as Extract<TransEvent, { type: 'TransCreated' }>;
  return createContext(c, [], {});
};
const abortReasonOf = (e: TransEvent) => (e.type === 'TransAborted' ? e.reason : '');
/** dtm's answer to a registration outside `prepared` (also for an unknown gid, spec §5.5). */
export const registerRefused = (gid: string) => ({ result: 'FAILURE' as const, message: `no trans with gid: ${gid} status: prepared found FAILURE`, code: 'DTX_INVALID_TRANSITION' });
const refuseRegistration = { BranchRegistered: { actions: rejectWith((c: TransContext) => registerRefused(c.gid)) } };

export function createTwoPhaseMachine(rules: TwoPhaseRules) {
  /** abort is honoured only when the request's trans_type is tcc/xa (spec §5.6 step 2, §16.9), or the type's own name. */
  const abortHonoured = (e: TransEvent) => e.type === 'TransAborted' && (e.requestType === 'tcc' || e.requestType === 'xa' || e.requestType === rules.name);
  const onResults = (op: string, status: string) =>
    Object.fromEntries(BRANCH_RESULT_EVENTS.map((t) => [t, { actions: stepAction((c, e) => onTwoPhaseResult(rules, c, e as BranchResultEvent, op, status)) }]));
  return transSetup.createMachine({
    id: rules.name,
    initial: 'idle',
    context: () => ({ ...EMPTY_CONTEXT, transType: rules.name }),
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
          BranchRegistered: [
            {
              guard: ({ context, event }) => event.requestType !== context.transType,
              actions: rejectWith((c, e) => ({ result: 'FAILURE', message: `a ${(e as { requestType: string }).requestType} branch cannot be registered in ${c.transType} transaction '${c.gid}' FAILURE`, code: 'DTX_INVALID_TRANSITION' })),
            },
            { guard: ({ context, event }) => isRepeatedRegistration(rules, context, event) },
            {
              guard: ({ context, event }) => isConflictingRegistration(context, event),
              actions: rejectWith((c, e) => ({ result: 'FAILURE', message: `branch '${(e as { branchId: string }).branchId}' of '${c.gid}' is already registered with other URLs or data FAILURE`, code: 'DTX_DUPLICATE_BRANCH' })),
            },
            { actions: update((c, e) => registerRows(rules, c, e)) },
          ],
          TransForceStopped: forceStop,
          CronReset: cronReset,
          // The timer wheel fires at the deadline (dueAt); dtm's text, with the effective value (spec §16.5).
          CronFired: {
            guard: ({ context, event }) => isPreparedTimedOut(context, event.at),
            target: 'aborting',
            actions: update((c, e) => ({ ...c, updateTime: e.at, abortReason: `Timeout after ${effectiveTimeout(c)} seconds` })),
          },
        },
      },
      submitted: {
        entry: stepAction((c, e) => beginForward(rules, c, e.at)),
        always: [{ guard: ({ context }) => allDone(context, rules.forward) && !hasInflight(context), target: 'succeed' }],
        on: {
          TransCreated: { actions: rejectWith(() => rejections.prepare('submitted')) },
          TransSubmitted: [
            otherBodyRejected,
            // A repeated submit re-runs a pass on the stored rows (fix of spec §16.1).
            { actions: stepAction((c, e) => twoPhaseRepass(rules, c, rules.forward, e.at)) },
          ],
          TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, 'submitted')) },
          ...refuseRegistration,
          TransForceStopped: forceStop,
          CronReset: cronReset,
          CronFired: { actions: stepAction((c, e) => twoPhaseCronPass(rules, c, rules.forward, e.at)) },
          ...onResults(rules.forward, 'submitted'),
        },
      },
      aborting: {
        entry: stepAction((c, e) => beginBackward(rules, c, e.at)),
        always: [{ guard: ({ context }) => allDone(context, rules.backward) && !hasInflight(context), target: 'failed' }],
        on: {
          TransCreated: { actions: rejectWith(() => rejections.prepare('aborting')) },
          TransSubmitted: { actions: rejectWith(() => rejections.submit('aborting')) },
          TransAborted: [
            // Re-process: retry the backward calls now (spec §5.6 step 3, §5.9 "re-process").
            { guard: ({ event }) => abortHonoured(event), actions: stepAction((c, e) => twoPhaseRepass(rules, abortReasonOf(e) ? { ...c, rollbackReason: abortReasonOf(e) } : c, rules.backward, e.at)) },
            { actions: rejectWith((c) => rejections.abort(c.transType, 'aborting')) },
          ],
          ...refuseRegistration,
          TransForceStopped: forceStop,
          CronReset: cronReset,
          CronFired: { actions: stepAction((c, e) => twoPhaseCronPass(rules, c, rules.backward, e.at)) },
          ...onResults(rules.backward, 'aborting'),
        },
      },
      succeed: { ...finishedState('succeed'), on: { ...finishedState('succeed').on, ...refuseRegistration } },
      failed: { ...finishedState('failed'), on: { ...finishedState('failed').on, ...refuseRegistration } },
    },
  });
}
