import type { TransEvent } from './vocabulary.js';
import { EMPTY_CONTEXT, type TransContext } from './trans-context.js';
import { transSetup, stepAction, update, rejectWith } from './machine-kit.js';
import { BRANCH_RESULT_EVENTS, cronReset, finishedState, forceStop, otherBodyRejected } from './common-states.js';
import { createContext, rejections } from './trans-lifecycle.js';
import { registerRefused } from './two-phase-machine.js';
import { workflowCustomDataProblem } from './custom-data-rules.js';
import {
  addProgress, isConflictingProgress, isRepeatedProgress, isResumeAnswer, parseWorkflowExt, progressProblem, recordEnd, resumePass, settleResume, submittedEnd,
} from './workflow-steps.js';

/**
 * WORKFLOW (spec §7.7, §5.4, §5.8): prepared (prepareWorkflow) → succeed | failed, as the client's
 * submit says (`req_extra.status`). While prepared, progress rows are recorded and each cron pass
 * calls the resume callback; nothing else is ever called, and there is no timeout.
 */

type Ev<T extends TransEvent['type']> = Extract<TransEvent, { type: T }>;

const created = (_: TransContext, e: TransEvent) => {
  const c = e as Ev<'TransCreated'>;
  return createContext(c, [], { ...parseWorkflowExt(c.spec.customData) });
};
const customDataProblem = (e: TransEvent) => {
  const spec = (e as Ev<'TransCreated'>).spec;
  return workflowCustomDataProblem(spec.customData, spec.protocol);
};
/** A workflow submit creates nothing (spec §5.4): dtm answers 500 `storage: NotFound`. */
const notPrepared = (e: TransEvent) => ({
  result: 'ERROR' as const,
  message: `no workflow with gid: ${(e as Ev<'TransCreated'>).spec.gid} status: prepared found (prepareWorkflow creates it; submit only ends it)`,
  code: 'DTX_TRANS_NOT_FOUND',
});
const refuseRegistration = { BranchRegistered: { actions: rejectWith((c: TransContext) => registerRefused(c.gid)) } };
const finished = (status: 'succeed' | 'failed') => ({ ...finishedState(status), on: { ...finishedState(status).on, ...refuseRegistration } });

export const workflowMachine = transSetup.createMachine({
  id: 'workflow',
  initial: 'idle',
  context: () => ({ ...EMPTY_CONTEXT, transType: 'workflow' }),
  states: {
    idle: {
      on: {
        TransCreated: [
          { guard: ({ event }) => event.status === 'submitted', actions: rejectWith((_c, e) => notPrepared(e)) },
          { guard: ({ event }) => customDataProblem(event) !== undefined, actions: rejectWith((_c, e) => ({ result: 'ERROR', message: customDataProblem(e)!, code: 'DTX_BAD_REQUEST' })) },
          { target: 'prepared', actions: update(created) },
        ],
      },
    },
    prepared: {
      on: {
        // a repeated prepare (prepareWorkflow of a known gid is answered by the engine without an event)
        TransCreated: otherBodyRejected,
        TransSubmitted: [
          otherBodyRejected,
          { guard: ({ event }) => submittedEnd(event) === 'succeed', target: 'succeed', actions: update(recordEnd) },
          { guard: ({ event }) => submittedEnd(event) === 'failed', target: 'failed', actions: update(recordEnd) },
          { actions: rejectWith(() => ({ result: 'ERROR', message: 'req_extra.status: a workflow submit says succeed or failed', code: 'DTX_BAD_REQUEST' })) },
        ],
        // a workflow is rolled back by its client (compensations, then a failed submit), never by abort
        TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, 'prepared')) },
        BranchRegistered: [
          {
            guard: ({ context, event }) => event.requestType !== context.transType,
            actions: rejectWith((c, e) => ({ result: 'FAILURE', message: `a ${(e as Ev<'BranchRegistered'>).requestType} branch cannot be registered in ${c.transType} transaction '${c.gid}' FAILURE`, code: 'DTX_INVALID_TRANSITION' })),
          },
          { guard: ({ event }) => progressProblem(event) !== undefined, actions: rejectWith((_c, e) => progressProblem(e)!) },
          { guard: ({ context, event }) => isRepeatedProgress(context, event) },
          {
            guard: ({ context, event }) => isConflictingProgress(context, event),
            actions: rejectWith((c, e) => {
              const r = e as Ev<'BranchRegistered'>;
              return { result: 'FAILURE', message: `progress '${r.branchId}' op '${r.fields.op ?? ''}' of '${c.gid}' is already recorded with another status or data FAILURE`, code: 'DTX_DUPLICATE_BRANCH' };
            }),
          },
          { actions: update(addProgress) },
        ],
        TransForceStopped: forceStop,
        CronReset: cronReset,
        CronFired: { actions: stepAction((c, e) => resumePass(c, e.at)) },
        ...Object.fromEntries(BRANCH_RESULT_EVENTS.map((t) => [t, { guard: ({ context, event }: { context: TransContext; event: TransEvent }) => isResumeAnswer(context, event), actions: update(settleResume) }])),
      },
    },
    succeed: finished('succeed'),
    failed: finished('failed'),
  },
});
